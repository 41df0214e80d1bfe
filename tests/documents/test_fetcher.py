"""Rendering fetches nothing but the package's own assets and the company's logo, whatever a note, a name or raw
HTML holds: a local HTTP server records any request that would get through."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from batchmail.documents.pdf import AssetFetcher, render_pdf
from batchmail.documents.piece_html import DOCUMENTS_DIR, build_piece_html
from tests.documents.pdfkit import (
    make_company,
    make_contact,
    make_piece,
    pdf_pages,
    png_bytes,
)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = png_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _RecordingHandler)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _hostile(port: int) -> str:
    return (
        '<img src="file:///etc/passwd">'
        '<link rel=stylesheet href="file:///etc/hosts">'
        f'<img src="http://127.0.0.1:{port}/x.png">'
        f'<link rel=stylesheet href="http://127.0.0.1:{port}/s.css">'
    )


def test_the_test_server_does_see_an_unguarded_fetch(http_server: http.server.HTTPServer) -> None:
    port = http_server.server_address[1]

    weasyprint.HTML(string=_hostile(port), url_fetcher=weasyprint.urls.URLFetcher()).write_pdf()

    assert "/x.png" in http_server.paths  # type: ignore[attr-defined]


def test_a_note_full_of_urls_fetches_nothing_and_is_printed_as_text(http_server: http.server.HTTPServer) -> None:
    port = http_server.server_address[1]
    piece = make_piece(notes=_hostile(port), reference=f'<img src="http://127.0.0.1:{port}/ref.png">')

    pdf = render_pdf(build_piece_html(piece, make_contact(), make_company()))

    assert http_server.paths == []  # type: ignore[attr-defined]
    flat = " ".join(pdf_pages(pdf)[0].split())
    assert '<img src="file:///etc/passwd">' in flat
    assert all(not page.images for page in PdfReader(io.BytesIO(pdf)).pages)


def test_raw_html_rendered_by_us_fetches_nothing_but_the_logo(
    http_server: http.server.HTTPServer, tmp_path: Path
) -> None:
    port = http_server.server_address[1]
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    html = _hostile(port) + f'<img src="{logo.as_uri()}"><img src="{(tmp_path / "other.png").as_uri()}">'
    (tmp_path / "other.png").write_bytes(png_bytes())

    pdf = render_pdf(html, logo_path=str(logo))

    assert http_server.paths == []  # type: ignore[attr-defined]
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_the_fetcher_serves_only_the_package_assets_and_the_logo(
    http_server: http.server.HTTPServer, tmp_path: Path
) -> None:
    port = http_server.server_address[1]
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    fetcher = AssetFetcher(logo_path=str(logo))

    style = fetcher.fetch((DOCUMENTS_DIR / "style.css").as_uri())
    assert style.read() == (DOCUMENTS_DIR / "style.css").read_bytes()
    assert style.content_type == "text/css"
    image = fetcher.fetch(logo.as_uri())
    assert image.read() == logo.read_bytes() and image.content_type == "image/png"

    refused = [
        "file:///etc/passwd",
        "file:///etc/hosts",
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/x.png",
        (DOCUMENTS_DIR / "labels.py").as_uri(),
        DOCUMENTS_DIR.as_uri() + "/../pdf.py",
        (DOCUMENTS_DIR / "missing.css").as_uri(),
        (tmp_path / "other.png").as_uri(),
        "file://evil.example.org/etc/passwd",
        "data:text/css,body{}",
    ]
    for url in refused:
        with pytest.raises(PermissionError):
            fetcher.fetch(url)
    assert http_server.paths == []  # type: ignore[attr-defined]


def test_html_in_a_contact_name_is_escaped() -> None:
    contact = make_contact(name="<b>Evil</b> & Co <script>alert(1)</script>")

    html = build_piece_html(make_piece(), contact, make_company())

    assert "<b>Evil</b>" not in html and "<script>" not in html
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html
    assert "<b>Evil</b> & Co <script>alert(1)</script>" in pdf_pages(render_pdf(html))[0]
