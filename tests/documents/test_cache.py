"""The PDF cache: a PDF rendered once from the same inputs is read back, never rendered again.

Renders are counted by the renderer itself (`renders`: documents handed to the pool), so no test relies on timing.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from batchmail.documents.pdf import PdfRenderer
from batchmail.documents.piece_html import build_piece_html
from tests.documents.pdfkit import make_company, make_contact, make_piece, pdf_pages, png_bytes


def cached_files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*.pdf")}


async def test_a_second_render_reads_the_cache_even_after_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    piece, contact, company = make_piece(), make_contact(), make_company()

    with PdfRenderer(workers=1, cache_dir=folder) as renderer:
        first = await renderer.render_piece(piece, contact, company)
        again = await renderer.render_piece(piece, contact, company)
        sync = renderer.render_piece_sync(piece, contact, company)
        html = renderer.render_sync(build_piece_html(piece, contact, company))
        assert renderer.renders == 1
    with PdfRenderer(workers=1, cache_dir=folder) as restarted:
        after_restart = await restarted.render_piece(piece, contact, company)
        assert restarted.renders == 0

    assert first == again == sync == html == after_restart
    assert "FA-2026-00042" in pdf_pages(first)[0]
    [(path, stored)] = cached_files(folder).items()
    assert stored == first
    assert len(path.stem) == 64 and path.parent.name == path.stem[:2] and path.parent.parent == folder


def test_without_a_cache_folder_every_request_renders() -> None:
    with PdfRenderer(workers=1) as renderer:
        first = renderer.render_piece_sync(make_piece(), make_contact(), make_company())
        second = renderer.render_piece_sync(make_piece(), make_contact(), make_company())

        assert renderer.renders == 2
    assert first == second


def test_any_change_to_what_shapes_the_pdf_renders_again(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    piece, contact, company = make_piece(), make_contact(), make_company(str(logo))
    other_line = replace(piece, lines=[replace(piece.lines[0], quantity=Decimal("2")), *piece.lines[1:]])

    with PdfRenderer(workers=1, cache_dir=tmp_path / "cache") as renderer:
        pdfs = [renderer.render_piece_sync(piece, contact, company)]
        pdfs.append(renderer.render_piece_sync(other_line, contact, company))
        logo.write_bytes(png_bytes(colour=b"\x22\x22\xcc"))  # same file, same size, blue instead of red
        pdfs.append(renderer.render_piece_sync(piece, contact, company))
        pdfs.append(renderer.render_piece_sync(piece, contact, replace(company, accent_color="#c0392b")))
        assert renderer.renders == 4
        renderer.flush()

        assert renderer.render_piece_sync(piece, contact, replace(company, accent_color="#c0392b")) == pdfs[3]
        assert renderer.render_piece_sync(piece, contact, company) == pdfs[2]
        assert renderer.renders == 4
    assert len(set(pdfs)) == 4
    assert len(cached_files(tmp_path / "cache")) == 4


async def test_identical_requests_made_together_render_once(tmp_path: Path) -> None:
    piece, contact, company = make_piece(), make_contact(), make_company()
    html = build_piece_html(piece, contact, company)

    with PdfRenderer(workers=1, cache_dir=tmp_path / "cache") as renderer:
        pdfs = await asyncio.gather(
            *(renderer.render_piece(piece, contact, company) for _ in range(5)),
            renderer.render(html),
            asyncio.to_thread(renderer.render_sync, html),
            renderer.render_piece(make_piece(number="FA-2026-00043"), contact, company),
        )

        assert renderer.renders == 2
    assert len(set(pdfs[:7])) == 1 and pdfs[7] != pdfs[0]
    assert "FA-2026-00043" in pdf_pages(pdfs[7])[0]


def _note(text: str) -> str:
    return f'<link rel="stylesheet" href="style.css"><h1>{text}</h1>'


def test_past_its_limit_the_cache_drops_the_least_recently_used_files(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    with PdfRenderer(workers=1, cache_dir=folder) as renderer:
        a, b, c = (renderer.render_sync(_note(name)) for name in ("A", "B", "C"))
    stale = folder / "00" / ".crashed.tmp"
    stale.parent.mkdir()
    stale.write_bytes(b"%PDF-1.7 half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    limit = len(a) + len(b) + len(c) + 100  # three fit, a fourth does not

    with PdfRenderer(workers=1, cache_dir=folder, cache_limit_bytes=limit) as renderer:
        assert renderer.render_sync(_note("A")) == a  # A is now the most recently used of the three
        d = renderer.render_sync(_note("D"))  # over the limit: cleaned in the background, done by close
        assert renderer.renders == 1

    # Down to 90 % of the limit, oldest first: B, then C; A was read after them, D is new.
    assert sorted(cached_files(folder).values()) == sorted([a, d])
    assert not stale.exists()


def test_a_damaged_cache_file_is_rendered_again_and_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    piece, contact, company = make_piece(), make_contact(), make_company()
    with PdfRenderer(workers=1, cache_dir=folder) as renderer:
        good = renderer.render_piece_sync(piece, contact, company)
        renderer.flush()
        [path] = cached_files(folder)
        damages = {"empty": b"", "torn": good[: len(good) // 2], "garbage": b"not a pdf at all " * 100}
        for count, damaged in enumerate(damages.values(), start=2):
            path.write_bytes(damaged)

            assert renderer.render_piece_sync(piece, contact, company) == good
            assert renderer.renders == count
            renderer.flush()
            assert cached_files(folder) == {path: good}


def test_a_cache_folder_that_cannot_be_written_still_gives_the_pdf(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")

    with PdfRenderer(workers=1, cache_dir=blocker) as renderer:
        first = renderer.render_piece_sync(make_piece(), make_contact(), make_company())
        renderer.flush()
        second = renderer.render_piece_sync(make_piece(), make_contact(), make_company())

        assert renderer.renders == 2
    assert first == second and "FA-2026-00042" in pdf_pages(first)[0]
