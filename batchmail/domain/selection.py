"""Selecting pieces: criteria -> matching pieces, over light summary rows held in memory.

A `PieceSummary` is what the grid and the filters need of a piece, computed once when the store loads or the
piece changes, so a filter over a hundred thousand pieces never decodes lines or recomputes totals.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import itertools
import operator
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece, PieceRef, PieceType, Side, Status, StatusGroup
from batchmail.errors import InvalidInput


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
    reminders: int = 0  # payment reminders sent (the dunning level reached)
    last_reminder: datetime.date | None = None

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
            reminders=piece.reminder_level,
            last_reminder=piece.last_reminder,
        )

    def is_overdue(self, today: datetime.date) -> bool:
        return self.type.sign > 0 and self.due_date is not None and self.due_date < today and self.balance > 0


def refs(piece_ids: Iterable[int], known: Mapping[int, PieceSummary]) -> tuple[PieceRef, ...]:
    """The pieces of `piece_ids` still stored, as another piece names them (its origins, those derived from it)."""
    return tuple(PieceRef(s.id, s.type, s.number) for i in piece_ids if (s := known.get(i)) is not None)


def linked_ids(pieces: Iterable[Piece]) -> set[int]:
    """Every piece the pieces name as origin or as derived: the summaries to fetch for `refs`."""
    return {i for piece in pieces for i in (*piece.origin_ids, *piece.derived_ids)}


@dataclass(kw_only=True, slots=True)
class Period:
    start: date | None = None
    end: date | None = None  # inclusive

    @classmethod
    def parse(cls, text: str) -> Period:
        """A year ("2026") or a month ("2026-10")."""
        try:
            if "-" not in text:
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
    min_reminders: int | None = None  # only pieces reminded at least / at most that many times
    max_reminders: int | None = None
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
    rows = _narrow(list(summaries), criteria, contacts)
    _sort_newest_first(rows)
    return rows


def _sort_newest_first(rows: list[PieceSummary]) -> None:
    """Newest first, then by number (descending): two stable sorts on plain attributes, a third faster than one
    sort on a (date, number) tuple."""
    rows.sort(key=_NUMBER, reverse=True)
    rows.sort(key=_DATE, reverse=True)


_NUMBER, _DATE = operator.attrgetter("number"), operator.attrgetter("date")


class SummaryIndex:
    """The store's summaries in selection order (newest first, then by number), also split by type: a typical
    filter (a type, a year) reads a slice found by bisection instead of testing every piece, and its result needs
    no sorting. `select` gives the same rows as the function `select`.

    Built once per state of the store (sorting 100,000 pieces is most of the cost); `SummaryIndex(summaries,
    previous=...)` reuses the previous order when only the contents of pieces changed (a send marks them sent),
    not their date, number or type, nor which pieces there are.
    """

    __slots__ = ("_all", "_by_type", "by_id", "summaries")

    summaries: Sequence[PieceSummary]  # as the store gave them, to tell whether the store changed since
    by_id: dict[int, PieceSummary]
    _all: list[PieceSummary]  # newest first, then by number
    _by_type: dict[PieceType, list[PieceSummary]]  # the same order

    def __init__(self, summaries: Sequence[PieceSummary], *, previous: SummaryIndex | None = None) -> None:
        self.summaries = summaries
        self.by_id = {s.id: s for s in summaries}
        if previous is not None and previous._same_order(summaries):
            self._all = [self.by_id[s.id] for s in previous._all]
            self._by_type = {t: [self.by_id[s.id] for s in rows] for t, rows in previous._by_type.items()}
            return
        self._all = list(summaries)
        _sort_newest_first(self._all)
        self._by_type = {t: [] for t in PieceType}
        for summary in self._all:
            self._by_type[summary.type].append(summary)

    def holds(self, summaries: Sequence[PieceSummary]) -> bool:
        """True when `summaries` are exactly those the index was built from (the store did not change since)."""
        return len(summaries) == len(self.summaries) and all(map(operator.is_, summaries, self.summaries))

    def select(self, criteria: Criteria, contacts: Mapping[int, Contact]) -> list[PieceSummary]:
        """The summaries matching every criterion, newest first, then by number."""
        if criteria.ids is not None:
            rows = [s for i in criteria.ids if (s := self.by_id.get(i)) is not None]
            _sort_newest_first(rows)
            return _narrow(rows, dataclasses.replace(criteria, ids=None), contacts)
        rest = dataclasses.replace(criteria, start=None, end=None)
        source = self._all
        types = _types(criteria)
        if len(types) == 1:
            (only,) = types
            source = self._by_type[only]
            rest.types, rest.side = frozenset(), None
        return _narrow(_between(source, criteria.start, criteria.end), rest, contacts)

    def _same_order(self, summaries: Sequence[PieceSummary]) -> bool:
        """True when `summaries` are this index's pieces, in the same places, with the same dates, numbers and
        types: only their contents changed, so this index's order holds for them."""
        old = self.summaries
        if len(old) != len(summaries):
            return False
        for at in itertools.compress(range(len(old)), map(operator.is_not, old, summaries)):
            was, now = old[at], summaries[at]
            if (was.id, was.date, was.number, was.type) != (now.id, now.date, now.number, now.type):
                return False
        return True


def _between(rows: list[PieceSummary], start: date | None, end: date | None) -> list[PieceSummary]:
    """The rows (newest first) dated from `start` to `end` (inclusive, either open), found by bisection."""
    low = 0 if end is None else bisect.bisect_left(rows, -end.toordinal(), key=_days_back)
    high = len(rows) if start is None else bisect.bisect_right(rows, -start.toordinal(), key=_days_back)
    return rows[low:high]


def _days_back(summary: PieceSummary) -> int:
    """Ascending along rows sorted newest first."""
    return -summary.date.toordinal()


def _types(c: Criteria) -> frozenset[PieceType]:
    """The types the criteria allow; empty when any type will do."""
    if c.types:
        return c.types
    if c.side is not None:
        return frozenset(t for t in PieceType if t.side is c.side)
    return frozenset()


def _narrow(rows: list[PieceSummary], c: Criteria, contacts: Mapping[int, Contact]) -> list[PieceSummary]:
    """The rows matching every criterion, in their order; the cheapest and most selective tests first, each one
    pass over what the previous ones kept."""
    if c.ids is not None:
        ids = c.ids
        rows = [s for s in rows if s.id in ids]
    if types := _types(c):
        rows = [s for s in rows if s.type in types]
    if c.start is not None:
        start = c.start
        rows = [s for s in rows if s.date >= start]
    if c.end is not None:
        end = c.end
        rows = [s for s in rows if s.date <= end]
    if statuses := c.statuses | (c.group.statuses if c.group else frozenset()):
        rows = [s for s in rows if s.status in statuses]
    if c.numbers:
        numbers = c.numbers
        rows = [s for s in rows if s.number in numbers]
    if c.contact_ids:
        contact_ids = c.contact_ids
        rows = [s for s in rows if s.contact_id in contact_ids]
    if c.min_amount is not None:
        low = c.min_amount
        rows = [s for s in rows if s.total_incl_tax >= low]
    if c.max_amount is not None:
        high = c.max_amount
        rows = [s for s in rows if s.total_incl_tax <= high]
    if c.nature:
        nature = fold(c.nature)
        natures = {n for n in {s.nature for s in rows} if nature in fold(n)}  # a few distinct natures to fold
        rows = [s for s in rows if s.nature in natures]
    if c.overdue_on is not None:
        today = c.overdue_on
        rows = [s for s in rows if s.is_overdue(today)]
    if c.min_reminders is not None or c.max_reminders is not None:
        fewest, most = c.min_reminders or 0, c.max_reminders
        rows = [s for s in rows if fewest <= s.reminders and (most is None or s.reminders <= most)]
    if c.company:
        company = fold(c.company)
        by_company = _contacts_where(contacts, lambda ct: company in fold(ct.company))
        rows = [s for s in rows if s.contact_id in by_company]
    if c.contact_name:
        name = fold(c.contact_name)
        by_name = _contacts_where(contacts, lambda ct: name in fold(ct.name))
        rows = [s for s in rows if s.contact_id in by_name]
    if c.text:
        needle = fold(c.text.strip())
        named = _contacts_where(contacts, lambda ct: needle in fold(f"{ct.name} {ct.company}"))
        rows = [s for s in rows if s.contact_id in named or needle in s.search_text]
    return rows


def _contacts_where(contacts: Mapping[int, Contact], keep: Callable[[Contact], bool]) -> frozenset[int]:
    return frozenset(cid for cid, contact in contacts.items() if keep(contact))
