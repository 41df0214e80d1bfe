"""Benchmark of sending: the whole pipeline against raw PDF rendering and raw SMTP sending, on the same mails.

    python bench/send_bench.py [--count 1000] [--connections 2]

In one run, for COUNT one-page invoices, each to its own contact, sent to a local aiosmtpd server (STARTTLS and
AUTH, as a real provider) running in its own process, as a provider's server would, so it takes no CPU time
from the process that sends:
  1. raw rendering: plain WeasyPrint on the HTML of the same invoices, one process per core, warmed first;
  2. the pipeline: `SendService.send` on the batch's plan (compose with every PDF rendered, outbox written,
     sent over the account's connections, recorded on pieces and contacts), the PDF pool warm, its cache empty;
     then raw rendering once more: the pipeline is compared with the mean of the two, so a change of load on a
     shared machine during the run weighs on both sides alike;
  3. a resend of the same batch (`resend=True`), the PDFs now in the cache;
  4. raw SMTP: the same MIME messages through the SMTP transport alone, over as many connections.
Targets on 2 cores: the pipeline at least 0.85 times the raw rendering rate, the resend at least 100 mails/s.

Next to each rate, the CPU time per mail of this process (its threads included, not the rendering workers) and of
the server's process: on a machine shared with other work, wall-clock rates vary from run to run, CPU times much
less. The server shares the same cores: its CPU time is time the pipeline cannot have.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from multiprocessing import Pipe, get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from batchmail.documents.pdf import PdfRenderer
from batchmail.documents.piece_html import DOCUMENTS_DIR, build_piece_html
from batchmail.domain.selection import Criteria
from batchmail.sending.choices import SendChoices
from batchmail.sending.outbox import OutboxState
from batchmail.sending.report import BatchReport, Phase
from batchmail.sending.transports.smtp import SmtpTransport
from batchmail.wiring import App
from storage.stores import Stores
from tests.sendkit import SENDER, fill, opened, store_account
from tests.servers.smtpd import smtp_server

PIPELINE_TARGET = 0.85  # times the raw rendering rate
RESEND_TARGET = 100.0  # mails a second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="invoices to send (default 1000)")
    parser.add_argument("--connections", type=int, default=2, help="SMTP connections (default 2)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"{args.count} one-page invoices, {cores} cores, {args.connections} connections; load average {_load()}")

    with tempfile.TemporaryDirectory(prefix="batchmail-send-bench-") as folder, _Server() as server:
        data_dir = Path(folder) / "data"
        fill(data_dir, args.count)
        account = replace(server.account, from_address=SENDER, connections=args.connections)
        store_account(data_dir, account, server.password)
        renderer = PdfRenderer(cache_dir=data_dir / "pdf-cache")
        with renderer, opened(data_dir, renderer) as (app, stores):
            renders = [raw_rendering(stores, cores)]
            first = _measured(server, args.count, lambda: pipeline(app, renderer, server, resend=False))
            renders.append(raw_rendering(stores, cores))
            resend = _measured(server, args.count, lambda: pipeline(app, renderer, server, resend=True))
            smtp = _measured(server, args.count, lambda: raw_smtp(stores, server, args.connections))
    render_rate = sum(renders) / len(renders)
    print(
        f"raw rendering, WeasyPrint, {cores} processes : {render_rate:8.1f} pages/s"
        f"  (before the pipeline {renders[0]:.1f}, after {renders[1]:.1f})"
    )
    print(f"raw SMTP sending, {args.connections} connections       : {smtp}")
    print(f"pipeline, PDF cache empty            : {first}  (composing {first.composing:.0%} of it)")
    print(f"resend of the same batch, PDFs cached: {resend}")
    print(f"load average after: {_load()}")
    _target("pipeline / raw rendering", first.rate / render_rate, PIPELINE_TARGET, "x")
    _target("resend", resend.rate, RESEND_TARGET, " mails/s")


@dataclass(kw_only=True, slots=True)
class _Figures:
    rate: float  # mails a second
    composing: float  # share of the time spent composing (the pipeline only)
    cpu_ms: float  # CPU time of this process per mail, its threads included
    server_cpu_ms: float  # CPU time of the server's process per mail

    def __str__(self) -> str:
        return f"{self.rate:8.1f} mails/s, CPU {self.cpu_ms:.2f} ms/mail (server {self.server_cpu_ms:.2f})"


def _measured(server: _Server, count: int, run: Callable[[], Coroutine[Any, Any, tuple[float, float]]]) -> _Figures:
    server_cpu, cpu = server.cpu, time.process_time()
    rate, composing = asyncio.run(run())
    return _Figures(
        rate=rate,
        composing=composing,
        cpu_ms=(time.process_time() - cpu) * 1000 / count,
        server_cpu_ms=(server.cpu - server_cpu) * 1000 / count,
    )


class _Server:
    """The test SMTP server in a process of its own; `received` asks it how many mails it has taken."""

    def __enter__(self) -> _Server:
        self._pipe, child = Pipe()
        self._process = get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.account, self.password = self._pipe.recv()
        return self

    @property
    def received(self) -> int:
        self._pipe.send("count")
        count: int = self._pipe.recv()
        return count

    @property
    def cpu(self) -> float:
        """The CPU time the server's process has used so far, in seconds."""
        self._pipe.send("cpu")
        seconds: float = self._pipe.recv()
        return seconds

    def __exit__(self, *exc: object) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=10)


def _serve(pipe: Connection) -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd warns of its own deprecations per connection
    with smtp_server() as server:
        pipe.send((server.account(name="provider"), server.password))
        while (question := pipe.recv()) != "stop":
            pipe.send(len(server.messages) if question == "count" else time.process_time())


def raw_rendering(stores: Stores, cores: int) -> float:
    """Pages a second: plain WeasyPrint on the batch's HTML, one process per core, each warmed by one render."""
    company = stores.company.get()
    assert company is not None
    contacts = stores.contacts.by_id()
    pieces = stores.pieces.get_many(s.id for s in stores.pieces.summaries())
    htmls = [build_piece_html(piece, contacts[piece.contact_id], company) for piece in pieces]
    with ProcessPoolExecutor(max_workers=cores, mp_context=get_context("spawn")) as pool:
        list(pool.map(_render, htmls[:cores]))
        started = time.perf_counter()
        pages = sum(pool.map(_render, htmls, chunksize=8))
        elapsed = time.perf_counter() - started
    assert pages == len(htmls), f"{pages} pages for {len(htmls)} invoices: not one page each"
    return len(htmls) / elapsed


def _render(html: str) -> int:
    document = weasyprint.HTML(string=html, base_url=DOCUMENTS_DIR.as_uri() + "/").render(font_config=_fonts())
    document.write_pdf()
    return len(document.pages)


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


async def pipeline(app: App, renderer: PdfRenderer, server: _Server, *, resend: bool) -> tuple[float, float]:
    """Mails a second through `send`, and the share of the time spent composing."""
    ids = await app.workspace.matching_ids(Criteria())
    await asyncio.to_thread(renderer.start)
    received = server.received
    composed_at: list[float] = []

    def progress(report: BatchReport) -> None:
        if report.phase is not Phase.composing and not composed_at:
            composed_at.append(time.perf_counter())

    started = time.perf_counter()
    plan = await app.send.plan(ids, SendChoices(resend=resend))
    report = await app.send.send(plan, on_progress=progress)
    elapsed = time.perf_counter() - started
    sent = report.counts[OutboxState.sent.value]
    if sent != len(ids) or server.received - received != len(ids):
        sys.exit(f"unexpected: {sent} sent of {len(ids)}, the server got {server.received - received}")
    return len(ids) / elapsed, (composed_at[0] - started) / elapsed


async def raw_smtp(stores: Stores, server: _Server, connections: int) -> tuple[float, float]:
    """Mails a second (and no composing): the batch's MIME messages through the SMTP transport alone, over parallel
    sessions."""
    entries = stores.outbox.in_state(OutboxState.sent)[-len(stores.pieces.summaries()) :]
    mails = [(stores.outbox.load_mime(e.id), e.sender, e.recipients) for e in entries]
    transport = SmtpTransport(server.account, server.password)
    received = server.received
    todo = list(reversed(mails))

    async def session() -> None:
        async with transport.session() as open_session:
            while todo:
                mime, sender, recipients = todo.pop()
                await open_session.send(mime, sender=sender, recipients=recipients)

    started = time.perf_counter()
    await asyncio.gather(*(session() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    assert server.received - received == len(mails)
    return len(mails) / elapsed, 0.0


def _target(name: str, value: float, target: float, unit: str) -> None:
    print(f"{name:26s}: {value:8.2f}{unit}  target >= {target}{unit}  {'ok' if value >= target else 'MISSED'}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":  # spawned workers re-import this module: nothing may run at import
    main()
