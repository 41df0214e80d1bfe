"""Summary documents: the statement of invoices, the aged customer balance and the consumption list.

Pure: pieces, contacts and dates in, figures out. Only the customer side's invoices and credit notes count, and
neither drafts nor cancelled pieces. Every amount is an exact Decimal sum of what the pieces hold.

Signs: an invoice adds what the customer owes and a payment on it deducts; a credit note deducts and money paid
on a credit note (a refund, or the credit used) adds back. So a statement's closing balance is the sum of its
pieces' balances, credit notes negative.

Credit notes in the aged balance are aged like invoices, by their own due date (their date when they have none):
an old unused credit lowers the old buckets instead of hiding in "not yet due", so each bucket says what that age
really nets to and the buckets add up to the customer's total.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from batchmail.domain.contacts import Contact
from batchmail.domain.money import ZERO
from batchmail.domain.pieces import Piece, PieceType, Status
from batchmail.domain.selection import fold
from batchmail.errors import InvalidInput

COUNTED_TYPES = frozenset({PieceType.invoice, PieceType.credit_note})
_NOT_COUNTED = frozenset({Status.draft, Status.cancelled})


def counts(piece: Piece) -> bool:
    """Whether a piece enters the summaries: a customer invoice or credit note, neither draft nor cancelled."""
    return piece.type in COUNTED_TYPES and piece.status not in _NOT_COUNTED


def balance_as_of(piece: Piece, day: date) -> Decimal:
    """What is still open on an invoice or credit note on `day`: its total less the payments dated up to `day`."""
    return piece.totals.incl_tax - sum((p.amount for p in piece.payments if p.date <= day), ZERO)


def check_period(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise InvalidInput(f"the period starts ({start.isoformat()}) after it ends ({end.isoformat()})")


# -- statement of invoices ------------------------------------------------------------------------------------------


class EntryKind(StrEnum):
    invoice = "invoice"  # facture: the customer owes its total
    credit_note = "credit_note"  # avoir: its total is deducted
    payment = "payment"  # règlement of an invoice: deducted
    refund = "refund"  # remboursement (or use) of a credit note: added back


@dataclass(kw_only=True, slots=True)
class StatementLine:
    date: datetime.date
    kind: EntryKind
    number: str  # the piece's number (for a payment: the piece it settles)
    contact_id: int
    due_date: datetime.date | None = None  # pieces only
    method: str = ""  # payments only
    amount: Decimal  # signed: + what the customer owes more, - what is deducted
    balance: Decimal = ZERO  # the running balance after this line
    overdue: bool = False  # an invoice still open after its due date on the statement's day
    days_overdue: int = 0

    @property
    def debit(self) -> Decimal:
        return self.amount if self.amount > ZERO else ZERO

    @property
    def credit(self) -> Decimal:
        return -self.amount if self.amount < ZERO else ZERO


@dataclass(kw_only=True, slots=True)
class Statement:
    contacts: list[Contact]  # the contact it is addressed to first, then the others of its company
    start: date | None
    end: date | None
    as_of: date  # the day overdue is judged on: `today`, or the period's end when it ends earlier
    opening_balance: Decimal  # everything dated before `start`
    lines: list[StatementLine]
    total_due: Decimal  # the opening balance plus every line
    overdue_total: Decimal  # what is open on the overdue invoices, those before `start` included
    overdue_count: int

    @property
    def contact(self) -> Contact:
        return self.contacts[0]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def statement(
    pieces: Iterable[Piece], contacts: list[Contact], *, start: date | None, end: date | None, today: date
) -> Statement:
    """The statement of `contacts` (the one addressed first): their invoices, credit notes and payments dated up to
    `end` in date order, a piece before the payments of the same day, with the running balance."""
    if not contacts:
        raise InvalidInput("a statement needs at least one contact")
    check_period(start, end)
    ids = {contact.id for contact in contacts}
    as_of = min(end, today) if end else today
    entries: list[StatementLine] = []
    overdue_total, overdue_count = ZERO, 0
    for piece in pieces:
        if piece.contact_id not in ids or not counts(piece) or (end and piece.date > end):
            continue
        entry = _piece_entry(piece, as_of)
        if entry.overdue:
            overdue_total += balance_as_of(piece, as_of)
            overdue_count += 1
        entries.append(entry)
        entries += [
            StatementLine(
                date=payment.date,
                kind=EntryKind.payment if piece.type.sign > 0 else EntryKind.refund,
                number=piece.number,
                contact_id=piece.contact_id,
                method=payment.method,
                amount=-piece.type.sign * payment.amount,
            )
            for payment in piece.payments
            if not end or payment.date <= end
        ]
    entries.sort(key=lambda e: (e.date, e.kind in (EntryKind.payment, EntryKind.refund), e.number))
    opening = sum((e.amount for e in entries if start and e.date < start), ZERO)
    lines = [e for e in entries if not start or e.date >= start]
    running = opening
    for line in lines:
        running += line.amount
        line.balance = running
    return Statement(
        contacts=list(contacts),
        start=start,
        end=end,
        as_of=as_of,
        opening_balance=opening,
        lines=lines,
        total_due=running,
        overdue_total=overdue_total,
        overdue_count=overdue_count,
    )


def _piece_entry(piece: Piece, as_of: date) -> StatementLine:
    invoice = piece.type is PieceType.invoice
    late = invoice and piece.due_date is not None and piece.due_date < as_of and balance_as_of(piece, as_of) > ZERO
    return StatementLine(
        date=piece.date,
        kind=EntryKind.invoice if invoice else EntryKind.credit_note,
        number=piece.number,
        contact_id=piece.contact_id,
        due_date=piece.due_date,
        amount=piece.type.sign * piece.totals.incl_tax,
        overdue=late,
        days_overdue=(as_of - piece.due_date).days if late and piece.due_date else 0,
    )


# -- aged customer balance ------------------------------------------------------------------------------------------


class AgeBucket(StrEnum):
    not_due = "not_due"  # non échu: the due date is today or later
    days_1_30 = "days_1_30"  # 1 to 30 days past the due date
    days_31_60 = "days_31_60"  # 31 to 60 days
    days_61_90 = "days_61_90"  # 61 to 90 days
    over_90 = "over_90"  # more than 90 days

    @classmethod
    def of(cls, days_past_due: int) -> AgeBucket:
        if days_past_due <= 0:
            return cls.not_due
        buckets = ((30, cls.days_1_30), (60, cls.days_31_60), (90, cls.days_61_90))
        return next((bucket for last_day, bucket in buckets if days_past_due <= last_day), cls.over_90)


def _no_amounts() -> dict[AgeBucket, Decimal]:
    return dict.fromkeys(AgeBucket, ZERO)


@dataclass(kw_only=True, slots=True)
class AgedRow:
    contact: Contact
    amounts: dict[AgeBucket, Decimal] = field(default_factory=_no_amounts)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts[AgeBucket.not_due]


@dataclass(kw_only=True, slots=True)
class AgedBalance:
    as_of: date
    rows: list[AgedRow]  # customers with something open, by company then name
    totals: dict[AgeBucket, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


def aged_balance(pieces: Iterable[Piece], contacts: Iterable[Contact], *, as_of: date) -> AgedBalance:
    """What each of `contacts` owes on `as_of`, by how long it is past due. Pieces dated after `as_of` and
    payments dated after it do not count; a contact with nothing open is left out."""
    by_id = {contact.id: contact for contact in contacts}
    rows: dict[int, AgedRow] = {}
    for piece in pieces:
        if piece.contact_id not in by_id or not counts(piece) or piece.date > as_of:
            continue
        still_open = balance_as_of(piece, as_of)
        if not still_open:
            continue
        row = rows.get(piece.contact_id)
        if row is None:
            row = rows[piece.contact_id] = AgedRow(contact=by_id[piece.contact_id])
        bucket = AgeBucket.of((as_of - (piece.due_date or piece.date)).days)
        row.amounts[bucket] += piece.type.sign * still_open
    kept = sorted(
        (row for row in rows.values() if any(row.amounts.values())),
        key=lambda row: (fold(row.contact.company or row.contact.name), fold(row.contact.name), row.contact.id),
    )
    totals = _no_amounts()
    for row in kept:
        for bucket, amount in row.amounts.items():
            totals[bucket] += amount
    return AgedBalance(as_of=as_of, rows=kept, totals=totals)


# -- consumption list -----------------------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class ConsumptionLine:
    description: str  # as first written; lines whose descriptions differ only in case, accents or spaces merge
    quantity: Decimal
    amount: Decimal  # excluding tax, credit notes deducted


@dataclass(kw_only=True, slots=True)
class Consumption:
    contact: Contact
    start: date
    end: date
    lines: list[ConsumptionLine]  # by description
    piece_count: int

    @property
    def total_quantity(self) -> Decimal:
        return sum((line.quantity for line in self.lines), ZERO)

    @property
    def total_amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def consumption(pieces: Iterable[Piece], contact: Contact, *, start: date, end: date) -> Consumption:
    """What `contact` was invoiced from `start` to `end` (both included), per description: quantities and amounts
    excluding tax of its invoices, less those of its credit notes."""
    check_period(start, end)
    lines: dict[str, ConsumptionLine] = {}
    piece_count = 0
    for piece in pieces:
        if piece.contact_id != contact.id or not counts(piece) or not start <= piece.date <= end:
            continue
        piece_count += 1
        sign = piece.type.sign
        for item in piece.lines:
            description = " ".join(item.description.split())
            line = lines.setdefault(
                fold(description), ConsumptionLine(description=description, quantity=ZERO, amount=ZERO)
            )
            line.quantity += sign * item.quantity
            line.amount += sign * item.amount_excl_tax
    ordered = [lines[key] for key in sorted(lines)]
    return Consumption(contact=contact, start=start, end=end, lines=ordered, piece_count=piece_count)


SummaryDocument = Statement | AgedBalance | Consumption  # what the summary templates print
