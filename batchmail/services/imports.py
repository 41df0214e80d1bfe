"""Data in: the demo company for an empty data directory, and CSV files of contacts, pieces and payments, each
imported all or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from batchmail import demo
from batchmail.domain import csv_import
from batchmail.domain.pieces import Piece
from batchmail.errors import InvalidInput
from batchmail.services.repositories import CompanyRepository, ContactRepository, PieceRepository, Today


class ImportService:
    def __init__(
        self, *, pieces: PieceRepository, contacts: ContactRepository, company: CompanyRepository, today: Today
    ) -> None:
        self._pieces = pieces
        self._contacts = contacts
        self._company = company
        self._today = today

    async def is_empty(self) -> bool:
        """Whether the data directory holds neither a piece nor a contact (a fresh install)."""
        return await asyncio.to_thread(lambda: self._pieces.count() == 0 and self._contacts.count() == 0)

    async def load_demo(self, *, seed: int = 1) -> tuple[int, int]:
        """Fill an empty data directory with the demo company. Returns (contacts, pieces)."""
        if not await self.is_empty():
            raise InvalidInput("the data directory already holds data: demo data goes into an empty one")
        data = await asyncio.to_thread(demo.generate_demo, seed=seed, today=self._today())

        def store() -> None:
            self._company.save(data.company)
            for user in data.users:
                self._company.add_user(user)
            self._contacts.add_many(data.contacts)
            self._pieces.add_many(data.pieces)

        await asyncio.to_thread(store)
        return len(data.contacts), len(data.pieces)

    async def import_csv(self, kind: str, path: Path) -> int:
        """Import contacts, pieces or payments from a CSV file, all or nothing. Returns the rows' record count."""

        def run() -> int:
            try:
                file = csv_import.CsvFile(name=str(path), data=path.read_bytes())
            except OSError as err:
                raise InvalidInput(f"{path}: cannot be read ({err.strerror})") from err
            if kind == "contacts":
                contacts = csv_import.parse_contacts(file, taken_ids=self._contacts.by_id().keys())
                self._contacts.add_many(contacts)
                return len(contacts)
            if kind == "pieces":
                known = self._contacts.by_id().keys()
                taken = {summary.number for summary in self._pieces.summaries()}
                pieces = csv_import.parse_pieces(file, known_contact_ids=known, taken_numbers=taken)
                self._pieces.add_many(pieces)
                return len(pieces)
            if kind == "payments":
                numbers = {s.number for s in self._pieces.summaries()}
                payments = csv_import.parse_payments(file, known_numbers=numbers)
                by_number: dict[str, Piece] = {}
                for number, payment in payments:
                    piece = by_number.get(number) or self._pieces.by_number(number)
                    assert piece is not None  # parse_payments checked every number
                    piece.payments.append(payment)
                    by_number[number] = piece
                for piece in by_number.values():
                    piece.status = piece.status_after_payment()
                self._pieces.update_many(list(by_number.values()))
                return len(payments)
            raise InvalidInput(f"import: {kind!r} is not contacts, pieces or payments")

        return await asyncio.to_thread(run)
