"""Pieces as PDF: HTML from the package's Jinja2 template, rendered by WeasyPrint in a process pool.

Rendering is CPU-bound (~100 ms a page) and holds the GIL, so it runs in worker processes, never on the event
loop. What a document may load is closed: `AssetFetcher` serves the files of `batchmail/documents/` and the
company logo, and refuses every other URL (network, other local files), whatever a note or a name contains.
"""

from __future__ import annotations

import asyncio
import mimetypes
import multiprocessing
import os
import re
import threading
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from functools import cache, partial
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from batchmail.contacts import Contact, IssuingCompany
from batchmail.documents.labels import LABELS, TITLES
from batchmail.formatting import format_date, format_money, format_percent, format_quantity, language_of
from batchmail.pieces import Piece, PieceType, Status

DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"
TEMPLATE = "piece.html"
ASSET_SUFFIXES = frozenset(
    {".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".woff", ".woff2", ".ttf", ".otf"}
)

# Payment terms, bank details and late-payment mentions: on what the customer pays from.
_SALES_TERMS = frozenset({PieceType.invoice, PieceType.quote, PieceType.order})
_VALIDITY = frozenset({PieceType.quote, PieceType.purchase_request})
_CREDIT_NOTES = frozenset({PieceType.credit_note, PieceType.supplier_credit_note})


def build_piece_html(
    piece: Piece,
    contact: Contact,
    company: IssuingCompany,
    *,
    origin_number: str = "",
    language: str | None = None,
) -> str:
    """The HTML of one piece in `language` (default: the contact's). Pure: reads only the package's template."""
    lang = language_of(language or contact.language)
    totals = piece.totals
    if piece.type.is_billing:
        due_label = "due_date"
    elif piece.type in _VALIDITY:
        due_label = "valid_until"
    else:
        due_label = "expected_date"
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            language=lang.value,
            L=LABELS[lang],
            title=TITLES[lang][piece.type],
            piece=piece,
            contact=contact,
            company=company,
            totals=totals,
            # What the document itself says is still owed, drafts included (Piece.balance is 0 for a draft).
            balance=totals.incl_tax - piece.paid,
            billing=piece.type.is_billing,
            balance_label="balance" if piece.type in _CREDIT_NOTES else "balance_due",
            due_label=due_label,
            sales_terms=piece.type in _SALES_TERMS,
            acceptance=piece.type is PieceType.quote,
            draft=piece.status is Status.draft,
            origin_number=origin_number,
            logo_url=Path(company.logo_path).resolve().as_uri() if company.logo_path else "",
        )
    )


def piece_filename(piece: Piece, language: str) -> str:
    """A file name safe on every system: "Facture_FA-2026-00042.pdf", "Bon_de_reception_BR-2026-00003.pdf"."""
    title = TITLES[language_of(language)][piece.type]
    name = f"{title}_{piece.number or piece.date.isoformat()}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9.-]+", "_", ascii_name).strip("._") + ".pdf"


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint is untyped
    """Serves the package's documents/ assets and the company logo; refuses every other URL."""

    def __init__(self, *, logo_path: str = "") -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self._root = DOCUMENTS_DIR
        self._logo = Path(logo_path).resolve() if logo_path else None

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = self.allowed_path(url)
        if path is None:
            # WeasyPrint catches this, logs it and renders without the resource.
            raise PermissionError(f"refused {url!r}: a document may only load its own assets and the company logo")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    def allowed_path(self, url: str) -> Path | None:
        """The local file `url` names if a document may load it, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_file():
            return None
        if path == self._logo:
            return path
        if path.is_relative_to(self._root) and path.suffix.lower() in ASSET_SUFFIXES:
            return path
        return None


def render_pdf(html: str, *, logo_path: str = "") -> bytes:
    """Render HTML built by this module to PDF bytes, in the current process (blocking, CPU-bound)."""
    document = HTML(string=html, base_url=DOCUMENTS_DIR.as_uri() + "/", url_fetcher=AssetFetcher(logo_path=logo_path))
    pdf: bytes = document.write_pdf(font_config=_font_configuration())
    return pdf


class PdfRenderer:
    """Renders PDFs in a pool of spawned processes, created at first use; one per application.

    "spawn" rather than "fork": the parent runs threads (NiceGUI, the event loop) that a fork would copy mid-state.
    """

    def __init__(self, *, workers: int | None = None) -> None:
        self._workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    async def render_piece(
        self, piece: Piece, contact: Contact, company: IssuingCompany, *, origin_number: str = ""
    ) -> bytes:
        html = build_piece_html(piece, contact, company, origin_number=origin_number)
        return await self.render(html, logo_path=company.logo_path)

    def render_piece_sync(
        self, piece: Piece, contact: Contact, company: IssuingCompany, *, origin_number: str = ""
    ) -> bytes:
        html = build_piece_html(piece, contact, company, origin_number=origin_number)
        return self.render_sync(html, logo_path=company.logo_path)

    async def render(self, html: str, *, logo_path: str = "") -> bytes:
        """Any HTML built on the documents/ assets (statements...), rendered without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), partial(render_pdf, html, logo_path=logo_path))

    def render_sync(self, html: str, *, logo_path: str = "") -> bytes:
        return self._executor().submit(render_pdf, html, logo_path=logo_path).result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PdfRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers, mp_context=multiprocessing.get_context("spawn")
                )
            return self._pool


@cache
def _font_configuration() -> FontConfiguration:
    """One per process: WeasyPrint is faster with it and memory stays flat."""
    return FontConfiguration()


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(DOCUMENTS_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=_money, date=_date, percent=_percent, quantity=_quantity)
    return env


@pass_context
def _money(context: Context, amount: Any) -> str:
    return format_money(amount, context["language"])


@pass_context
def _date(context: Context, value: Any) -> str:
    return format_date(value, context["language"])


@pass_context
def _percent(context: Context, rate: Any) -> str:
    return format_percent(rate, context["language"])


@pass_context
def _quantity(context: Context, quantity: Any) -> str:
    return format_quantity(quantity, context["language"])
