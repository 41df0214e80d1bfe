"""Sending a batch: compose every message, write them all to the outbox, then drain it through the account's
transport, recording each mail that left on its pieces and its contact."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from batchmail.accounts import Account
from batchmail.compose import Composition, SendOptions, Skipped, compose
from batchmail.contacts import Contact, IssuingCompany
from batchmail.dispatch import dispatch
from batchmail.errors import ConfigurationError
from batchmail.history import SendRecord
from batchmail.message import content_hash, envelope_recipients, to_mime
from batchmail.outbox import OutboxEntry, OutboxState
from batchmail.pieces import Piece, Status
from batchmail.report import BatchReport
from batchmail.settings import mailbox_dir
from batchmail.transports import make_transport
from batchmail.transports.base import Transport

if TYPE_CHECKING:
    from batchmail.services import Services

Progress = Callable[[BatchReport], None]


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    numbers: tuple[str, ...]
    recipients: tuple[str, ...]
    subject: str
    attachments: tuple[str, ...]
    size: int


@dataclass(frozen=True, slots=True)
class Preview:
    """What a send would do, with nothing changed anywhere."""

    account: str
    test_mode: bool
    messages: list[PlannedMessage]
    skipped: list[Skipped]

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": True,
            "account": self.account,
            "test_mode": self.test_mode,
            "messages": [
                {
                    "pieces": list(m.numbers),
                    "recipients": list(m.recipients),
                    "subject": m.subject,
                    "attachments": list(m.attachments),
                    "size": m.size,
                }
                for m in self.messages
            ],
            "skipped": [{"piece": s.number, "contact": s.contact, "reason": s.reason} for s in self.skipped],
        }


class SendingService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def preview(self, piece_ids: list[int], *, account_name: str | None = None) -> Preview:
        """Every message a send would produce, composed for real (PDFs rendered) but written nowhere."""
        account, composition = await self._compose(piece_ids, account_name)
        messages = []
        for draft in composition.drafts:
            mime = await asyncio.to_thread(to_mime, draft.message)
            messages.append(
                PlannedMessage(
                    numbers=await self._numbers(draft.piece_ids),
                    recipients=tuple(envelope_recipients(draft.message)),
                    subject=draft.message.subject,
                    attachments=tuple(a.filename for a in draft.message.attachments),
                    size=len(mime),
                )
            )
        return Preview(
            account=account.name, test_mode=account.is_test_mailbox, messages=messages, skipped=composition.skipped
        )

    async def send(
        self, piece_ids: list[int], *, account_name: str | None = None, on_progress: Progress | None = None
    ) -> BatchReport:
        """Send one mail per piece. Every message is written to the outbox before any connection is opened;
        the report says what was sent, what waits for a retry, what failed and why, and what was skipped."""
        account, composition = await self._compose(piece_ids, account_name)
        batch_id = uuid.uuid4().hex[:12]
        now = datetime.now().astimezone()
        staged: list[tuple[OutboxEntry, bytes]] = []
        numbers_of: dict[int, tuple[str, ...]] = {}
        for draft in composition.drafts:
            mime = await asyncio.to_thread(to_mime, draft.message)
            entry = OutboxEntry(
                batch_id=batch_id,
                account=account.name,
                message_id=draft.message.message_id,
                content_hash=content_hash(draft.message),
                sender=draft.message.sender,
                recipients=envelope_recipients(draft.message),
                subject=draft.message.subject,
                piece_ids=draft.piece_ids,
                contact_id=draft.contact_id,
                attachments=[a.filename for a in draft.message.attachments],
                size=len(mime),
                created_at=now,
            )
            staged.append((entry, mime))
        entries = await asyncio.to_thread(self._services.stores.outbox.add_many, staged)
        report = BatchReport(
            batch_id=batch_id, account=account.name, test_mode=account.is_test_mailbox, skipped=composition.skipped
        )
        for entry in entries:
            numbers_of[entry.id] = await self._numbers(entry.piece_ids)
            report.update(entry, numbers_of[entry.id])
        if on_progress:
            on_progress(report)

        async def on_change(entry: OutboxEntry) -> None:
            if entry.state is OutboxState.sent:
                await asyncio.to_thread(self._record_sent, entry)
            report.update(entry, numbers_of[entry.id])
            if on_progress:
                on_progress(report)

        if entries:
            report.stopped = await dispatch(
                entries,
                store=self._services.stores.outbox,
                transport=await self._transport(account),
                now=lambda: datetime.now().astimezone(),
                on_change=on_change,
            )
        report.finished = True
        if on_progress:
            on_progress(report)
        return report

    async def _compose(self, piece_ids: list[int], account_name: str | None) -> tuple[Account, Composition]:
        account = await self._services.accounts.get(account_name)
        sender = await self._services.accounts.sender(account)

        def load() -> tuple[list[Piece], dict[int, Contact], IssuingCompany]:
            company = self._services.stores.company.get()
            if company is None:
                raise ConfigurationError("no issuing company: set it up in the settings (or load the demo data)")
            return self._services.stores.pieces.get_many(piece_ids), self._services.stores.contacts.by_id(), company

        pieces, contacts, company = await asyncio.to_thread(load)

        async def render(piece: Piece, contact: Contact) -> bytes:
            return await self._services.renderer.render_piece(piece, contact, company)

        composition = await compose(pieces, contacts, company, SendOptions(sender=sender), render)
        return account, composition

    async def _transport(self, account: Account) -> Transport:
        secret = await asyncio.to_thread(self._services.credentials.get, f"account:{account.name}")
        return make_transport(account, secret=secret, mailbox_dir=mailbox_dir(self._services.data_dir))

    async def _numbers(self, piece_ids: list[int]) -> tuple[str, ...]:
        pieces = await asyncio.to_thread(self._services.stores.pieces.get_many, piece_ids)
        return tuple(p.number for p in pieces)

    def _record_sent(self, entry: OutboxEntry) -> None:
        """On each piece: the last-sent date and the status; on the contact: the history record."""
        sent_at = entry.sent_at or datetime.now().astimezone()
        pieces = self._services.stores.pieces.get_many(entry.piece_ids)
        for piece in pieces:
            piece.last_sent = sent_at.date()
            if piece.status is Status.validated:
                piece.status = Status.sent
        self._services.stores.pieces.update_many(pieces)
        if entry.record_on_contact and entry.contact_id is not None:
            self._services.stores.history.add(
                SendRecord(
                    contact_id=entry.contact_id,
                    piece_ids=list(entry.piece_ids),
                    message_id=entry.message_id,
                    subject=entry.subject,
                    recipients=list(entry.recipients),
                    attachments=list(entry.attachments),
                    account=entry.account,
                    sent_at=sent_at,
                )
            )
