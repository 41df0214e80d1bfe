"""Printing: any piece, the whole batch or a summary as PDF bytes, for the batch screen and the command line.

Reading the stores and computing a summary run in a thread (`asyncio.to_thread`), rendering in the renderer's
process pool, merging in a thread: nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from batchmail.documents.pdf import PdfRenderer
from batchmail.documents.pdf_files import merge_pdfs
from batchmail.documents.summary_html import build_balance_html, build_consumption_html, build_statement_html
from batchmail.domain import summaries
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece, PieceRef
from batchmail.domain.selection import linked_ids, refs
from batchmail.domain.summaries import AgedBalance, Consumption, Statement, SummaryDocument
from batchmail.errors import ConfigurationError, InvalidInput, NotFound
from batchmail.services.repositories import CompanyRepository, ContactRepository, PieceRepository, Today

# Pieces handed to the renderer at once by `batch_pdf`: enough to keep every worker busy, few enough that the
# progress moves steadily and a failure stops the rest soon.
RENDER_WINDOW = 16

ProgressCallback = Callable[[int, int], None]  # (pieces done, pieces in all)


@dataclass(kw_only=True, slots=True)
class BatchPdf:
    pdf: bytes
    pieces: int  # the pieces it holds: those of the batch that still exist
    pages: int


@dataclass(kw_only=True, slots=True)
class _Printable:
    piece: Piece
    contact: Contact
    origins: tuple[PieceRef, ...]  # the pieces it was generated from that are still stored


class PrintingService:
    def __init__(
        self,
        *,
        pieces: PieceRepository,
        contacts: ContactRepository,
        company: CompanyRepository,
        renderer: PdfRenderer,
        today: Today,
    ) -> None:
        self._pieces = pieces
        self._contacts = contacts
        self._company = company
        self._renderer = renderer
        self._today = today

    # -- pieces -----------------------------------------------------------------------------------------------------

    async def piece_pdf(self, piece_id: int) -> bytes:
        """The PDF of one piece, in its contact's language, naming the piece it was generated from."""
        printables, company = await asyncio.to_thread(self._load_pieces, [piece_id])
        if not printables:
            raise NotFound(f"piece {piece_id} does not exist")
        return await self._render(printables[0], company)

    async def batch_pdf(self, piece_ids: Sequence[int], *, on_progress: ProgressCallback | None = None) -> BatchPdf:
        """One PDF of every piece of `piece_ids` in that order, each rendered as `piece_pdf` renders it (so
        through the renderer's cache and pool), merged in a thread. Ids of pieces deleted since are skipped.
        `on_progress(done, total)` is called on the event loop after each piece. InvalidInput when no piece is left.
        """
        printables, company = await asyncio.to_thread(self._load_pieces, piece_ids)
        if not printables:
            raise InvalidInput("there is no piece to print: the batch is empty")
        total, done = len(printables), 0
        pdfs = [b""] * total
        todo = iter(enumerate(printables))

        async def worker() -> None:
            nonlocal done
            for index, printable in todo:  # one iterator shared by the workers: each takes the next piece
                pdfs[index] = await self._render(printable, company)
                done += 1
                if on_progress is not None:
                    on_progress(done, total)

        workers = [asyncio.create_task(worker()) for _ in range(min(RENDER_WINDOW, total))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            raise
        merged, pages = await asyncio.to_thread(merge_pdfs, pdfs)
        return BatchPdf(pdf=merged, pieces=total, pages=pages)

    async def batch_contacts(self, piece_ids: Iterable[int]) -> list[Contact]:
        """The contacts of these pieces, each once, in the order of their first piece."""
        wanted = list(piece_ids)

        def run() -> list[Contact]:
            contact_of = {i: summary.contact_id for i, summary in self._pieces.summaries_of(wanted).items()}
            contacts = self._contacts.by_id()
            ids = dict.fromkeys(contact_of[i] for i in wanted if i in contact_of)
            return [contacts[i] for i in ids if i in contacts]

        return await asyncio.to_thread(run)

    async def piece_pdf_by_number(self, number: str) -> bytes:
        """`piece_pdf` of the piece numbered `number`; NotFound names the number."""
        piece = await asyncio.to_thread(self._pieces.by_number, number)
        if piece is None:
            raise NotFound(f"no piece numbered {number!r}")
        return await self.piece_pdf(piece.id)

    # -- summaries --------------------------------------------------------------------------------------------------

    async def statement(self, contact_id: int, *, start: date | None = None, end: date | None = None) -> Statement:
        """The statement of the contact and of every contact of the same company (same non-empty name)."""

        def run() -> Statement:
            contacts = self._contacts.by_id()
            contact = _contact(contacts, contact_id)
            group = [contact] + [
                c for c in contacts.values() if contact.company and c.company == contact.company and c.id != contact.id
            ]
            pieces = self._counted_pieces({c.id for c in group}, until=end)
            return summaries.statement(pieces, group, start=start, end=end, today=self._today())

        return await asyncio.to_thread(run)

    async def statement_pdf(self, contact_id: int, *, start: date | None = None, end: date | None = None) -> bytes:
        return await self.summary_pdf(await self.statement(contact_id, start=start, end=end))

    async def aged_balance(
        self, *, as_of: date | None = None, contact_ids: Collection[int] | None = None
    ) -> AgedBalance:
        """What every customer (or those of `contact_ids`) owes on `as_of` (default: today), by age."""

        def run() -> AgedBalance:
            contacts = self._contacts.by_id()
            if contact_ids is None:
                chosen = list(contacts.values())
            else:
                chosen = [_contact(contacts, contact_id) for contact_id in contact_ids]
            day = as_of or self._today()
            pieces = self._counted_pieces({c.id for c in chosen}, until=day)
            return summaries.aged_balance(pieces, chosen, as_of=day)

        return await asyncio.to_thread(run)

    async def balance_pdf(self, *, as_of: date | None = None, contact_ids: Collection[int] | None = None) -> bytes:
        return await self.summary_pdf(await self.aged_balance(as_of=as_of, contact_ids=contact_ids))

    async def consumption(self, contact_id: int, *, start: date, end: date) -> Consumption:
        """What the contact was invoiced from `start` to `end`, per description, credit notes deducted."""

        def run() -> Consumption:
            contact = _contact(self._contacts.by_id(), contact_id)
            pieces = self._counted_pieces({contact_id}, until=end)
            return summaries.consumption(pieces, contact, start=start, end=end)

        return await asyncio.to_thread(run)

    async def consumption_pdf(self, contact_id: int, *, start: date, end: date) -> bytes:
        return await self.summary_pdf(await self.consumption(contact_id, start=start, end=end))

    async def summary_pdf(self, document: SummaryDocument) -> bytes:
        """The PDF of a summary `statement`, `aged_balance` or `consumption` computed, on the company's letterhead.
        The HTML is built in a thread (a long statement is a few thousand rows of template), rendered in the pool."""

        def run() -> tuple[str, str]:
            company = self._issuer()
            if isinstance(document, Statement):
                html = build_statement_html(document, company)
            elif isinstance(document, AgedBalance):
                html = build_balance_html(document, company)
            else:
                html = build_consumption_html(document, company)
            return html, company.logo_path

        html, logo_path = await asyncio.to_thread(run)
        return await self._renderer.render(html, logo_path=logo_path)

    # -- helpers ----------------------------------------------------------------------------------------------------

    def _load_pieces(self, piece_ids: Iterable[int]) -> tuple[list[_Printable], IssuingCompany]:
        """The pieces of `piece_ids` that exist, in that order, with their contacts and origins. An origin deleted
        since leaves the piece printing without the reference."""
        wanted = list(piece_ids)
        stored = self._pieces.summaries_of(wanted)
        pieces = self._pieces.get_many(i for i in wanted if i in stored)
        linked = self._pieces.summaries_of(linked_ids(pieces))
        contacts = self._contacts.by_id()
        printables = [
            _Printable(
                piece=piece, contact=_contact(contacts, piece.contact_id), origins=refs(piece.origin_ids, linked)
            )
            for piece in pieces
        ]
        return printables, self._issuer()

    async def _render(self, printable: _Printable, company: IssuingCompany) -> bytes:
        return await self._renderer.render_piece(printable.piece, printable.contact, company, origins=printable.origins)

    def _counted_pieces(self, contact_ids: Collection[int], *, until: date | None) -> list[Piece]:
        """The pieces the summaries count for these contacts, dated up to `until`; the light summaries choose,
        so only those pieces are decoded."""
        wanted = summaries.COUNTED_TYPES
        ids = [
            s.id
            for s in self._pieces.summaries()
            if s.contact_id in contact_ids and s.type in wanted and (until is None or s.date <= until)
        ]
        return [piece for piece in self._pieces.get_many(ids) if summaries.counts(piece)]

    def _issuer(self) -> IssuingCompany:
        company = self._company.get()
        if company is None:
            raise ConfigurationError("no issuing company: set it up in the settings (or load the demo data)")
        return company


def _contact(contacts: Mapping[int, Contact], contact_id: int) -> Contact:
    contact = contacts.get(contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact
