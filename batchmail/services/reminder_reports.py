"""What a reminder or statement run shows the user: the mails it plans, the invoices it leaves out and why, and
once sent, what was dropped since the preview and each level's send report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from batchmail.domain.contacts import Contact
from batchmail.domain.reminders import LeftOut, ReminderMail, ReminderPlan, Why
from batchmail.sending.checks import address_problems
from batchmail.sending.report import BatchReport

GONE = Why("gone", {})  # in the preview the user saw, no longer due at the moment of sending


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedReminder:
    """One mail of a reminder preview, as the user reads it."""

    contact_id: int
    contact: str
    email: str
    problem: str  # why the send will skip this mail (no address, not by email...), "" when it can go
    level: int
    numbers: tuple[str, ...]
    piece_ids: tuple[int, ...]
    balances: tuple[Decimal, ...]

    @property
    def total_due(self) -> Decimal:
        return sum(self.balances, Decimal(0))

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "contact": self.contact,
            "email": self.email,
            "problem": self.problem,
            "level": self.level,
            "pieces": list(self.numbers),
            "total_due": str(self.total_due),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class NotReminded:
    piece_id: int
    number: str
    contact: str
    why: Why

    @property
    def reason(self) -> str:
        return self.why.text

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.piece_id,
            "number": self.number,
            "contact": self.contact,
            "reason": self.reason,
            "code": self.why.code,
        }


@dataclass(kw_only=True, slots=True)
class ReminderPreview:
    as_of: date
    mails: list[PlannedReminder] = field(default_factory=list)
    left_out: list[NotReminded] = field(default_factory=list)

    @property
    def piece_ids(self) -> set[int]:
        return {piece_id for mail in self.mails for piece_id in mail.piece_ids}

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "mails": [mail.to_json() for mail in self.mails],
            "left_out": [piece.to_json() for piece in self.left_out],
        }


@dataclass(kw_only=True, slots=True)
class ReminderReport:
    """What a reminder (or statement) run sent: one send report per level, and what it dropped and why."""

    preview: ReminderPreview  # the reminders as computed at the moment of sending
    dropped: list[NotReminded] = field(default_factory=list)  # in the preview the user saw, not in the send
    unsent: list[str] = field(default_factory=list)  # contacts of the preview whose mail lost all its invoices
    sends: list[BatchReport] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(report.complete for report in self.sends)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.preview.to_json(),
            "dropped": [piece.to_json() for piece in self.dropped],
            "unsent": self.unsent,
            "sends": [report.to_json() for report in self.sends],
            "complete": self.complete,
        }


def skip_reason(contact: Contact | None) -> str:
    """Why a send will skip the mail to this contact (no address, not by email...), "" when it can go."""
    problems = address_problems(contact) if contact else [(None, "the contact does not exist")]
    return problems[0][1] if problems else ""


def preview_of(as_of: date, plan: ReminderPlan, contacts: Mapping[int, Contact]) -> ReminderPreview:
    def name(contact_id: int) -> str:
        contact = contacts.get(contact_id)
        return contact.display_name if contact else f"contact {contact_id} (unknown)"

    return ReminderPreview(
        as_of=as_of,
        mails=[_planned(mail, contacts.get(mail.contact_id), name(mail.contact_id)) for mail in plan.mails],
        left_out=[_not_reminded(left, name(left.contact_id)) for left in plan.left_out],
    )


def _planned(mail: ReminderMail, contact: Contact | None, name: str) -> PlannedReminder:
    return PlannedReminder(
        contact_id=mail.contact_id,
        contact=name,
        email=(contact.email or "") if contact else "",
        problem=skip_reason(contact),
        level=mail.level,
        numbers=tuple(invoice.number for invoice in mail.invoices),
        piece_ids=tuple(mail.piece_ids),
        balances=tuple(invoice.balance for invoice in mail.invoices),
    )


def _not_reminded(left: LeftOut, name: str) -> NotReminded:
    return NotReminded(piece_id=left.piece_id, number=left.number, contact=name, why=left.why)


def dropped(seen: ReminderPreview, now: ReminderPreview) -> list[NotReminded]:
    """The invoices of the preview the user saw that the reminders computed now leave out, with the reason."""
    going = now.piece_ids
    why = {left.piece_id: left for left in now.left_out}
    dropped = []
    for mail in seen.mails:
        for piece_id, number in zip(mail.piece_ids, mail.numbers, strict=True):
            if piece_id in going:
                continue
            reason = why[piece_id].why if piece_id in why else GONE
            dropped.append(NotReminded(piece_id=piece_id, number=number, contact=mail.contact, why=reason))
    return dropped


def within(mails: Sequence[PlannedReminder], piece_ids: set[int]) -> list[PlannedReminder]:
    """The mails restricted to these invoices; a mail left without any is not sent."""
    kept = []
    for mail in mails:
        rows = zip(mail.piece_ids, mail.numbers, mail.balances, strict=True)
        kept_rows = [row for row in rows if row[0] in piece_ids]
        if kept_rows:
            ids, numbers, balances = zip(*kept_rows, strict=True)
            kept.append(replace(mail, piece_ids=ids, numbers=numbers, balances=balances))
    return kept
