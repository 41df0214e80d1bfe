"""The batch workspace behind the main screen: the batch ("lot"), the remembered filters, pages of matching
pieces for the grid, and quick views of one piece or one contact.

The batch is a list of piece ids kept in the settings store, so it outlives a page reload and a restart and is
kept apart from whatever the filters show. The grid asks for its rows a page at a time as it scrolls: the last few
(criteria, sort) results are kept, so scrolling through 20,000 rows does not filter 100,000 pieces again for
each page. A kept result is used only while the pieces and contacts it was computed from are still the store's
current ones (the store replaces a piece's frozen summary when the piece changes, and its contacts snapshot when
a contact changes), so a send or an import shows at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from batchmail.account_service import CURRENT_USER_KEY
from batchmail.accounts import Account
from batchmail.contacts import Contact, User
from batchmail.errors import InvalidInput, NotFound
from batchmail.history import SendRecord
from batchmail.pieces import ZERO, Piece, PieceType, Status
from batchmail.selection import Criteria, PieceSummary, fold, select

if TYPE_CHECKING:
    from batchmail.services import PieceRow, Services

BATCH_KEY = "workspace.batch"
FILTERS_KEY = "workspace.filters"
_KEPT_RESULTS = 4  # the main grid, the batch grid, a contact's pieces: a few criteria are in use at once
_UNKNOWN = Contact(name="?")
_TYPE_ORDER = {t: n for n, t in enumerate(PieceType)}
_STATUS_ORDER = {s: n for n, s in enumerate(Status)}


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
        count, total, balance = 0, ZERO, ZERO
        for summary in summaries:
            count += 1
            total += summary.total_incl_tax
            balance += summary.balance
        return cls(count=count, total_incl_tax=total, balance=balance)


class Page(NamedTuple):
    rows: list[PieceRow]
    total: int  # how many pieces match in all


@dataclass(kw_only=True, slots=True)
class PieceView:
    piece: Piece
    contact: Contact | None  # None when the piece names a contact the store does not have
    history: list[SendRecord]  # the mails that carried the piece, newest first
    origin_number: str | None  # the number of the piece it was generated from
    in_batch: bool


@dataclass(kw_only=True, slots=True)
class ContactView:
    contact: Contact
    pieces: list[PieceSummary]  # newest first
    totals: PieceTotals
    history: list[SendRecord]  # newest first


@dataclass(kw_only=True, slots=True)
class _Result:
    criteria: Criteria
    sort: Sort
    summaries: list[PieceSummary]  # the store's summaries the result was computed from
    contacts: Mapping[int, Contact]
    rows: list[PieceSummary]
    totals: PieceTotals


class WorkspaceService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._results: OrderedDict[int, _Result] = OrderedDict()
        self._results_lock = threading.Lock()
        self._batch_lock = threading.Lock()  # read-modify-write of the batch from several worker threads

    # -- the grid ----------------------------------------------------------------------------------------------

    async def page(self, criteria: Criteria, start: int, count: int, sort: Sort | None = None) -> Page:
        """Rows `start` to `start + count` of the pieces matching `criteria` in `sort` order, and how many match."""
        if start < 0 or count < 0:
            raise InvalidInput(f"page: start {start} and count {count} must not be negative")

        def run() -> Page:
            result = self._result(criteria, sort or Sort())
            return Page(rows=_rows(result.rows[start : start + count], result.contacts), total=len(result.rows))

        return await asyncio.to_thread(run)

    async def matching(self, criteria: Criteria) -> PieceTotals:
        """How many pieces match, their total including tax and their balance due."""
        return await asyncio.to_thread(lambda: self._result(criteria, Sort()).totals)

    async def matching_ids(self, criteria: Criteria, *, excluding: Iterable[int] = ()) -> list[int]:
        """The ids of every matching piece but `excluding`, newest first (the grid's "All", less what was unticked)."""
        left_out = frozenset(excluding)
        return await asyncio.to_thread(
            lambda: [s.id for s in self._result(criteria, Sort()).rows if s.id not in left_out]
        )

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
        saved = await asyncio.to_thread(self._services.stores.settings.get, FILTERS_KEY, {})
        return saved if isinstance(saved, dict) else {}

    async def remember_filters(self, values: Mapping[str, Any]) -> None:
        """Keep the filters for the next use of the app (plain JSON values only)."""
        await asyncio.to_thread(self._services.stores.settings.set, FILTERS_KEY, dict(values))

    # -- quick views -------------------------------------------------------------------------------------------

    async def piece_view(self, piece_id: int) -> PieceView:
        def run() -> PieceView:
            stores = self._services.stores
            piece = stores.pieces.get(piece_id)
            contact = stores.contacts.by_id().get(piece.contact_id)
            known = self._summaries_by_id()
            origin = known.get(piece.origin_id) if piece.origin_id is not None else None
            return PieceView(
                piece=piece,
                contact=contact,
                history=stores.history.for_piece(piece_id),
                origin_number=origin.number if origin else None,
                in_batch=piece_id in self._current_batch(known),
            )

        return await asyncio.to_thread(run)

    async def contact_view(self, contact_id: int) -> ContactView:
        def run() -> ContactView:
            stores = self._services.stores
            contact = stores.contacts.get(contact_id)
            pieces = self._result(Criteria(contact_ids=frozenset({contact_id})), Sort())
            return ContactView(
                contact=contact,
                pieces=pieces.rows,
                totals=pieces.totals,
                history=stores.history.for_contact(contact_id),
            )

        return await asyncio.to_thread(run)

    async def find_contacts(self, text: str = "", *, limit: int | None = None) -> list[Contact]:
        """Contacts whose name, company or address contains `text` (without case or accents), by name."""
        needle = fold(text.strip())

        def run() -> list[Contact]:
            contacts = self._services.stores.contacts.by_id().values()
            found = [c for c in contacts if not needle or needle in fold(f"{c.name} {c.company} {' '.join(c.emails)}")]
            found.sort(key=lambda c: (fold(c.name), c.id))
            return found[:limit] if limit is not None else found

        return await asyncio.to_thread(run)

    async def contacts_by_id(self, contact_ids: Iterable[int]) -> list[Contact]:
        """The contacts with these ids that exist, in that order."""
        wanted = list(contact_ids)

        def run() -> list[Contact]:
            contacts = self._services.stores.contacts.by_id()
            return [contacts[i] for i in wanted if i in contacts]

        return await asyncio.to_thread(run)

    # -- who and how (the header and the settings page) -----------------------------------------------------

    async def current_user(self) -> User | None:
        """The user the app works for: the one chosen in the settings, else the company's first."""

        def run() -> User | None:
            users = self._services.stores.company.users()
            chosen = self._services.stores.settings.get(CURRENT_USER_KEY)
            return next((u for u in users if u.id == chosen), users[0] if users else None)

        return await asyncio.to_thread(run)

    async def users(self) -> list[User]:
        return await asyncio.to_thread(self._services.stores.company.users)

    async def accounts(self) -> list[Account]:
        """The sending accounts added to this install (the built-in test mailbox is not one of them)."""
        return await asyncio.to_thread(self._services.stores.accounts.all)

    # -- internals (worker threads) ---------------------------------------------------------------------------

    def _result(self, criteria: Criteria, sort: Sort) -> _Result:
        summaries = self._services.stores.pieces.summaries()
        contacts = self._services.stores.contacts.by_id()
        with self._results_lock:
            for key, kept in self._results.items():
                if kept.criteria == criteria and kept.sort == sort and _same(kept, summaries, contacts):
                    self._results.move_to_end(key)
                    return kept
        rows = select(summaries, criteria, contacts)
        if sort != Sort():
            rows.sort(key=_sort_key(sort.key, contacts), reverse=sort.descending)
        result = _Result(
            criteria=dataclasses.replace(criteria),
            sort=sort,
            summaries=summaries,
            contacts=contacts,
            rows=rows,
            totals=PieceTotals.of(rows),
        )
        with self._results_lock:
            self._results[id(result)] = result
            while len(self._results) > _KEPT_RESULTS:
                self._results.popitem(last=False)
        return result

    def _summaries_by_id(self) -> dict[int, PieceSummary]:
        return {s.id: s for s in self._services.stores.pieces.summaries()}

    def _current_batch(self, known: Mapping[int, PieceSummary] | None = None) -> list[int]:
        known = self._summaries_by_id() if known is None else known
        saved = self._services.stores.settings.get(BATCH_KEY, [])
        return [i for i in saved if isinstance(i, int) and i in known]

    def _save_batch(self, piece_ids: list[int]) -> None:
        self._services.stores.settings.set(BATCH_KEY, piece_ids)

    def _batch_totals(self, known: Mapping[int, PieceSummary]) -> PieceTotals:
        return PieceTotals.of(known[i] for i in self._current_batch(known))


def _same(kept: _Result, summaries: Sequence[PieceSummary], contacts: Mapping[int, Contact]) -> bool:
    """True while the store still holds exactly the summaries and contacts `kept` was computed from."""
    return (
        kept.contacts is contacts
        and len(kept.summaries) == len(summaries)
        and all(map(operator.is_, kept.summaries, summaries))
    )


def _rows(summaries: Iterable[PieceSummary], contacts: Mapping[int, Contact]) -> list[PieceRow]:
    from batchmail.services import PieceRow

    rows = []
    for summary in summaries:
        contact = contacts.get(summary.contact_id, _UNKNOWN)
        rows.append(PieceRow(summary=summary, contact_name=contact.name, company=contact.company))
    return rows


def _sort_key(key: SortKey, contacts: Mapping[int, Contact]) -> Callable[[PieceSummary], Any]:
    def name_of(summary: PieceSummary) -> str:
        return fold(contacts.get(summary.contact_id, _UNKNOWN).name)

    def company_of(summary: PieceSummary) -> str:
        return fold(contacts.get(summary.contact_id, _UNKNOWN).company)

    keys: dict[SortKey, Callable[[PieceSummary], Any]] = {
        SortKey.number: lambda s: s.number,
        SortKey.type: lambda s: _TYPE_ORDER[s.type],
        SortKey.date: lambda s: s.date,
        SortKey.due_date: lambda s: s.due_date or date.min,
        SortKey.contact: name_of,
        SortKey.company: company_of,
        SortKey.total: lambda s: s.total_incl_tax,
        SortKey.balance: lambda s: s.balance,
        SortKey.status: lambda s: _STATUS_ORDER[s.status],
        SortKey.last_sent: lambda s: s.last_sent or date.min,
    }
    return keys[key]
