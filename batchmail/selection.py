"""Selecting pieces: criteria -> matching pieces, over light summary rows held in memory.

A `PieceSummary` is what the grid and the filters need of a piece, computed once when the store loads or the
piece changes, so a filter over a hundred thousand pieces never decodes lines or recomputes totals.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from batchmail.contacts import Contact
from batchmail.errors import InvalidInput
from batchmail.pieces import Piece, PieceType, Side, Status, StatusGroup


def fold(text: str) -> str:
    """Lower case without accents, so "Éric" matches "eric" and "Ó Briain" matches "o briain"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class PieceSummary:
    id: int
    number: str
    type: PieceType
    status: Status
    date: datetime.date
    due_date: datetime.date | None
    contact_id: int
    total_incl_tax: Decimal
    balance: Decimal
    nature: str
    last_sent: datetime.date | None
    search_text: str  # folded number, nature, reference and notes, for the free-text search

    @classmethod
    def of(cls, piece: Piece) -> PieceSummary:
        total = piece.totals.incl_tax
        return cls(
            id=piece.id,
            number=piece.number,
            type=piece.type,
            status=piece.status,
            date=piece.date,
            due_date=piece.due_date,
            contact_id=piece.contact_id,
            total_incl_tax=total,
            balance=piece.balance_of(total),
            nature=piece.nature,
            last_sent=piece.last_sent,
            search_text=fold(" ".join((piece.number, piece.nature, piece.reference, piece.notes))),
        )

    def is_overdue(self, today: datetime.date) -> bool:
        return self.type.sign > 0 and self.due_date is not None and self.due_date < today and self.balance > 0


@dataclass(kw_only=True, slots=True)
class Period:
    start: date | None = None
    end: date | None = None  # inclusive

    @classmethod
    def parse(cls, text: str) -> Period:
        """A year ("2026") or a month ("2026-10")."""
        try:
            if len(text) == 4:
                year = int(text)
                return cls(start=date(year, 1, 1), end=date(year, 12, 31))
            year, month = (int(part) for part in text.split("-"))
            start = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return cls(start=start, end=date.fromordinal(following.toordinal() - 1))
        except ValueError as err:
            raise InvalidInput(f"period: {text!r} is not a year (2026) or a month (2026-10)") from err


@dataclass(kw_only=True, slots=True)
class Criteria:
    """What the user filters on. Empty fields do not filter."""

    side: Side | None = None
    types: frozenset[PieceType] = frozenset()
    statuses: frozenset[Status] = frozenset()
    group: StatusGroup | None = None
    start: date | None = None
    end: date | None = None  # inclusive
    contact_ids: frozenset[int] = frozenset()
    min_amount: Decimal | None = None  # on the total incl. tax
    max_amount: Decimal | None = None
    nature: str = ""
    company: str = ""  # part of the contact's company name
    contact_name: str = ""  # part of the contact's name
    numbers: frozenset[str] = frozenset()
    text: str = ""  # part of the number, nature, reference, notes, contact or company name
    overdue_on: date | None = None  # only pieces overdue on that day
    ids: frozenset[int] | None = field(default=None)  # only these pieces (a batch)

    def with_period(self, period: Period) -> Criteria:
        self.start, self.end = period.start, period.end
        return self


def select(
    summaries: Iterable[PieceSummary],
    criteria: Criteria,
    contacts: Mapping[int, Contact],
) -> list[PieceSummary]:
    """The summaries matching every criterion, newest first, then by number."""
    tests = list(_tests(criteria, contacts))
    rows = [s for s in summaries if all(test(s) for test in tests)] if tests else list(summaries)
    rows.sort(key=lambda s: (s.date, s.number), reverse=True)
    return rows


Test = Callable[[PieceSummary], bool]


def _tests(c: Criteria, contacts: Mapping[int, Contact]) -> Iterable[Test]:
    """One predicate per criterion given, the cheapest and most selective first."""
    if c.ids is not None:
        ids = c.ids
        yield lambda s: s.id in ids
    if c.types:
        types = c.types
        yield lambda s: s.type in types
    elif c.side is not None:
        side = c.side
        yield lambda s: s.type.side is side
    if c.start is not None:
        start = c.start
        yield lambda s: s.date >= start
    if c.end is not None:
        end = c.end
        yield lambda s: s.date <= end
    statuses = c.statuses | (c.group.statuses if c.group else frozenset())
    if statuses:
        yield lambda s: s.status in statuses
    if c.numbers:
        numbers = c.numbers
        yield lambda s: s.number in numbers
    if c.contact_ids:
        contact_ids = c.contact_ids
        yield lambda s: s.contact_id in contact_ids
    if c.min_amount is not None:
        low = c.min_amount
        yield lambda s: s.total_incl_tax >= low
    if c.max_amount is not None:
        high = c.max_amount
        yield lambda s: s.total_incl_tax <= high
    if c.nature:
        nature = fold(c.nature)
        yield lambda s: nature in fold(s.nature)
    if c.overdue_on is not None:
        today = c.overdue_on
        yield lambda s: s.is_overdue(today)
    if c.company:
        wanted = _contacts_where(contacts, lambda ct: fold(c.company) in fold(ct.company))
        yield lambda s: s.contact_id in wanted
    if c.contact_name:
        wanted_names = _contacts_where(contacts, lambda ct: fold(c.contact_name) in fold(ct.name))
        yield lambda s: s.contact_id in wanted_names
    if c.text:
        needle = fold(c.text.strip())
        by_name = _contacts_where(contacts, lambda ct: needle in fold(f"{ct.name} {ct.company}"))
        yield lambda s: s.contact_id in by_name or needle in s.search_text


def _contacts_where(contacts: Mapping[int, Contact], keep: Callable[[Contact], bool]) -> frozenset[int]:
    return frozenset(cid for cid, contact in contacts.items() if keep(contact))
