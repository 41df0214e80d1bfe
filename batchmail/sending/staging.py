"""Composed drafts turned into outbox entries (not yet written), and the drafts held back because the same content
already went, or is on its way, to the same address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from batchmail.sending.compose import Draft
from batchmail.sending.message import envelope_recipients
from batchmail.sending.outbox import OutboxEntry, duplicate_reason, mime_content_hash
from batchmail.sending.report import Held


class DuplicateFinder(Protocol):
    def duplicate_of(self, content_hash: str, recipients: list[str]) -> OutboxEntry | None: ...


@dataclass(kw_only=True, slots=True)
class Staged:
    entries: list[tuple[OutboxEntry, bytes]] = field(default_factory=list)  # with their MIME bytes
    drafts: list[Draft] = field(default_factory=list)  # the draft of each entry, in the same order
    held: list[Held] = field(default_factory=list)
    numbers: Mapping[int, str] = field(default_factory=dict)  # piece id -> number
    names: Mapping[int, str] = field(default_factory=dict)  # contact id -> name


def stage(
    outbox: DuplicateFinder,
    drafts: Sequence[Draft],
    *,
    account: str,
    batch_id: str,
    numbers: Mapping[int, str],
    names: Mapping[int, str],
    resend: bool,
    kind: str,
    record_on_contact: bool,
    now: datetime,
) -> Staged:
    """Each draft as an outbox entry with its MIME bytes, or held back as already sent unless `resend` (blocking:
    the outbox is read; run in a thread)."""
    staged = Staged(numbers=numbers, names=names)
    for draft in drafts:
        message = draft.message
        recipients = envelope_recipients(message)
        content_hash = mime_content_hash(draft.mime, recipients)
        earlier = None if resend else outbox.duplicate_of(content_hash, recipients)
        if earlier is not None:
            reason = duplicate_reason(earlier)
            contact = names.get(draft.contact_id, "")
            staged.held += [
                Held(piece_id=i, number=numbers[i], contact=contact, reason=reason, earlier_entry=earlier.id)
                for i in draft.piece_ids
            ]
            continue
        entry = OutboxEntry(
            batch_id=batch_id,
            account=account,
            message_id=message.message_id,
            content_hash=content_hash,
            sender=message.sender,
            recipients=recipients,
            subject=message.subject,
            piece_ids=list(draft.piece_ids),
            contact_id=draft.contact_id,
            attachments=[a.filename for a in message.attachments],
            size=draft.size,
            kind=kind,
            dsn=message.delivery_receipt,
            record_on_contact=record_on_contact,
            created_at=now,
        )
        staged.entries.append((entry, draft.mime))
        staged.drafts.append(draft)
    return staged
