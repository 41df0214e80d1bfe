"""The one façade the UI and the command line share.

Repositories are synchronous and own their locks; every call to them here goes through `asyncio.to_thread`, so
no disk write and no scan of a hundred thousand pieces ever runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from batchmail import demo
from batchmail.documents.pdf import PdfRenderer
from batchmail.domain import csv_import as imports
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece
from batchmail.domain.selection import Criteria, PieceSummary, select
from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.history import SendRecord
from batchmail.sending.report import BatchReport
from batchmail.services.accounts import AccountService
from batchmail.services.company import CompanyService
from batchmail.services.printing import PrintingService
from batchmail.services.queue import QueueService
from batchmail.services.send import SendingService
from batchmail.services.templates import TemplateService
from batchmail.services.workspace import WorkspaceService
from storage.credentials import CredentialStore
from storage.stores import Stores, open_stores

Progress = Callable[[BatchReport], None]


@dataclass(frozen=True, slots=True)
class PieceRow:
    """A grid row: the piece's summary and the names of its contact."""

    summary: PieceSummary
    contact_name: str
    company: str


class Services:
    def __init__(
        self,
        stores: Stores,
        *,
        data_dir: Path,
        renderer: PdfRenderer,
        credentials: CredentialStore,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.stores = stores
        self.data_dir = data_dir
        self.renderer = renderer
        self.credentials = credentials
        self.today = today
        self.accounts = AccountService(self)
        self.sending = SendingService(self)
        self.queue = QueueService(self)
        self.templates = TemplateService(self)
        self.printing = PrintingService(self)
        self.workspace = WorkspaceService(self)
        self.company_settings = CompanyService(self)

    @classmethod
    def open(cls, data_dir: Path, *, today: Callable[[], date] = date.today) -> Services:
        """Open the stores of `data_dir` (raises StoreError naming a file that cannot be read).

        A mail still marked `sending` was cut off by a crash mid-flight and may have left: it becomes `uncertain`,
        never resent without the user's say."""
        stores = open_stores(data_dir)
        stores.outbox.mark_stale_sending_uncertain()
        return cls(
            stores,
            data_dir=data_dir,
            renderer=PdfRenderer(cache_dir=data_dir / "pdf-cache"),
            credentials=CredentialStore(data_dir),
            today=today,
        )

    def close(self) -> None:
        self.renderer.close()
        self.stores.close()

    # -- reading --------------------------------------------------------------------------------------------------

    async def is_empty(self) -> bool:
        return await asyncio.to_thread(lambda: self.stores.pieces.count() == 0 and self.stores.contacts.count() == 0)

    async def find_pieces(self, criteria: Criteria) -> list[PieceRow]:
        """The pieces matching `criteria`, newest first, with their contact's names."""

        def run() -> list[PieceRow]:
            contacts = self.stores.contacts.by_id()
            rows = select(self.stores.pieces.summaries(), criteria, contacts)
            unknown = Contact(name="?")
            return [
                PieceRow(summary=s, contact_name=(c := contacts.get(s.contact_id, unknown)).name, company=c.company)
                for s in rows
            ]

        return await asyncio.to_thread(run)

    async def piece(self, piece_id: int) -> Piece:
        return await asyncio.to_thread(self.stores.pieces.get, piece_id)

    async def pieces_by_number(self, numbers: Iterable[str]) -> list[Piece]:
        def run() -> list[Piece]:
            found = []
            for number in numbers:
                piece = self.stores.pieces.by_number(number)
                if piece is None:
                    raise NotFound(f"no piece numbered {number!r}")
                found.append(piece)
            return found

        return await asyncio.to_thread(run)

    async def contacts(self) -> list[Contact]:
        return await asyncio.to_thread(self.stores.contacts.all)

    async def company(self) -> IssuingCompany | None:
        return await asyncio.to_thread(self.stores.company.get)

    async def history_for_contact(self, contact_id: int) -> list[SendRecord]:
        return await asyncio.to_thread(self.stores.history.for_contact, contact_id)

    # -- data in ----------------------------------------------------------------------------------------------------

    async def load_demo(self, *, seed: int = 1) -> tuple[int, int]:
        """Fill an empty data directory with the demo company. Returns (contacts, pieces)."""
        if not await self.is_empty():
            raise InvalidInput(f"{self.data_dir} already holds data: demo data goes into an empty data directory")
        data = await asyncio.to_thread(demo.generate_demo, seed=seed, today=self.today())

        def store() -> None:
            self.stores.company.save(data.company)
            for user in data.users:
                self.stores.company.add_user(user)
            self.stores.contacts.add_many(data.contacts)
            self.stores.pieces.add_many(data.pieces)

        await asyncio.to_thread(store)
        return len(data.contacts), len(data.pieces)

    async def import_csv(self, kind: str, path: Path) -> int:
        """Import contacts, pieces or payments from a CSV file, all or nothing. Returns the rows' record count."""

        def run() -> int:
            if kind == "contacts":
                contacts = imports.parse_contacts(path)
                self.stores.contacts.add_many(contacts)
                return len(contacts)
            if kind == "pieces":
                known = set(self.stores.contacts.by_id())
                pieces = imports.parse_pieces(path, known_contact_ids=known)
                self.stores.pieces.add_many(pieces)
                return len(pieces)
            if kind == "payments":
                numbers = {s.number for s in self.stores.pieces.summaries()}
                payments = imports.parse_payments(path, known_numbers=numbers)
                by_number: dict[str, Piece] = {}
                for number, payment in payments:
                    piece = by_number.get(number) or self.stores.pieces.by_number(number)
                    assert piece is not None  # parse_payments checked every number
                    piece.payments.append(payment)
                    by_number[number] = piece
                for piece in by_number.values():
                    piece.status = piece.status_after_payment()
                self.stores.pieces.update_many(list(by_number.values()))
                return len(payments)
            raise InvalidInput(f"import: {kind!r} is not contacts, pieces or payments")

        return await asyncio.to_thread(run)


def money_total(rows: Iterable[PieceRow]) -> tuple[Decimal, Decimal]:
    """Total incl. tax and total balance due of grid rows."""
    total = balance = Decimal("0.00")
    for row in rows:
        total += row.summary.total_incl_tax
        balance += row.summary.balance
    return total, balance
