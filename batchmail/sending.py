"""Sending a batch: compose every message, hold back what already went, write the rest to the outbox, then drain
it through the account's transport, recording each mail that left on its pieces and its contact.

`deliver` is shared with the queue (retries, resume at start). Entries a delivery holds are claimed, so two
deliveries of this process never send the same entry; the data directory's lock keeps other processes out.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from batchmail.accounts import Account
from batchmail.compose import Composition, Draft, SendOptions, WarningCode, compose
from batchmail.contacts import Contact, IssuingCompany, SenderAddress
from batchmail.delivery_events import provider_message_id
from batchmail.dispatch import OutboxWriter, Pace, dispatch
from batchmail.errors import ConfigurationError
from batchmail.history import SendRecord
from batchmail.message import envelope_recipients
from batchmail.outbox import OutboxEntry, OutboxState, duplicate_reason, local_now, mime_content_hash
from batchmail.pieces import Piece, Status
from batchmail.report import BatchReport, Held, Phase, PlannedMessage
from batchmail.report import Preview as Preview  # where the UI has always found it
from batchmail.transports.base import Transport

if TYPE_CHECKING:
    from batchmail.services import Services
    from storage.stores import Stores

Progress = Callable[[BatchReport], None]
log = logging.getLogger(__name__)
_RECORD_PAUSE = 1.0  # seconds sent mails gather before they are written on their pieces and contacts, together


@dataclass(kw_only=True, slots=True)
class _Batch:
    """A composition turned into outbox entries (not yet written) and the pieces held back as already sent."""

    staged: list[tuple[OutboxEntry, bytes]] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)  # piece id -> number


class SendingService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._paces: dict[str, Pace] = {}
        self._claimed: set[int] = set()  # outbox entries a delivery of this process holds

    async def preview(
        self,
        piece_ids: list[int],
        *,
        account_name: str | None = None,
        options: SendOptions | None = None,
        resend: bool = False,
    ) -> Preview:
        """Every message a send would produce, composed for real (PDFs rendered) but written nowhere, and what it
        would hold back as already sent."""
        account = await self._services.accounts.get(account_name)
        report = BatchReport(batch_id="", account=account.name, test_mode=account.is_test_mailbox)
        composition, batch = await self._prepare(piece_ids, account, options, report, None, resend, kind="piece")
        messages = [
            PlannedMessage(
                numbers=tuple(batch.numbers[i] for i in entry.piece_ids),
                recipients=tuple(entry.recipients),
                subject=entry.subject,
                attachments=tuple(entry.attachments),
                size=entry.size,
            )
            for entry, _ in batch.staged
        ]
        return Preview(
            account=account.name,
            test_mode=account.is_test_mailbox,
            messages=messages,
            skipped=composition.skipped,
            held=batch.held,
        )

    async def send(
        self,
        piece_ids: list[int],
        *,
        account_name: str | None = None,
        options: SendOptions | None = None,
        resend: bool = False,
        kind: str = "piece",
        on_progress: Progress | None = None,
    ) -> BatchReport:
        """Send the pieces (one mail per piece unless `options` group them). Every message is written to the
        outbox before any connection is opened. A message whose exact content already went, or is on its way, to
        the same address is held back unless `resend`. The report says what was sent, what waits and until when,
        what failed and why, and what was left out; `on_progress` sees it change from the first PDF on."""
        account = await self._services.accounts.get(account_name)
        report = BatchReport(
            batch_id=uuid.uuid4().hex[:12],
            account=account.name,
            test_mode=account.is_test_mailbox,
            started_at=local_now(),
            to_compose=len(piece_ids),
        )
        _notify(on_progress, report)
        composition, batch = await self._prepare(piece_ids, account, options, report, on_progress, resend, kind)
        report.skipped, report.held = composition.skipped, batch.held
        # An account that cannot work (no password, a missing certificate file) stops before anything is written.
        transport = await self._transport(account) if batch.staged else None
        entries = await asyncio.to_thread(self._services.stores.outbox.add_many, batch.staged)
        await self.deliver(entries, account, report, on_progress, transport=transport)
        return report

    async def deliver(
        self,
        entries: Sequence[OutboxEntry],
        account: Account,
        report: BatchReport,
        on_progress: Progress | None = None,
        *,
        transport: Transport | None = None,
    ) -> None:
        """Send outbox entries through `account` over its parallel connections at its pace, updating `report`.
        Entries another delivery of this process holds are left to it."""
        mine = [entry for entry in entries if entry.id not in self._claimed]
        self._claimed.update(entry.id for entry in mine)
        try:
            if mine:
                await self._dispatch(mine, account, report, on_progress, transport or await self._transport(account))
        finally:
            self._claimed.difference_update(entry.id for entry in mine)
        report.phase, report.finished, report.expected_end = Phase.done, True, None
        _notify(on_progress, report)

    async def _dispatch(
        self,
        entries: list[OutboxEntry],
        account: Account,
        report: BatchReport,
        on_progress: Progress | None,
        transport: Transport,
    ) -> None:
        pace = await self._pace(account)
        numbers = await asyncio.to_thread(self._numbers)
        stores = self._services.stores
        writer = OutboxWriter(stores.outbox)
        recorder = _Recorder(stores, writer)
        for entry in entries:
            report.update(entry, tuple(numbers.get(i, "?") for i in entry.piece_ids))
        report.phase, report.sending_since = Phase.sending, local_now()
        _notify(on_progress, report)

        async def on_change(entry: OutboxEntry) -> None:
            report.update(entry, report.rows[entry.id].numbers)
            if entry.state is OutboxState.sent:
                recorder.add(entry)
            now = local_now()
            report.expected_end = pace.expected_end(report.remaining, now, report.rate(now))
            _notify(on_progress, report)

        try:
            report.stopped = await dispatch(
                entries,
                store=stores.outbox,
                writer=writer,
                transport=transport,
                pace=pace,
                now=local_now,
                on_change=on_change,
                connections=account.connections,
            )
        finally:
            await recorder.close()

    def is_claimed(self, entry_id: int) -> bool:
        """Whether a delivery of this process holds the entry right now."""
        return entry_id in self._claimed

    async def record_unrecorded(self) -> int:
        """Write on their pieces and contacts the mails that left while the app stopped before recording them."""

        def run() -> int:
            entries = [e for e in self._services.stores.outbox.unrecorded() if e.id not in self._claimed]
            if entries:
                record_sent(self._services.stores, entries, check_history=True)
                for entry in entries:
                    entry.recorded = True
                self._services.stores.outbox.save_many(entries)
            return len(entries)

        return await asyncio.to_thread(run)

    def default_options(self, account: Account, sender: SenderAddress, *, resend: bool = False) -> SendOptions:
        """The options of a plain send: the saved templates, the account's size limit, today's date. An explicit
        resend also lets through the pieces composition holds back as sent recently."""
        return SendOptions(
            sender=sender,
            templates=self._services.templates.lookup_sync,
            max_message_bytes=account.max_message_bytes,
            today=self._services.today(),
            overrides=frozenset({WarningCode.recently_sent}) if resend else frozenset(),
        )

    async def _prepare(
        self,
        piece_ids: list[int],
        account: Account,
        options: SendOptions | None,
        report: BatchReport,
        on_progress: Progress | None,
        resend: bool,
        kind: str,
    ) -> tuple[Composition, _Batch]:
        sender = await self._services.accounts.sender(account)

        def load() -> tuple[list[Piece], Mapping[int, Contact], IssuingCompany]:
            company = self._services.stores.company.get()
            if company is None:
                raise ConfigurationError("no issuing company: set it up in the settings (or load the demo data)")
            return self._services.stores.pieces.get_many(piece_ids), self._services.stores.contacts.by_id(), company

        pieces, contacts, company = await asyncio.to_thread(load)

        async def render(piece: Piece, contact: Contact) -> bytes:
            pdf = await self._services.renderer.render_piece(piece, contact, company)
            report.composed += 1
            _notify(on_progress, report)
            return pdf

        if options is None:
            options = self.default_options(account, sender, resend=resend)
        composition = await compose(pieces, contacts, company, options, render)
        numbers = {piece.id: piece.number for piece in pieces}
        batch = await asyncio.to_thread(
            self._stage, composition.drafts, account, numbers, contacts, resend=resend, kind=kind
        )
        return composition, batch

    def _stage(
        self,
        drafts: Sequence[Draft],
        account: Account,
        numbers: dict[int, str],
        contacts: Mapping[int, Contact],
        *,
        resend: bool,
        kind: str,
    ) -> _Batch:
        """Each draft as MIME bytes and an outbox entry, or held back as already sent (blocking: run in a thread)."""
        batch = _Batch(numbers=numbers)
        batch_id, now = uuid.uuid4().hex[:12], local_now()
        for draft in drafts:
            message = draft.message
            mime = draft.mime
            recipients = envelope_recipients(message)
            content_hash = mime_content_hash(mime, recipients)
            earlier = None if resend else self._services.stores.outbox.duplicate_of(content_hash, recipients)
            if earlier is not None:
                name = contacts[draft.contact_id].name if draft.contact_id in contacts else ""
                reason = duplicate_reason(earlier)
                batch.held += [
                    Held(piece_id=i, number=numbers[i], contact=name, reason=reason, earlier_entry=earlier.id)
                    for i in draft.piece_ids
                ]
                continue
            entry = OutboxEntry(
                batch_id=batch_id,
                account=account.name,
                message_id=message.message_id,
                content_hash=content_hash,
                sender=message.sender,
                recipients=recipients,
                subject=message.subject,
                piece_ids=list(draft.piece_ids),
                contact_id=draft.contact_id,
                attachments=[a.filename for a in message.attachments],
                size=len(mime),
                kind=kind,
                dsn=message.delivery_receipt,
                created_at=now,
            )
            batch.staged.append((entry, mime))
        return batch

    async def _transport(self, account: Account) -> Transport:
        return await self._services.accounts.transport(account)

    async def _pace(self, account: Account) -> Pace:
        """The account's pace, shared by every delivery of this process; the day counted from the outbox."""
        pace = self._paces.get(account.name)
        if pace is None or (pace.per_minute, pace.per_day) != (account.per_minute, account.per_day):
            since = local_now() - timedelta(days=1)
            recent = await asyncio.to_thread(self._services.stores.outbox.sent_since, account.name, since)
            pace = self._paces[account.name] = Pace(
                per_minute=account.per_minute, per_day=account.per_day, recent=recent
            )
        return pace

    def _numbers(self) -> dict[int, str]:
        return {summary.id: summary.number for summary in self._services.stores.pieces.summaries()}


class _Recorder:
    """Writes sent mails on their pieces and contacts a few at a time, then marks their entries recorded.

    An entry is marked only after its records are on disk; a crash in between leaves it unrecorded, and
    `record_unrecorded` (at the next resume) finishes the job without writing a history record twice."""

    def __init__(self, stores: Stores, writer: OutboxWriter) -> None:
        self._stores = stores
        self._writer = writer
        self._pending: list[OutboxEntry] = []
        self._task: asyncio.Future[None] | None = None

    def add(self, entry: OutboxEntry) -> None:
        self._pending.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._after_pause())

    async def close(self) -> None:
        if self._task is not None:
            await self._task
        await self._flush()

    async def _after_pause(self) -> None:
        await asyncio.sleep(_RECORD_PAUSE)
        await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            await asyncio.to_thread(record_sent, self._stores, batch, check_history=False)
        except Exception:  # the mails left: recording is finished at the next resume
            log.exception("recording %d sent mails on their pieces and contacts failed", len(batch))
            return
        for entry in batch:
            entry.recorded = True
            self._writer.defer(entry)
        await self._writer.flush()


def record_sent(stores: Stores, entries: Sequence[OutboxEntry], *, check_history: bool) -> None:
    """On each piece: the last-sent date, and `sent` for a validated one; on the contact: the history record
    (unless the mail was sent without). `check_history` skips mails already in a contact's history."""
    last_sent: dict[int, datetime] = {}
    for entry in entries:
        sent_at = entry.sent_at or local_now()
        for piece_id in entry.piece_ids:
            last_sent[piece_id] = max(last_sent.get(piece_id, sent_at), sent_at)
    known = {summary.id for summary in stores.pieces.summaries()}
    pieces = stores.pieces.get_many(piece_id for piece_id in last_sent if piece_id in known)
    for piece in pieces:
        day = last_sent[piece.id].date()
        piece.last_sent = max(piece.last_sent, day) if piece.last_sent else day
        if piece.status is Status.validated:
            piece.status = Status.sent
    if pieces:
        stores.pieces.update_many(pieces)
    records = []
    for entry in entries:
        if not entry.record_on_contact or entry.contact_id is None:
            continue
        if check_history and any(
            r.message_id == entry.message_id for r in stores.history.for_contact(entry.contact_id)
        ):
            continue
        records.append(
            SendRecord(
                contact_id=entry.contact_id,
                piece_ids=list(entry.piece_ids),
                kind=entry.kind,
                message_id=entry.message_id,
                subject=entry.subject,
                recipients=list(entry.recipients),
                attachments=list(entry.attachments),
                account=entry.account,
                sent_at=entry.sent_at or local_now(),
                provider_message_id=provider_message_id(entry.server_reply),
            )
        )
    if records:
        stores.history.add_many(records)


def _notify(on_progress: Progress | None, report: BatchReport) -> None:
    if on_progress is not None:
        on_progress(report)
