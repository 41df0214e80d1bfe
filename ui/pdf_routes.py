"""The PDF routes the preview frames and the downloads point at: a piece, a summary (statement, customer balance,
consumption list) described by its query parameters, and the PDFs a job made (the batch's), kept for a while.

A route takes its parameters from the request and checks them (a bad one is a 400 that names it); what it reads
from the stores and renders goes through the printing service, in threads and the renderer's pool, never on the
event loop.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from urllib.parse import urlencode

from nicegui import app as nicegui_app
from starlette.requests import Request
from starlette.responses import Response

from batchmail.documents.file_names import summary_filename
from batchmail.domain.summaries import SummaryDocument
from batchmail.errors import BatchMailError, InvalidInput, NotFound
from batchmail.services.printing import PrintingService
from batchmail.wiring import App
from ui import i18n

PIECE_ROUTE = "/pdf/piece/{piece_id}"
SUMMARY_ROUTE = "/pdf/summary/{kind}"
KEPT_ROUTE = "/pdf/kept/{token}"
KEPT_LIMIT = 2  # batch PDFs kept in memory: the last one, and the one before while its preview may be open
PDF = "application/pdf"
BatchIds = Callable[[], Awaitable[list[int]]]  # the pieces of the batch, now


class Summary(StrEnum):
    statement = "statement"  # relevé de factures: a contact and its company over a period
    balance = "balance"  # balance client: every customer, or those of the batch, on a day
    consumption = "consumption"  # liste des consos: a contact over a period


class Scope(StrEnum):
    all = "all"  # every customer
    batch = "batch"  # the contacts of the pieces in the batch, when the PDF is made


_PARAMETERS = frozenset({"contact", "from", "to", "as_of", "scope"})


@dataclass(frozen=True, kw_only=True, slots=True)
class SummaryRequest:
    """One summary as the Print tab asks for it, and as its route's query parameters carry it."""

    kind: Summary
    contact_id: int | None = None  # statement and consumption
    start: date | None = None  # optional on a statement (from the first piece), required on a consumption list
    end: date | None = None  # optional on a statement (up to today), required on a consumption list
    as_of: date | None = None  # balance; None: today
    scope: Scope = Scope.all  # balance

    def problem(self) -> str | None:
        """The label key of what keeps it from being printed, None when nothing does."""
        if self.kind is not Summary.balance and self.contact_id is None:
            return "print.error.no_contact"
        if self.kind is Summary.consumption and (self.start is None or self.end is None):
            return "print.error.no_period"
        if self.start and self.end and self.start > self.end:
            return "print.error.period"
        return None

    def url(self) -> str:
        values = {"contact": self.contact_id, "from": self.start, "to": self.end, "as_of": self.as_of}
        query = {name: str(value) for name, value in values.items() if value is not None}
        if self.kind is Summary.balance:
            query["scope"] = self.scope.value
        return SUMMARY_ROUTE.format(kind=self.kind.value) + (f"?{urlencode(query)}" if query else "")

    @classmethod
    def from_query(cls, kind: str, params: Mapping[str, str]) -> SummaryRequest:
        """The request a summary URL describes; InvalidInput names the parameter that cannot be read."""
        unknown = sorted(set(params) - _PARAMETERS)
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}: expected {', '.join(sorted(_PARAMETERS))}")
        try:
            summary, scope = Summary(kind), Scope(params.get("scope", Scope.all.value))
        except ValueError as err:
            expected = f"a summary among {', '.join(Summary)}, a scope among {', '.join(Scope)}"
            raise InvalidInput(f"{err}: expected {expected}") from err
        contact = params.get("contact")
        if contact is not None and not (contact.isascii() and contact.isdigit()):
            raise InvalidInput(f"contact: {contact!r} is not a contact id")
        return cls(
            kind=summary,
            contact_id=int(contact) if contact is not None else None,
            start=_day(params, "from"),
            end=_day(params, "to"),
            as_of=_day(params, "as_of"),
            scope=scope,
        )

    async def document(self, printing: PrintingService, batch_ids: BatchIds) -> SummaryDocument:
        """The summary's figures, read from the stores now (`batch_ids`: the pieces of the batch, for a balance of
        the batch's customers). InvalidInput for a request with a `problem`."""
        problem = self.problem()
        if problem is not None:
            raise InvalidInput(i18n.t(problem))
        if self.kind is Summary.balance:
            contact_ids = None
            if self.scope is Scope.batch:
                contacts = await printing.batch_contacts(await batch_ids())
                contact_ids = [contact.id for contact in contacts]
            return await printing.aged_balance(as_of=self.as_of, contact_ids=contact_ids)
        assert self.contact_id is not None  # problem() says so
        if self.kind is Summary.statement:
            return await printing.statement(self.contact_id, start=self.start, end=self.end)
        assert self.start is not None and self.end is not None
        return await printing.consumption(self.contact_id, start=self.start, end=self.end)


def _day(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise InvalidInput(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from err


@dataclass(frozen=True, kw_only=True, slots=True)
class KeptPdf:
    filename: str
    pages: int
    pieces: int
    pdf: bytes = field(repr=False)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def url(self) -> str:
        return KEPT_ROUTE.format(token=self.token)

    @property
    def download_url(self) -> str:
        return f"{self.url}?download=1"


class KeptPdfs:
    """The last PDFs a job made, served by an unguessable token until newer ones push them out."""

    def __init__(self, limit: int = KEPT_LIMIT) -> None:
        self._limit = limit
        self._kept: OrderedDict[str, KeptPdf] = OrderedDict()

    def keep(self, kept: KeptPdf) -> KeptPdf:
        self._kept[kept.token] = kept
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)
        return kept

    def get(self, token: str) -> KeptPdf | None:
        return self._kept.get(token)


KEPT = KeptPdfs()


def register_pdf_route(app: App) -> None:
    """The PDF routes; each renders on demand (the renderer's cache answers a PDF already made)."""

    @nicegui_app.get(PIECE_ROUTE)
    async def piece_pdf(piece_id: int) -> Response:
        try:
            pdf = await app.printing.piece_pdf(piece_id)
        except BatchMailError as err:
            return _text(str(err), 404)
        return _pdf(pdf, "")

    @nicegui_app.get(SUMMARY_ROUTE)
    async def summary_pdf(kind: str, request: Request) -> Response:
        try:
            summary = SummaryRequest.from_query(kind, request.query_params)
            document = await summary.document(app.printing, app.workspace.batch_ids)
            pdf = await app.printing.summary_pdf(document)
        except NotFound as err:
            return _text(str(err), 404)
        except BatchMailError as err:
            return _text(str(err), 400)
        return _pdf(pdf, summary_filename(document, i18n.language()))

    @nicegui_app.get(KEPT_ROUTE)
    async def kept_pdf(token: str, request: Request) -> Response:
        kept = KEPT.get(token)
        if kept is None:
            return _text("this PDF is no longer kept: print it again", 404)
        return _pdf(kept.pdf, kept.filename, download=request.query_params.get("download") == "1")


def _pdf(pdf: bytes, filename: str, *, download: bool = False) -> Response:
    disposition = "attachment" if download else "inline"
    if filename:  # an ASCII name made by document_html.pdf_file_name: nothing to quote
        disposition += f'; filename="{filename}"'
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": disposition})


def _text(message: str, status: int) -> Response:
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8")
