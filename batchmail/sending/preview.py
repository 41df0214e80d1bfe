"""What a send would do, message by message, as each recipient will see it; nothing is written anywhere.

The Bcc list of a planned message is for the user's eyes: the recipients never see it, it travels in the envelope
only (batchmail.message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from batchmail.sending.checks import Skipped, Warning
from batchmail.sending.compose import Draft
from batchmail.sending.message import one_line
from batchmail.sending.report import Held, left_out_json, warning_json


@dataclass(frozen=True, kw_only=True, slots=True)
class AttachedFile:
    name: str  # as the recipient's mail program shows it
    size: int  # bytes


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedMessage:
    numbers: tuple[str, ...]
    contact: str  # the contact's name
    sender: str  # the From address
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()  # shown to the user only
    subject: str
    html_body: str
    text_body: str
    attachments: tuple[AttachedFile, ...] = ()
    size: int  # the whole message as it leaves, in bytes
    warnings: tuple[Warning, ...] = ()  # overridable warnings the user accepted for this mail (flagged overridden)
    read_receipt: bool = False
    delivery_receipt: bool = False
    high_priority: bool = False

    @property
    def from_header(self) -> str:
        """ "Name <address>", as a mail program shows the sender."""
        return f"{self.sender_name} <{self.sender}>" if self.sender_name else self.sender

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address the message goes to (To, Cc, then Bcc), each once."""
        seen: dict[str, str] = {}
        for address in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(address.strip().lower(), address.strip())
        return tuple(seen.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "pieces": list(self.numbers),
            "contact": self.contact,
            "from": self.from_header,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "recipients": list(self.recipients),
            "subject": self.subject,
            "text": self.text_body,
            "html": self.html_body,
            "attachments": [{"name": a.name, "size": a.size} for a in self.attachments],
            "size": self.size,
            "read_receipt": self.read_receipt,
            "delivery_receipt": self.delivery_receipt,
            "high_priority": self.high_priority,
            "warnings": [warning_json(w) for w in self.warnings],
        }


def planned(draft: Draft, numbers: Mapping[int, str], contact: str) -> PlannedMessage:
    """The draft as its recipient will read it."""
    message = draft.message
    return PlannedMessage(
        numbers=tuple(numbers[i] for i in draft.piece_ids),
        contact=contact,
        sender=message.sender,
        sender_name=one_line(message.sender_name),
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        subject=one_line(message.subject),
        html_body=message.html_body,
        text_body=message.text_body,
        attachments=tuple(AttachedFile(name=a.filename, size=len(a.content)) for a in message.attachments),
        size=draft.size,
        warnings=tuple(draft.warnings),
        read_receipt=message.read_receipt,
        delivery_receipt=message.delivery_receipt,
        high_priority=message.high_priority,
    )


@dataclass(frozen=True, slots=True)
class Preview:
    """What a send would do, with nothing changed anywhere: the messages, the pieces it leaves out with their
    blocking warnings, and those it holds back as already sent."""

    account: str
    test_mode: bool
    messages: list[PlannedMessage]
    skipped: list[Skipped]
    held: list[Held] = field(default_factory=list)

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.messages)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": True,
            "account": self.account,
            "test_mode": self.test_mode,
            "messages": [m.to_json() for m in self.messages],
            "total_size": self.total_size,
            "skipped": left_out_json(self.skipped, self.held),
        }
