"""Payment reminders ("relances"): which overdue invoices are reminded on a day, at which dunning level, in one
mail per contact, and why the others are not.

Pure: given the invoices (with their balance, level and last reminder), the dunning levels of the settings and
what the user asked, `plan_reminders` gives the mails and the invoices left out with the reason. Only our own
invoices with a balance still due are ever reminded: never a credit note, a supplier's invoice or a paid one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from batchmail.domain.formatting import format_date
from batchmail.domain.language import Language
from batchmail.domain.money import ZERO, parse_decimal
from batchmail.domain.numbering import natural_key
from batchmail.domain.pieces import Piece, PieceType
from batchmail.errors import InvalidInput


@dataclass(frozen=True, kw_only=True, slots=True)
class DunningLevel:
    """One step of the dunning: from how many days overdue, how long after the previous reminder, from which
    amount due (the mail's total), and what the mail carries."""

    days_overdue: int
    days_since_previous: int = 14
    min_amount: Decimal = ZERO
    attach_pieces: bool = True  # each invoice's PDF
    attach_statement: bool = False  # the contact's statement of invoices

    def to_json(self) -> dict[str, Any]:
        return {
            "days_overdue": self.days_overdue,
            "days_since_previous": self.days_since_previous,
            "min_amount": str(self.min_amount),
            "attach_pieces": self.attach_pieces,
            "attach_statement": self.attach_statement,
        }

    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> DunningLevel:
        return cls(
            days_overdue=int(saved["days_overdue"]),
            days_since_previous=int(saved.get("days_since_previous", 14)),
            min_amount=parse_decimal(str(saved.get("min_amount", "0")), "minimum amount"),
            attach_pieces=bool(saved.get("attach_pieces", True)),
            attach_statement=bool(saved.get("attach_statement", False)),
        )


DEFAULT_LEVELS = (
    DunningLevel(days_overdue=7),
    DunningLevel(days_overdue=30),
    DunningLevel(days_overdue=60, attach_statement=True),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class DunningSettings:
    levels: tuple[DunningLevel, ...] = DEFAULT_LEVELS

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidInput("dunning: at least one level is needed")
        for number, (level, following) in enumerate(zip(self.levels, self.levels[1:], strict=False), start=1):
            if following.days_overdue <= level.days_overdue:
                raise InvalidInput(
                    f"dunning level {number + 1}: {following.days_overdue} days overdue, "
                    f"not after level {number}'s {level.days_overdue}"
                )
        for number, level in enumerate(self.levels, start=1):
            if level.days_overdue < 1 or level.days_since_previous < 0 or level.min_amount < ZERO:
                raise InvalidInput(f"dunning level {number}: days and amounts must be positive")

    def level(self, number: int) -> DunningLevel:
        return self.levels[number - 1]

    def to_json(self) -> dict[str, Any]:
        return {"levels": [level.to_json() for level in self.levels]}

    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> DunningSettings:
        levels = saved.get("levels")
        if not isinstance(levels, list) or not levels:
            return cls()
        return cls(levels=tuple(DunningLevel.from_json(level) for level in levels))


@dataclass(frozen=True, kw_only=True, slots=True)
class ReminderRequest:
    as_of: datetime.date  # the day the reminders are for (today by default)
    min_days_overdue: int = 1
    contact_ids: frozenset[int] = frozenset()  # empty: every contact
    level: int | None = None  # only the invoices due for that level


@dataclass(frozen=True, kw_only=True, slots=True)
class OverdueInvoice:
    piece_id: int
    number: str
    contact_id: int
    date: datetime.date
    due_date: datetime.date
    balance: Decimal
    days_overdue: int
    level: int  # the level this reminder is, for this invoice
    reminded: int  # reminders sent so far
    last_reminder: datetime.date | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReminderMail:
    """One contact's reminder: all its invoices due for one now, at the highest of their levels."""

    contact_id: int
    level: int
    invoices: tuple[OverdueInvoice, ...]

    @property
    def total_due(self) -> Decimal:
        return sum((invoice.balance for invoice in self.invoices), ZERO)

    @property
    def piece_ids(self) -> list[int]:
        return [invoice.piece_id for invoice in self.invoices]


# Why an overdue invoice waits, by code, in English; the UI words each code in its own language.
REASONS = {
    "reminded_today": "already reminded today",
    "fewer_days": "{days} day(s) overdue, fewer than the {asked} asked",
    "not_yet": "{days} day(s) overdue: level {level} comes at {from_days}",
    "too_soon": "reminded on {last}: level {level} waits {wait} days after the previous one",
    "other_level": "due for level {level}, not {asked}",
    "below_minimum": "{due} due in all, below level {level}'s minimum of {minimum}",
    "gone": "paid or no longer due since the preview",
}


@dataclass(frozen=True, slots=True)
class Why:
    code: str  # a key of REASONS
    values: dict[str, str]

    @property
    def text(self) -> str:
        return REASONS[self.code].format(**self.values)


@dataclass(frozen=True, kw_only=True, slots=True)
class LeftOut:
    """An overdue invoice not reminded this time, and why."""

    piece_id: int
    number: str
    contact_id: int
    why: Why

    @property
    def reason(self) -> str:
        return self.why.text


@dataclass(kw_only=True, slots=True)
class ReminderPlan:
    mails: list[ReminderMail] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


def overdue_invoices(pieces: Iterable[Piece], as_of: datetime.date) -> list[Piece]:
    """Our invoices with a balance due after their due date, as of that day."""
    return [
        piece
        for piece in pieces
        if piece.type is PieceType.invoice and piece.due_date is not None and piece.is_overdue(as_of)
    ]


def plan_reminders(
    pieces: Iterable[Piece], request: ReminderRequest, settings: DunningSettings, *, reminded_today: set[int]
) -> ReminderPlan:
    """The reminders of `request.as_of`: one mail per contact with every invoice of it due for a reminder, and
    the overdue invoices left out with the reason. `reminded_today`: invoices a reminder already went out for
    that day (the outbox knows, even when the app stopped before it was written on the invoice)."""
    plan = ReminderPlan()
    day = request.as_of
    by_contact: dict[int, list[OverdueInvoice]] = {}
    for piece in sorted(overdue_invoices(pieces, day), key=lambda p: natural_key(p.number)):
        if request.contact_ids and piece.contact_id not in request.contact_ids:
            continue
        due = _overdue(piece, day, settings)
        why = _why_not(due, request, settings, reminded_today)
        if why is not None:
            plan.left_out.append(LeftOut(piece_id=due.piece_id, number=due.number, contact_id=due.contact_id, why=why))
        else:
            by_contact.setdefault(piece.contact_id, []).append(due)
    for contact_id, invoices in by_contact.items():
        level = max(invoice.level for invoice in invoices)
        mail = ReminderMail(contact_id=contact_id, level=level, invoices=tuple(invoices))
        minimum = settings.level(level).min_amount
        if mail.total_due < minimum:
            why = Why("below_minimum", {"due": str(mail.total_due), "level": str(level), "minimum": str(minimum)})
            plan.left_out += [
                LeftOut(piece_id=i.piece_id, number=i.number, contact_id=contact_id, why=why) for i in invoices
            ]
            continue
        plan.mails.append(mail)
    return plan


def _overdue(piece: Piece, day: datetime.date, settings: DunningSettings) -> OverdueInvoice:
    assert piece.due_date is not None  # overdue_invoices kept only those
    return OverdueInvoice(
        piece_id=piece.id,
        number=piece.number,
        contact_id=piece.contact_id,
        date=piece.date,
        due_date=piece.due_date,
        balance=piece.balance,
        days_overdue=(day - piece.due_date).days,
        level=min(piece.reminder_level + 1, len(settings.levels)),
        reminded=piece.reminder_level,
        last_reminder=piece.last_reminder,
    )


def _why_not(
    due: OverdueInvoice, request: ReminderRequest, settings: DunningSettings, reminded_today: set[int]
) -> Why | None:
    """Why this overdue invoice gets no reminder on `request.as_of`, or None when it gets one."""
    day, level = request.as_of, settings.level(due.level)
    days, number = str(due.days_overdue), str(due.level)
    if due.piece_id in reminded_today or due.last_reminder == day:
        return Why("reminded_today", {})
    if due.days_overdue < request.min_days_overdue:
        return Why("fewer_days", {"days": days, "asked": str(request.min_days_overdue)})
    if due.days_overdue < level.days_overdue:
        return Why("not_yet", {"days": days, "level": number, "from_days": str(level.days_overdue)})
    if due.last_reminder is not None and (day - due.last_reminder).days < level.days_since_previous:
        last = format_date(due.last_reminder, Language.en)
        return Why("too_soon", {"last": last, "level": number, "wait": str(level.days_since_previous)})
    if request.level is not None and due.level != request.level:
        return Why("other_level", {"level": number, "asked": str(request.level)})
    return None
