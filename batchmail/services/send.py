"""Sending a batch: compose every message, hold back what already went, write the rest to the outbox, then drain
it through the account's transport, recording each mail that left on its pieces and its contact.

`deliver` is shared with the queue (retries, resume at start). Entries a delivery holds are claimed, so two
deliveries of this process never send the same entry; the data directory's lock keeps other processes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from batchmail.domain.company import IssuingCompany, SenderAddress
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece
from batchmail.errors import ConfigurationError, InvalidInput
from batchmail.sending.accounts import Account, AccountKind
from batchmail.sending.checks import WarningCode
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import Composition, Grouping, SendOptions, compose
from batchmail.sending.delivery_events import DeliveryEvent
from batchmail.sending.dispatch import OutboxWriter, dispatch
from batchmail.sending.message import Attachment
from batchmail.sending.outbox import OutboxEntry, OutboxState, local_now
from batchmail.sending.pace import Pace
from batchmail.sending.preview import Preview, planned
from batchmail.sending.recording import Recorder, record_sent
from batchmail.sending.report import BatchReport, Phase
from batchmail.sending.staging import Staged, stage
from batchmail.sending.transports.base import Transport

if TYPE_CHECKING:
    from batchmail.services.facade import Services

Progress = Callable[[BatchReport], None]
CHOICES_KEY = "send_choices"  # the settings entry of the choices remembered for the next batch


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
        """Every message a send would produce, composed for real (PDFs rendered) but written nowhere, each as its
        recipient will see it; the pieces it would leave out, and those it would hold back as already sent."""
        account = await self._services.accounts.get(account_name)
        report = BatchReport(batch_id="", account=account.name, test_mode=account.is_test_mailbox)
        composition, staged = await self._prepare(piece_ids, account, options, report, None, resend, kind="piece")
        return Preview(
            account=account.name,
            test_mode=account.is_test_mailbox,
            messages=[planned(d, staged.numbers, staged.names.get(d.contact_id, "")) for d in staged.drafts],
            skipped=composition.skipped,
            held=staged.held,
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
        composition, staged = await self._prepare(piece_ids, account, options, report, on_progress, resend, kind)
        report.skipped, report.held = composition.skipped, staged.held
        # An account that cannot work (no password, a missing certificate file) stops before anything is written.
        transport = await self._transport(account) if staged.entries else None
        entries = await asyncio.to_thread(self._services.stores.outbox.add_many, staged.entries)
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
        with self.holding([entry.id for entry in entries if entry.id not in self._claimed], partial=True) as mine:
            # Read again once held: a copy taken before may be stale (sent, dropped or re-addressed meanwhile).
            current = await asyncio.to_thread(self._services.stores.outbox.pending_among, mine)
            if current:
                await self._dispatch(current, account, report, on_progress, transport or await self._transport(account))
        report.phase, report.finished, report.expected_end, report.paced = Phase.done, True, None, False
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
        recorder = Recorder(stores, writer)
        report.per_minute, report.per_day = account.per_minute, account.per_day
        report.provider_events = account.kind is AccountKind.brevo
        for entry in entries:
            report.update(entry, tuple(numbers.get(i, "?") for i in entry.piece_ids))
        report.phase, report.sending_since = Phase.sending, local_now()
        report.estimate_end(pace.expected_end(report.remaining, report.sending_since, None), report.sending_since)
        _notify(on_progress, report)

        async def on_change(entry: OutboxEntry) -> None:
            report.update(entry, report.rows[entry.id].numbers)
            if entry.state is OutboxState.sent:
                recorder.add(entry)
            now = local_now()
            report.estimate_end(pace.expected_end(report.remaining, now, report.rate(now)), now)
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
        """Whether a delivery or a queue action of this process holds the entry right now."""
        return entry_id in self._claimed

    @contextlib.contextmanager
    def holding(self, entry_ids: Iterable[int], *, partial: bool = False) -> Iterator[list[int]]:
        """Hold outbox entries for one change of this process (a delivery, a queue action) so that no other one
        touches them meanwhile; yields the ids held. An entry already held raises InvalidInput naming it, or with
        `partial` is left out. The check and the claim are one step on the event loop: call it there."""
        wanted = list(dict.fromkeys(entry_ids))
        taken = [entry_id for entry_id in wanted if entry_id in self._claimed]
        if taken and not partial:
            raise InvalidInput(f"outbox entry {taken[0]} is being sent right now")
        ids = [entry_id for entry_id in wanted if entry_id not in self._claimed]
        self._claimed.update(ids)
        try:
            yield ids
        finally:
            self._claimed.difference_update(ids)

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

    def default_options(
        self,
        account: Account,
        sender: SenderAddress,
        *,
        company: IssuingCompany | None,
        resend: bool = False,
        auto_bcc: bool = True,
    ) -> SendOptions:
        """The options of a plain send: the saved templates, the account's size limit, today's date, and the
        company's archive address in blind copy unless `auto_bcc` is False. An explicit resend also lets through
        the pieces composition holds back as sent recently."""
        return SendOptions(
            sender=sender,
            templates=self._services.templates.lookup_sync,
            max_message_bytes=account.max_message_bytes,
            today=self._services.today(),
            auto_bcc=(company.archive_bcc.strip() or None) if company and auto_bcc else None,
            overrides=frozenset({WarningCode.recently_sent}) if resend else frozenset(),
        )

    async def options(
        self, choices: SendChoices, *, account: Account | None = None, attachments: Sequence[Attachment] = ()
    ) -> SendOptions:
        """The options `choices` describe for a batch through `account` (default: the default account), with
        `attachments` added to every mail. Raises InvalidInput for a sender that is not one of the user's addresses
        or a template that does not exist."""
        account = account or await self._services.accounts.get()
        sender = await self._services.accounts.sender(account, choices.sender or None)
        template = await self._services.templates.get(choices.template) if choices.template else None
        company = await self._services.company()
        return replace(
            self.default_options(account, sender, company=company, resend=choices.resend, auto_bcc=choices.auto_bcc),
            grouping=choices.grouping,
            zip_attachments=choices.zip_attachments and choices.grouping is Grouping.per_recipient,
            single_recipient=choices.single_recipient.strip() or None,
            template=template,
            extra_attachments=tuple(attachments),
            read_receipt=choices.read_receipt,
            delivery_receipt=choices.delivery_receipt,
            high_priority=choices.high_priority,
            cc_sender=choices.cc_sender,
            record_on_contact=choices.record_on_contact,
            overrides=choices.overrides,
        )

    async def remembered_choices(self) -> SendChoices:
        """The choices of the last batch the user sent or previewed (those worth keeping), else the defaults."""
        saved: Any = await asyncio.to_thread(self._services.stores.settings.get, CHOICES_KEY, {})
        return SendChoices.from_remembered(saved if isinstance(saved, dict) else {})

    async def remember_choices(self, choices: SendChoices) -> None:
        await asyncio.to_thread(self._services.stores.settings.set, CHOICES_KEY, choices.remembered())

    async def delivery_events(self, report: BatchReport, *, poll: bool = True) -> int:
        """Put on the report's rows what the provider last said of each mail (delivered, opened, bounced...), as
        kept on the history; with `poll`, ask the provider first (Brevo only). Returns how many rows have news."""
        if poll and report.provider_events:
            await self._services.accounts.poll_events(report.account)
        contact_ids = {row.contact_id for row in report.rows.values() if row.contact_id is not None}
        wanted = {row.message_id for row in report.rows.values()}

        def latest() -> dict[str, DeliveryEvent]:
            found: dict[str, DeliveryEvent] = {}
            for contact_id in contact_ids:
                for record in self._services.stores.history.for_contact(contact_id):
                    if record.message_id in wanted and record.events:
                        found[record.message_id] = max(record.events, key=lambda e: e.at)
            return found

        return report.set_events(await asyncio.to_thread(latest))

    async def _prepare(
        self,
        piece_ids: list[int],
        account: Account,
        options: SendOptions | None,
        report: BatchReport,
        on_progress: Progress | None,
        resend: bool,
        kind: str,
    ) -> tuple[Composition, Staged]:
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
            sender = await self._services.accounts.sender(account)
            options = self.default_options(account, sender, company=company, resend=resend)
        composition = await compose(pieces, contacts, company, options, render)
        staged = await asyncio.to_thread(
            stage,
            self._services.stores.outbox,
            composition.drafts,
            account=account.name,
            batch_id=report.batch_id or uuid.uuid4().hex[:12],
            numbers={piece.id: piece.number for piece in pieces},
            names={contact_id: contacts[contact_id].name for contact_id in {p.contact_id for p in pieces}},
            resend=resend,
            kind=kind,
            record_on_contact=options.record_on_contact,
            now=local_now(),
        )
        return composition, staged

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


def _notify(on_progress: Progress | None, report: BatchReport) -> None:
    if on_progress is not None:
        on_progress(report)
