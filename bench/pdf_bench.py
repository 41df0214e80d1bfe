"""Benchmark of PDF rendering: the app's pipeline against plain WeasyPrint, on the same one-page invoices.

    python bench/pdf_bench.py [--count 500] [--workers N]

In one run, on the HTML `build_piece_html` makes for COUNT invoices of the demo data (different numbers, contacts
and lines):
  1. plain WeasyPrint in this process, one FontConfiguration (the baseline);
  2. the app's pipeline: a PdfRenderer with a fresh cache folder, every invoice submitted at once through
     `render_piece` from an asyncio loop (the pool is started and warmed first, as the app keeps it alive);
  3. the same invoices again: every one a cache hit.
Targets: the pipeline at least 1.8 times the baseline on 2 cores, the second pass at least 50 times the first.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import weasyprint
from pypdf import PdfReader
from weasyprint.text.fonts import FontConfiguration

from batchmail.demo import generate_demo
from batchmail.documents.pdf import PdfRenderer
from batchmail.documents.piece_html import DOCUMENTS_DIR, build_piece_html
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece, PieceType

PIPELINE_TARGET = 1.8
CACHE_TARGET = 50.0
MAX_LINES = 12  # an invoice of the demo with more lines may run onto a second page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500, help="invoices to render (default 500)")
    parser.add_argument("--workers", type=int, default=None, help="pool size (default: one per core)")
    args = parser.parse_args()

    company, invoices = demo_invoices(args.count)
    htmls = [build_piece_html(piece, contact, company) for piece, contact in invoices]
    workers = args.workers or os.cpu_count() or 1
    print(f"{len(invoices)} one-page invoices, {len(set(c.id for _, c in invoices))} contacts; {workers} workers on")
    print(f"{os.cpu_count()} cores; load average before: {_load()}")

    cpu = time.process_time()
    plain_s, plain_pdfs = baseline(htmls)
    plain_cpu = time.process_time() - cpu
    print(f"load average after the baseline: {_load()}")
    workers_cpu = _children_cpu()
    with (
        tempfile.TemporaryDirectory(prefix="batchmail-pdf-bench-") as folder,
        PdfRenderer(workers=args.workers, cache_dir=Path(folder)) as renderer,
    ):
        started = time.perf_counter()
        renderer.start()
        start_s = time.perf_counter() - started
        cpu = time.process_time()
        first_s, first = asyncio.run(one_pass(renderer, company, invoices))
        parent_cpu = time.process_time() - cpu
        second_s, second = asyncio.run(one_pass(renderer, company, invoices))
        renders = renderer.renders
    workers_cpu = _children_cpu() - workers_cpu  # the pool is shut down and its processes reaped: counted

    _check(plain_pdfs, first, second, renders)
    count = len(invoices)
    print(f"load average after the pipeline: {_load()}")
    print(f"pool start (workers spawned and warm): {start_s:.2f} s, not counted below")
    print(f"plain WeasyPrint, 1 process : {count / plain_s:8.1f} docs/s  ({plain_s:.2f} s)")
    print(f"pipeline, first pass        : {count / first_s:8.1f} docs/s  ({first_s:.2f} s)")
    print(f"pipeline, second pass (hits): {count / second_s:8.1f} docs/s  ({second_s:.3f} s)")
    # Where the time goes: CPU per document does not depend on what else the machine runs, wall time does.
    print(
        f"CPU per document: plain {1000 * plain_cpu / count:.0f} ms; pipeline workers {1000 * workers_cpu / count:.0f}"
        f" ms (their start included) + this process {1000 * parent_cpu / count:.1f} ms (HTML, keys, files)"
    )
    _target("pipeline / plain", plain_s / first_s, PIPELINE_TARGET)
    _target("second pass / first pass", first_s / second_s, CACHE_TARGET)


def demo_invoices(count: int) -> tuple[IssuingCompany, list[tuple[Piece, Contact]]]:
    """`count` invoices of the demo with few enough lines for one page; numbered anew past the demo's supply."""
    demo = generate_demo(seed=1, today=date(2026, 11, 24))
    contacts = {contact.id: contact for contact in demo.contacts}
    pool = [p for p in demo.pieces if p.type is PieceType.invoice and len(p.lines) <= MAX_LINES]
    invoices = []
    for n in range(count):
        piece = pool[n % len(pool)]
        if n >= len(pool):
            piece = replace(piece, number=f"{piece.number}-{n // len(pool)}")
        invoices.append((piece, contacts[piece.contact_id]))
    return demo.company, invoices


def baseline(htmls: list[str]) -> tuple[float, list[bytes]]:
    """Plain WeasyPrint on the same HTML, in this process, one FontConfiguration; a first render warms it up."""
    fonts = FontConfiguration()
    base_url = DOCUMENTS_DIR.as_uri() + "/"
    weasyprint.HTML(string=htmls[0], base_url=base_url).write_pdf(font_config=fonts)
    started = time.perf_counter()
    pdfs = [weasyprint.HTML(string=html, base_url=base_url).write_pdf(font_config=fonts) for html in htmls]
    return time.perf_counter() - started, pdfs


async def one_pass(
    renderer: PdfRenderer, company: IssuingCompany, invoices: list[tuple[Piece, Contact]]
) -> tuple[float, list[bytes]]:
    started = time.perf_counter()
    pdfs = await asyncio.gather(*(renderer.render_piece(piece, contact, company) for piece, contact in invoices))
    return time.perf_counter() - started, pdfs


def _check(plain: list[bytes], first: list[bytes], second: list[bytes], renders: int) -> None:
    """What was measured is what was asked: one page each, the same PDFs both passes, one render per invoice."""
    pages = {len(PdfReader(io.BytesIO(pdf)).pages) for pdf in plain + first}
    if pages != {1} or first != second or renders != len(first):
        sys.exit(f"unexpected: page counts {pages}, passes equal {first == second}, {renders} renders")
    same = sum(a == b for a, b in zip(plain, first, strict=True))
    print(f"checked: every PDF one page, second pass = first, {renders} renders; {same} identical to plain")


def _target(name: str, ratio: float, target: float) -> None:
    print(f"{name:26s}: {ratio:8.1f}x   target >= {target}x  {'ok' if ratio >= target else 'MISSED'}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":  # spawned workers re-import this module: nothing may run at import
    main()
