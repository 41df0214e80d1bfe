"""The batch workspace behind the main screen: the batch ("lot"), the remembered filters, pages of matching
pieces for the grid, and quick views of one piece or one contact.

The batch is a list of piece ids kept in the settings store, so it outlives a page reload and a restart and is
kept apart from whatever the filters show. The grid asks for its rows a page at a time as it scrolls: the store's
summaries are indexed once (`SummaryIndex`: sorted newest first, split by type), and the last few filters' rows
and totals are kept, each with its rows in the orders asked for, so scrolling through 20,000 rows is slicing a
list. The index and what was kept are used only while the pieces and contacts they were computed from are still
the store's current ones (the store replaces a piece's frozen summary when the piece changes, and its contacts
snapshot when a contact changes), so a send or an import shows at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Any, NamedTuple

from batchmail.domain.contacts import Contact
from batchmail.domain.money import ZERO
from batchmail.domain.pieces import Piece, PieceRef, PieceType, Status
from batchmail.domain.selection import Criteria, PieceSummary, SummaryIndex, fold, refs
from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.history import SendRecord
from batchmail.services.repositories import ContactRepository, HistoryRepository, PieceRepository, SettingsRepository

BATCH_KEY = "workspace.batch"
FILTERS_KEY = "workspace.filters"
_KEPT_RESULTS = 8  # the main grid, the batch grid, a contact's pieces, the filters just left: a few at once
_UNKNOWN = Contact(name="?")
_TYPE_ORDER = {t: n for n, t in enumerate(PieceType)}
_STATUS_ORDER = {s: n for n, s in enumerate(Status)}
_TOTAL, _BALANCE = attrgetter("total_incl_tax"), attrgetter("balance")


class SortKey(StrEnum):
    number = "number"  # piece number, as text
    type = "type"  # document type, in the order of the trade (quote, order, ... invoice, credit note)
    date = "date"  # piece date
    due_date = "due_date"  # due date, pieces without one first
    contact = "contact"  # contact name, without case or accents
    company = "company"  # contact's company name, without case or accents
    total = "total"  # total including tax
    balance = "balance"  # balance still due
    status = "status"  # status, in the order of a piece's life
    last_sent = "last_sent"  # date last sent, never-sent pieces first
    reminders = "reminders"  # payment reminders sent, then the day of the last one


@dataclass(frozen=True, slots=True)
class Sort:
    key: SortKey = SortKey.date
    descending: bool = True


@dataclass(frozen=True, slots=True)
class PieceTotals:
    """How many pieces, their total including tax and the balance still due on them."""

    count: int
    total_incl_tax: Decimal
    balance: Decimal

    @classmethod
    def of(cls, summaries: Iterable[PieceSummary]) -> PieceTotals:
        rows = summaries if isinstance(summaries, list) else list(summaries)
        return cls(count=len(rows), total_incl_tax=sum(map(_TOTAL, rows), ZERO), balance=sum(map(_BALANCE, rows), ZERO))


@dataclass(frozen=True, slots=True)
class PieceRow:
    """A grid row: the piece's summary and the names of its contact."""

    summary: PieceSummary
    contact_name: str
    company: str


class Page(NamedTuple):
    rows: list[PieceRow]
    total: int  # how many pieces match in all


@dataclass(kw_only=True, slots=True)
class PieceView:
    piece: Piece
    contact: Contact | None  # None when the piece names a contact the store does not have
    history: list[SendRecord]  # the mails that carried the piece, newest first
    origins: tuple[PieceRef, ...]  # the pieces it was transformed or consolidated from
    derived: tuple[PieceRef, ...]  # the pieces generated from it
    in_batch: bool


@dataclass(kw_only=True, slots=True)
class ContactView:
    contact: Contact
    pieces: list[PieceSummary]  # newest first
    totals: PieceTotals
    history: list[SendRecord]  # newest first


@dataclass(kw_only=True, slots=True)
class _Matched:
    """What one filter matches: its rows newest first, their totals, and the rows in each other order asked."""

    rows: list[PieceSummary]
    totals: PieceTotals
    orders: dict[Sort, list[PieceSummary]] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class _Snapshot:
    """The store as the kept results were computed from it."""

    index: SummaryIndex
    contacts: Mapping[int, Contact]
    results: OrderedDict[Hashable, _Matched] = field(default_factory=OrderedDict)
    folded: dict[SortKey, dict[int, str]] = field(default_factory=dict)  # contact id -> folded name, company


class WorkspaceService:
    def __init__(
        self,
        *,
        pieces: PieceRepository,
        contacts: ContactRepository,
        settings: SettingsRepository,
        history: HistoryRepository,
    ) -> None:
        self._pieces = pieces
        self._contacts = contacts
        self._settings = settings
        self._history = history
        self._snapshot: _Snapshot | None = None
        self._snapshot_lock = threading.Lock()  # the snapshot and its results, from several worker threads
        self._batch_lock = threading.Lock()  # read-modify-write of the batch from several worker threads

    # -- the grid ----------------------------------------------------------------------------------------------

    async def page(self, criteria: Criteria, start: int, count: int, sort: Sort | None = None) -> Page:
        """Rows `start` to `start + count` of the pieces matching `criteria` in `sort` order, and how many match."""
        if start < 0 or count < 0:
            raise InvalidInput(f"page: start {start} and count {count} must not be negative")

        return await asyncio.to_thread(self._page, criteria, start, count, sort or Sort())

    async def find(self, criteria: Criteria) -> list[PieceRow]:
        """Every piece matching `criteria`, newest first, with its contact's names (the `list` command's rows)."""

        def run() -> list[PieceRow]:
            snapshot, matched = self._matched(criteria)
            return _rows(matched.rows, snapshot.contacts)

        return await asyncio.to_thread(run)

    async def matching(self, criteria: Criteria) -> PieceTotals:
        """How many pieces match, their total including tax and their balance due."""
        return await asyncio.to_thread(lambda: self._matched(criteria)[1].totals)

    async def matching_page(self, criteria: Criteria, count: int, sort: Sort | None = None) -> tuple[PieceTotals, Page]:
        """`matching(criteria)` and `page(criteria, 0, count, sort)` in one call: what a filter change shows."""
        if count < 0:
            raise InvalidInput(f"page: count {count} must not be negative")

        def run() -> tuple[PieceTotals, Page]:
            return self._matched(criteria)[1].totals, self._page(criteria, 0, count, sort or Sort())

        return await asyncio.to_thread(run)

    async def matching_ids(self, criteria: Criteria, *, excluding: Iterable[int] = ()) -> list[int]:
        """The ids of every matching piece but `excluding`, newest first (the grid's "All", less what was unticked)."""
        left_out = frozenset(excluding)
        return await asyncio.to_thread(lambda: [s.id for s in self._matched(criteria)[1].rows if s.id not in left_out])

    async def unknown_numbers(self, numbers: Iterable[str]) -> list[str]:
        """Those of `numbers` that no piece has, sorted."""
        wanted = set(numbers)
        if not wanted:
            return []
        return await asyncio.to_thread(lambda: sorted(wanted - {s.number for s in self._summaries_by_id().values()}))

    # -- the batch ---------------------------------------------------------------------------------------------

    async def batch_ids(self) -> list[int]:
        """The pieces in the batch, in the order they were added (a piece no longer in the store is left out)."""
        return await asyncio.to_thread(self._current_batch)

    async def add_to_batch(self, piece_ids: Iterable[int]) -> PieceTotals:
        """Add pieces to the batch (those already in it stay where they are); raises NotFound for an unknown id."""
        wanted = list(dict.fromkeys(piece_ids))

        def run() -> PieceTotals:
            known = self._summaries_by_id()
            missing = [i for i in wanted if i not in known]
            if missing:
                raise NotFound(f"batch: no piece with id {', '.join(map(str, missing[:10]))}")
            with self._batch_lock:
                batch = self._current_batch(known)
                already = set(batch)
                self._save_batch([*batch, *(i for i in wanted if i not in already)])
            return self._batch_totals(known)

        return await asyncio.to_thread(run)

    async def remove_from_batch(self, piece_ids: Iterable[int]) -> PieceTotals:
        leaving = frozenset(piece_ids)

        def run() -> PieceTotals:
            known = self._summaries_by_id()
            with self._batch_lock:
                self._save_batch([i for i in self._current_batch(known) if i not in leaving])
            return self._batch_totals(known)

        return await asyncio.to_thread(run)

    async def clear_batch(self) -> None:
        await asyncio.to_thread(self._save_batch, [])

    async def batch_summary(self) -> PieceTotals:
        """Count, total including tax and total balance due of the batch."""
        return await asyncio.to_thread(lambda: self._batch_totals(self._summaries_by_id()))

    # -- remembered filters ------------------------------------------------------------------------------------

    async def remembered_filters(self) -> dict[str, Any]:
        """The filters saved by the last `remember_filters`, or {}."""
        saved = await asyncio.to_thread(self._settings.get, FILTERS_KEY, {})
        return saved if isinstance(saved, dict) else {}

    async def remember_filters(self, values: Mapping[str, Any]) -> None:
        """Keep the filters for the next use of the app (plain JSON values only)."""
        await asyncio.to_thread(self._settings.set, FILTERS_KEY, dict(values))

    # -- quick views -------------------------------------------------------------------------------------------

    async def piece_view(self, piece_id: int) -> PieceView:
        def run() -> PieceView:
            piece = self._pieces.get(piece_id)
            contact = self._contacts.by_id().get(piece.contact_id)
            known = self._summaries_by_id()
            return PieceView(
                piece=piece,
                contact=contact,
                history=self._history.for_piece(piece_id),
                origins=refs(piece.origin_ids, known),
                derived=refs(piece.derived_ids, known),
                in_batch=piece_id in self._current_batch(known),
            )

        return await asyncio.to_thread(run)

    async def contact_view(self, contact_id: int) -> ContactView:
        def run() -> ContactView:
            contact = self._contacts.get(contact_id)
            pieces = self._matched(Criteria(contact_ids=frozenset({contact_id})))[1]
            return ContactView(
                contact=contact,
                pieces=pieces.rows,
                totals=pieces.totals,
                history=self._history.for_contact(contact_id),
            )

        return await asyncio.to_thread(run)

    async def find_contacts(self, text: str = "", *, limit: int | None = None) -> list[Contact]:
        """Contacts whose name, company or address contains `text` (without case or accents), by name."""
        needle = fold(text.strip())

        def run() -> list[Contact]:
            contacts = self._contacts.by_id().values()
            found = [c for c in contacts if not needle or needle in fold(f"{c.name} {c.company} {' '.join(c.emails)}")]
            found.sort(key=lambda c: (fold(c.name), c.id))
            return found[:limit] if limit is not None else found

        return await asyncio.to_thread(run)

    async def contacts_by_id(self, contact_ids: Iterable[int]) -> list[Contact]:
        """The contacts with these ids that exist, in that order."""
        wanted = list(contact_ids)

        def run() -> list[Contact]:
            contacts = self._contacts.by_id()
            return [contacts[i] for i in wanted if i in contacts]

        return await asyncio.to_thread(run)

    # -- internals (worker threads) ---------------------------------------------------------------------------

    def _page(self, criteria: Criteria, start: int, count: int, sort: Sort) -> Page:
        snapshot, matched = self._matched(criteria)
        rows = matched.rows if sort == Sort() else matched.orders.get(sort)
        if rows is None:
            rows = sorted(matched.rows, key=_sort_key(sort.key, snapshot), reverse=sort.descending)
            with self._snapshot_lock:
                matched.orders[sort] = rows
        return Page(rows=_rows(rows[start : start + count], snapshot.contacts), total=len(rows))

    def _matched(self, criteria: Criteria) -> tuple[_Snapshot, _Matched]:
        """The kept result of `criteria` on the store as it is now, computed when there is none."""
        snapshot = self._current()
        key = _key(criteria)
        with self._snapshot_lock:
            kept = snapshot.results.get(key)
            if kept is not None:
                snapshot.results.move_to_end(key)
                return snapshot, kept
        rows = snapshot.index.select(criteria, snapshot.contacts)
        matched = _Matched(rows=rows, totals=PieceTotals.of(rows))
        with self._snapshot_lock:
            snapshot.results[key] = matched
            while len(snapshot.results) > _KEPT_RESULTS:
                snapshot.results.popitem(last=False)
        return snapshot, matched

    def _current(self) -> _Snapshot:
        """The index of the store's summaries and its contacts as they are now, built again when either changed."""
        summaries = self._pieces.summaries()
        contacts = self._contacts.by_id()
        with self._snapshot_lock:
            kept = self._snapshot
            if kept is not None and kept.index.holds(summaries):
                if kept.contacts is contacts:
                    return kept
                index = kept.index
            else:
                # Built under the lock: a thread asking meanwhile waits for this index instead of sorting too.
                index = SummaryIndex(summaries, previous=kept.index if kept is not None else None)
            self._snapshot = _Snapshot(index=index, contacts=contacts)
            return self._snapshot

    def _summaries_by_id(self) -> Mapping[int, PieceSummary]:
        return self._current().index.by_id

    def _current_batch(self, known: Mapping[int, PieceSummary] | None = None) -> list[int]:
        known = self._summaries_by_id() if known is None else known
        saved = self._settings.get(BATCH_KEY, [])
        return [i for i in saved if isinstance(i, int) and i in known]

    def _save_batch(self, piece_ids: list[int]) -> None:
        self._settings.set(BATCH_KEY, piece_ids)

    def _batch_totals(self, known: Mapping[int, PieceSummary]) -> PieceTotals:
        return PieceTotals.of(known[i] for i in self._current_batch(known))


def _key(criteria: Criteria) -> Hashable:
    return tuple(getattr(criteria, f.name) for f in dataclasses.fields(criteria))


def _rows(summaries: Iterable[PieceSummary], contacts: Mapping[int, Contact]) -> list[PieceRow]:
    rows = []
    for summary in summaries:
        contact = contacts.get(summary.contact_id, _UNKNOWN)
        rows.append(PieceRow(summary=summary, contact_name=contact.name, company=contact.company))
    return rows


def _sort_key(key: SortKey, snapshot: _Snapshot) -> Callable[[PieceSummary], Any]:
    if key in (SortKey.contact, SortKey.company):
        attribute = "name" if key is SortKey.contact else "company"
        folded = snapshot.folded.get(key)
        if folded is None:
            folded = snapshot.folded[key] = {i: fold(getattr(c, attribute)) for i, c in snapshot.contacts.items()}
        unknown = fold(getattr(_UNKNOWN, attribute))
        return lambda s: folded.get(s.contact_id, unknown)
    keys: dict[SortKey, Callable[[PieceSummary], Any]] = {
        SortKey.number: attrgetter("number"),
        SortKey.type: lambda s: _TYPE_ORDER[s.type],
        SortKey.date: attrgetter("date"),
        SortKey.due_date: lambda s: s.due_date or date.min,
        SortKey.total: _TOTAL,
        SortKey.balance: _BALANCE,
        SortKey.status: lambda s: _STATUS_ORDER[s.status],
        SortKey.last_sent: lambda s: s.last_sent or date.min,
        SortKey.reminders: lambda s: (s.reminders, s.last_reminder or date.min),
    }
    return keys[key]
