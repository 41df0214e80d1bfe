"""Printing: any piece or summary as PDF bytes, for the batch screen's preview and the command line.

Reading the stores and computing a summary run in a thread (`asyncio.to_thread`), rendering in the renderer's
process pool: nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import TYPE_CHECKING

from batchmail import summaries
from batchmail.contacts import Contact, IssuingCompany
from batchmail.errors import ConfigurationError, NotFound
from batchmail.pieces import Piece
from batchmail.summaries import AgedBalance, Consumption, Statement
from batchmail.summary_html import build_balance_html, build_consumption_html, build_statement_html

if TYPE_CHECKING:
    from batchmail.services import Services


class PrintingService:
    def __init__(self, services: Services) -> None:
        self._services = services

    # -- pieces -----------------------------------------------------------------------------------------------------

    async def piece_pdf(self, piece_id: int) -> bytes:
        """The PDF of one piece, in its contact's language, naming the piece it was generated from."""
        piece, contact, company, origin = await asyncio.to_thread(self._load_piece, piece_id)
        return await self._services.renderer.render_piece(piece, contact, company, origin_number=origin)

    async def piece_pdf_by_number(self, number: str) -> bytes:
        """`piece_pdf` of the piece numbered `number`; NotFound names the number."""
        piece = await asyncio.to_thread(self._services.stores.pieces.by_number, number)
        if piece is None:
            raise NotFound(f"no piece numbered {number!r}")
        return await self.piece_pdf(piece.id)

    # -- summaries --------------------------------------------------------------------------------------------------

    async def statement(self, contact_id: int, *, start: date | None = None, end: date | None = None) -> Statement:
        """The statement of the contact and of every contact of the same company (same non-empty name)."""

        def run() -> Statement:
            contacts = self._services.stores.contacts.by_id()
            contact = _contact(contacts, contact_id)
            group = [contact] + [
                c for c in contacts.values() if contact.company and c.company == contact.company and c.id != contact.id
            ]
            pieces = self._pieces({c.id for c in group}, until=end)
            return summaries.statement(pieces, group, start=start, end=end, today=self._services.today())

        return await asyncio.to_thread(run)

    async def statement_pdf(self, contact_id: int, *, start: date | None = None, end: date | None = None) -> bytes:
        statement = await self.statement(contact_id, start=start, end=end)
        return await self._pdf(lambda company: build_statement_html(statement, company))

    async def aged_balance(
        self, *, as_of: date | None = None, contact_ids: Collection[int] | None = None
    ) -> AgedBalance:
        """What every customer (or those of `contact_ids`) owes on `as_of` (default: today), by age."""

        def run() -> AgedBalance:
            contacts = self._services.stores.contacts.by_id()
            if contact_ids is None:
                chosen = list(contacts.values())
            else:
                chosen = [_contact(contacts, contact_id) for contact_id in contact_ids]
            day = as_of or self._services.today()
            pieces = self._pieces({c.id for c in chosen}, until=day)
            return summaries.aged_balance(pieces, chosen, as_of=day)

        return await asyncio.to_thread(run)

    async def balance_pdf(self, *, as_of: date | None = None, contact_ids: Collection[int] | None = None) -> bytes:
        balance = await self.aged_balance(as_of=as_of, contact_ids=contact_ids)
        return await self._pdf(lambda company: build_balance_html(balance, company))

    async def consumption(self, contact_id: int, *, start: date, end: date) -> Consumption:
        """What the contact was invoiced from `start` to `end`, per description, credit notes deducted."""

        def run() -> Consumption:
            contact = _contact(self._services.stores.contacts.by_id(), contact_id)
            pieces = self._pieces({contact_id}, until=end)
            return summaries.consumption(pieces, contact, start=start, end=end)

        return await asyncio.to_thread(run)

    async def consumption_pdf(self, contact_id: int, *, start: date, end: date) -> bytes:
        consumption = await self.consumption(contact_id, start=start, end=end)
        return await self._pdf(lambda company: build_consumption_html(consumption, company))

    # -- helpers ----------------------------------------------------------------------------------------------------

    def _load_piece(self, piece_id: int) -> tuple[Piece, Contact, IssuingCompany, str]:
        stores = self._services.stores
        piece = stores.pieces.get(piece_id)
        contact = _contact(stores.contacts.by_id(), piece.contact_id)
        origin = ""
        if piece.origin_id is not None:
            try:
                origin = stores.pieces.get(piece.origin_id).number
            except NotFound:
                origin = ""  # the origin was deleted since: the piece prints without the reference
        return piece, contact, self._company(), origin

    def _pieces(self, contact_ids: Collection[int], *, until: date | None) -> list[Piece]:
        """The pieces the summaries count for these contacts, dated up to `until`; the light summaries choose,
        so only those pieces are decoded."""
        wanted = summaries.COUNTED_TYPES
        ids = [
            s.id
            for s in self._services.stores.pieces.summaries()
            if s.contact_id in contact_ids and s.type in wanted and (until is None or s.date <= until)
        ]
        return [piece for piece in self._services.stores.pieces.get_many(ids) if summaries.counts(piece)]

    def _company(self) -> IssuingCompany:
        company = self._services.stores.company.get()
        if company is None:
            raise ConfigurationError("no issuing company: set it up in the settings (or load the demo data)")
        return company

    async def _pdf(self, build: Callable[[IssuingCompany], str]) -> bytes:
        """Build the HTML in a thread (a long statement is a few thousand rows of template), render it in the pool."""

        def run() -> tuple[str, str]:
            company = self._company()
            return build(company), company.logo_path

        html, logo_path = await asyncio.to_thread(run)
        return await self._services.renderer.render(html, logo_path=logo_path)


def _contact(contacts: Mapping[int, Contact], contact_id: int) -> Contact:
    contact = contacts.get(contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


_PAGES_DICT = re.compile(rb"<<[^<>]*?/Type\s*/Pages\b[^<>]*>>")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")


def page_count(pdf: bytes) -> int:
    """How many pages a PDF written by WeasyPrint has: the /Count of its page tree, which pydyf keeps flat and
    may put in a compressed object stream. A reader for our own output, not for any PDF."""
    chunks = [pdf]
    for match in _STREAM.finditer(pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            chunks.append(zlib.decompress(pdf[match.end() : end]))
        except zlib.error:
            continue  # not a Flate stream (an image, a font)
    counts = [int(count) for chunk in chunks for d in _PAGES_DICT.findall(chunk) for count in _COUNT.findall(d)]
    if not counts:
        raise ValueError("no page tree found in the PDF")
    return max(counts)
