"""Eighteen months of pieces for the demo contacts, with statuses, payments and sending dates that fit each
piece's age."""

from __future__ import annotations

import calendar
import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from batchmail.demo.catalog import (
    CATALOGS,
    DISCOUNTS,
    LINE_COUNTS,
    LINE_WEIGHTS,
    NATURE_WEIGHTS,
    NATURES,
    NOTES,
    PAYMENT_METHODS,
    Item,
)
from batchmail.domain.contacts import Contact
from batchmail.domain.money import ZERO, to_cents
from batchmail.domain.numbering import format_number
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status

PAYMENT_TERMS_DAYS = 30

_Table = tuple[tuple[Status, ...], tuple[int, ...]]  # statuses and their cumulative weights


def _table(**weights: int) -> _Table:
    return tuple(Status(name) for name in weights), tuple(accumulate(weights.values()))


# type: (age in days under which a piece is recent, statuses when recent, statuses later)
_STATUSES: dict[PieceType, tuple[int, _Table, _Table]] = {
    PieceType.quote: (
        15,
        _table(draft=15, sent=70, accepted=15),
        _table(draft=3, sent=20, accepted=30, refused=20, converted=25, cancelled=2),
    ),
    PieceType.order: (10, _table(validated=30, sent=70), _table(sent=30, converted=63, cancelled=7)),
    PieceType.delivery_note: (5, _table(validated=1), _table(validated=10, sent=50, converted=40)),
    PieceType.credit_note: (30, _table(draft=10, validated=30, sent=60), _table(sent=10, paid=85, cancelled=5)),
    PieceType.purchase_request: (10, _table(draft=30, sent=70), _table(sent=30, converted=55, cancelled=15)),
    PieceType.purchase_order: (10, _table(validated=30, sent=70), _table(sent=25, converted=70, cancelled=5)),
    PieceType.goods_receipt: (5, _table(validated=1), _table(validated=45, converted=55)),
    PieceType.supplier_credit_note: (30, _table(validated=1), _table(validated=40, paid=60)),
}
_INVOICE_THIS_MONTH = _table(draft=12, validated=30, sent=48, paid=10)
_PAID_SHARE = ((365, 0.96), (120, 0.9), (60, 0.75), (30, 0.5), (0, 0.2))  # (minimum age in days, share paid)
_ISSUED = frozenset(t for t in PieceType if t.side is Side.customer) | {
    PieceType.purchase_request,
    PieceType.purchase_order,
}
_WENT_OUT = frozenset(
    {Status.sent, Status.accepted, Status.refused, Status.converted, Status.partially_paid, Status.paid}
)
_WITH_DUE_DATE = frozenset({PieceType.invoice, PieceType.supplier_invoice})


class PieceMaker:
    def __init__(self, rng: random.Random, today: date, contacts: list[Contact]) -> None:
        self.rng = rng
        self.today = today
        self.start = _months_before(today, 18)
        self.span = (today - self.start).days
        self.contacts = {side: [c for c in contacts if c.kind is side] for side in Side}
        # a few big customers and suppliers get most of the pieces
        self.weights = {
            side: tuple(accumulate(rng.choice((1, 2, 3, 6)) for _ in pool)) for side, pool in self.contacts.items()
        }
        self.pieces: list[Piece] = []
        self.links: list[tuple[Piece, Piece]] = []  # (piece, the piece it was generated from)

    def make(self) -> list[Piece]:
        self._chains()
        self._validated_last_month()
        made = Counter(piece.type for piece in self.pieces)
        for piece_type in PieceType:
            wanted = 800 + self.rng.randrange(80) + (600 if piece_type is PieceType.invoice else 0)
            for _ in range(wanted - made[piece_type]):
                day = self.start + timedelta(days=self.rng.randrange(self.span + 1))
                self._add(piece_type, day, self._contact(piece_type.side))
        return self._numbered()

    def _contact(self, side: Side) -> Contact:
        return self.rng.choices(self.contacts[side], cum_weights=self.weights[side])[0]

    def _chains(self) -> None:
        """Quotes turned into an order, sometimes a delivery note, then an invoice, each linked to the one before."""
        for _ in range(30 + self.rng.randrange(10)):
            contact = self._contact(Side.customer)
            day = self.start + timedelta(days=self.rng.randrange(self.span - 30))
            origin = self._add(PieceType.quote, day, contact, status=Status.converted)
            steps = [PieceType.order, PieceType.delivery_note, PieceType.invoice]
            if self.rng.random() < 0.5:
                del steps[1]
            for piece_type in steps:
                day = min(self.today, day + timedelta(days=self.rng.randint(1, 12)))
                status = None if piece_type is PieceType.invoice else Status.converted
                piece = self._add(piece_type, day, contact, status=status, like=origin)
                self.links.append((piece, origin))
                origin = piece

    def _validated_last_month(self) -> None:
        """Last month's invoices validated and never sent, so "send last month's invoices" has work to do; one or
        two are for a contact without an address, so the batch shows a "skipped: no address"."""
        last = self.today.replace(day=1) - timedelta(days=1)
        customers = self.contacts[Side.customer]
        reachable = [c for c in customers if c.email and c.send_by_email]
        unreachable = [c for c in customers if not c.emails]
        chosen = self.rng.sample(reachable, 6 + self.rng.randrange(3))
        chosen += self.rng.sample(unreachable, 1 + self.rng.randrange(2))
        for contact in chosen:
            day = last.replace(day=1 + self.rng.randrange(last.day))
            self._add(PieceType.invoice, day, contact, status=Status.validated)

    def _add(
        self,
        piece_type: PieceType,
        day: date,
        contact: Contact,
        *,
        status: Status | None = None,
        like: Piece | None = None,
    ) -> Piece:
        rng = self.rng
        side = piece_type.side
        if like is None:
            nature = rng.choices(NATURES[side], cum_weights=NATURE_WEIGHTS[side])[0]
            lines = self._lines(CATALOGS[side][nature])
            reference = f"BC-{rng.randint(1000, 99999)}" if side is Side.customer and rng.random() < 0.2 else ""
            notes = rng.choice(NOTES[side]) if rng.random() < 0.15 else ""
        else:
            nature, reference, notes = like.nature, like.reference, like.notes
            lines = [replace(line) for line in like.lines]
        if piece_type.sign < 0:
            lines = [self._credited(lines[0])]
        piece = Piece(
            type=piece_type,
            date=day,
            due_date=day + timedelta(days=PAYMENT_TERMS_DAYS) if piece_type in _WITH_DUE_DATE else None,
            contact_id=contact.id,
            lines=lines,
            nature=nature,
            reference=reference,
            notes=notes,
        )
        piece.status = status or self._status(piece)
        self._settle(piece)
        self.pieces.append(piece)
        return piece

    def _lines(self, catalog: tuple[list[Item], list[Item]]) -> list[Line]:
        """At least one item of the piece's nature first, then maybe travel, supplies or shipping."""
        rng = self.rng
        own, common = catalog
        count = rng.choices(LINE_COUNTS, cum_weights=LINE_WEIGHTS)[0]
        extras = max(count - len(own), min(len(common), rng.randrange(count) // 2))
        return [
            Line(
                description=item.description,
                quantity=rng.choice(item.quantities),
                unit_price=item.unit_price,
                vat_rate=item.vat_rate,
                discount=rng.choice(DISCOUNTS) if rng.random() < 0.12 else ZERO,
            )
            for item in rng.sample(own, count - extras) + rng.sample(common, extras)
        ]

    def _credited(self, line: Line) -> Line:
        """A credit note gives back part of one line (a return, a goodwill gesture), not a whole invoice."""
        share = Decimal(self.rng.choice((10, 20, 25, 50))) / 100
        return replace(line, quantity=Decimal(1), unit_price=to_cents(line.unit_price * share), discount=ZERO)

    def _status(self, piece: Piece) -> Status:
        age = (self.today - piece.date).days
        if piece.type in _WITH_DUE_DATE:
            return self._invoice_status(piece, age)
        recent_days, recent, later = _STATUSES[piece.type]
        statuses, weights = recent if age < recent_days else later
        return self.rng.choices(statuses, cum_weights=weights)[0]

    def _invoice_status(self, piece: Piece, age: int) -> Status:
        """Older invoices are more often paid; only this month's may still be validated and unsent."""
        rng = self.rng
        ours = piece.type is PieceType.invoice
        if ours and (piece.date.year, piece.date.month) == (self.today.year, self.today.month):
            statuses, weights = _INVOICE_THIS_MONTH
            return rng.choices(statuses, cum_weights=weights)[0]
        if not ours and age < 10:
            return Status.validated
        draw = rng.random()
        if draw < 0.02:
            return Status.cancelled
        if draw < 0.05 and ours and age < 120:  # forgotten drafts
            return Status.draft
        share = next(share for min_age, share in _PAID_SHARE if age >= min_age)
        draw = rng.random()
        if draw < share:
            return Status.paid
        if draw < share + 0.06:
            return Status.partially_paid
        return Status.sent if ours else Status.validated  # a supplier invoice is recorded, not sent

    def _settle(self, piece: Piece) -> None:
        """The sending date, payments and reminders that go with the piece's status."""
        if piece.type in _ISSUED and piece.status in _WENT_OUT:
            piece.last_sent = min(self.today, piece.date + timedelta(days=self.rng.randrange(3)))
        if piece.status in (Status.paid, Status.partially_paid):
            piece.payments = self._payments(piece, full=piece.status is Status.paid)
        if piece.type is PieceType.invoice and piece.is_overdue(self.today) and self.rng.random() < 0.7:
            piece.reminder_level = min(3, piece.days_overdue(self.today) // 20)

    def _payments(self, piece: Piece, *, full: bool) -> list[Payment]:
        rng = self.rng
        cents = int(piece.totals.incl_tax * 100)
        if not full:
            parts = [rng.randint(cents * 2 // 10, cents * 8 // 10)]
        elif cents > 20_000 and rng.random() < 0.2:
            first = rng.randint(cents * 3 // 10, cents * 7 // 10)
            parts = [first, cents - first]
        else:
            parts = [cents]
        start = piece.last_sent or piece.date
        room = (self.today - start).days
        days = sorted(min(room, rng.randint(2, 50)) for _ in parts)
        return [
            Payment(date=start + timedelta(days=d), amount=Decimal(c).scaleb(-2), method=rng.choice(PAYMENT_METHODS))
            for d, c in zip(days, parts, strict=True)
        ]

    def _numbered(self) -> list[Piece]:
        """Ids and numbers in date order; pieces of one day keep the order they were made in."""
        pieces = sorted(self.pieces, key=lambda piece: piece.date)
        sequences: Counter[tuple[PieceType, int]] = Counter()
        for piece_id, piece in enumerate(pieces, start=1):
            piece.id = piece_id
            key = (piece.type, piece.date.year)
            sequences[key] += 1
            piece.number = format_number(piece.type, piece.date.year, sequences[key])
        for piece, origin in self.links:
            piece.origin_ids = [origin.id]
            origin.derived_ids.append(piece.id)
        return pieces


def _months_before(day: date, months: int) -> date:
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))
