"""Sending a batch: planned once, then previewed or sent.

`plan` loads everything a send needs, once: the pieces and their contacts, the issuing company, the account, the
sender, the templates, and the options the user's choices describe (resend included). `preview` composes every
message of a plan (PDFs rendered) and writes nothing; `send` composes the same messages, holds back what already
went, writes the rest to the outbox before any connection opens, and hands them to `Deliveries`. Both take the
plan, so what was previewed is what leaves.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.addresses import parse_address
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece, PieceRef
from batchmail.domain.selection import linked_ids, refs
from batchmail.errors import ConfigurationError
from batchmail.sending.accounts import Account
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import Composition, Grouping, SendOptions, compose
from batchmail.sending.delivery_events import DeliveryEvent
from batchmail.sending.message import Attachment
from batchmail.sending.outbox import local_now
from batchmail.sending.preview import Preview, planned
from batchmail.sending.report import BatchReport, Progress, notify
from batchmail.sending.staging import Staged, stage
from batchmail.services.accounts import AccountService
from batchmail.services.delivery import Deliveries
from batchmail.services.repositories import (
    CompanyRepository,
    ContactRepository,
    HistoryRepository,
    OutboxRepository,
    PieceRepository,
    SettingsRepository,
    Today,
)
from batchmail.services.templates import TemplateService

CHOICES_KEY = "send_choices"  # the settings entry of the choices remembered for the next batch
_UNKNOWN_CONTACT = "?"  # the name of a contact a piece names but the store does not have


@dataclass(frozen=True, kw_only=True, slots=True)
class SendPlan:
    """One send, resolved once from the selection and the user's choices."""

    account: Account
    options: SendOptions  # every option of the batch, the sender and templates resolved
    pieces: tuple[Piece, ...]  # the selection's pieces still stored, in its order
    contacts: Mapping[int, Contact]  # the contact of each piece, by id
    company: IssuingCompany
    origins: Mapping[int, tuple[PieceRef, ...]]  # what each piece follows, named on its PDF, by piece id
    resend: bool  # send again what already went, with the same content, to the same address
    kind: str = "piece"  # what the mails are, as the contact's history records them

    @property
    def numbers(self) -> dict[int, str]:
        return {piece.id: piece.number for piece in self.pieces}

    @property
    def names(self) -> dict[int, str]:
        return {contact_id: contact.name for contact_id, contact in self.contacts.items()}


class SendService:
    def __init__(
        self,
        *,
        pieces: PieceRepository,
        contacts: ContactRepository,
        company: CompanyRepository,
        settings: SettingsRepository,
        outbox: OutboxRepository,
        history: HistoryRepository,
        accounts: AccountService,
        templates: TemplateService,
        renderer: PdfRenderer,
        deliveries: Deliveries,
        today: Today,
    ) -> None:
        self._pieces = pieces
        self._contacts = contacts
        self._company = company
        self._settings = settings
        self._outbox = outbox
        self._history = history
        self._accounts = accounts
        self._templates = templates
        self._renderer = renderer
        self._deliveries = deliveries
        self._today = today

    async def plan(
        self,
        piece_ids: Sequence[int],
        choices: SendChoices | None = None,
        *,
        account_name: str | None = None,
        attachments: Sequence[Attachment] = (),
        kind: str = "piece",
    ) -> SendPlan:
        """The send of `piece_ids` (ids no longer stored are left out) under `choices` (default: a plain send,
        one mail per piece) through `account_name` (default: the default account), `attachments` added to every
        mail. Raises ConfigurationError without an issuing company or a sender address, InvalidInput for a
        sender that is not one of the user's addresses, NotFound for an account or a template that does not
        exist."""
        choices = choices or SendChoices()
        single = choices.single_recipient.strip()
        single_recipient = parse_address(single, field="single recipient") if single else None
        account = await self._accounts.get(account_name)
        template = await self._templates.get(choices.template) if choices.template else None
        lookup = await self._templates.lookup_table()

        def load() -> tuple[list[Piece], dict[int, Contact], IssuingCompany, dict[int, tuple[PieceRef, ...]]]:
            company = self._company.get()
            if company is None:
                raise ConfigurationError("no issuing company: set it up in the settings (or load the demo data)")
            stored = self._pieces.summaries_of(piece_ids)
            pieces = self._pieces.get_many(i for i in dict.fromkeys(piece_ids) if i in stored)
            every = self._contacts.by_id()
            contacts = {
                p.contact_id: every.get(p.contact_id) or Contact(id=p.contact_id, name=_UNKNOWN_CONTACT) for p in pieces
            }
            linked = self._pieces.summaries_of(linked_ids(pieces))
            origins = {p.id: refs(p.origin_ids, linked) for p in pieces if p.origin_ids}
            return pieces, contacts, company, origins

        pieces, contacts, company, origins = await asyncio.to_thread(load)
        sender = await self._accounts.sender(account, choices.sender or None, company=company)
        archive = company.archive_bcc.strip()
        options = SendOptions(
            sender=sender,
            grouping=choices.grouping,
            zip_attachments=choices.zip_attachments and choices.grouping is Grouping.per_recipient,
            single_recipient=single_recipient,
            template=template,
            templates=lookup,
            extra_attachments=tuple(attachments),
            read_receipt=choices.read_receipt,
            delivery_receipt=choices.delivery_receipt,
            high_priority=choices.high_priority,
            cc_sender=choices.cc_sender,
            auto_bcc=archive if archive and choices.auto_bcc else None,
            record_on_contact=choices.record_on_contact,
            today=self._today(),
            max_message_bytes=account.max_message_bytes,
            overrides=choices.overrides,
        )
        return SendPlan(
            account=account,
            options=options,
            pieces=tuple(pieces),
            contacts=contacts,
            company=company,
            origins=origins,
            resend=choices.resend,
            kind=kind,
        )

    async def preview(self, plan: SendPlan) -> Preview:
        """Every message the plan's send would produce, composed for real (PDFs rendered) but written nowhere, each
        as its recipient will see it; the pieces it would leave out, and those it would hold back as sent."""
        composition, staged = await self._compose(plan, batch_id="")
        return Preview(
            account=plan.account.name,
            test_mode=plan.account.is_test_mailbox,
            messages=[planned(d, staged.numbers, staged.names.get(d.contact_id, "")) for d in staged.drafts],
            skipped=composition.skipped,
            held=staged.held,
        )

    async def send(self, plan: SendPlan, *, on_progress: Progress | None = None) -> BatchReport:
        """Send the plan's pieces. Every message is written to the outbox before any connection is opened. A
        message whose exact content already went, or is on its way, to the same address is held back unless the
        plan resends. The report says what was sent, what waits and until when, what failed and why, and what was
        left out; `on_progress` sees it change from the first PDF on."""
        report = BatchReport(
            batch_id=_batch_id(),
            account=plan.account.name,
            test_mode=plan.account.is_test_mailbox,
            started_at=local_now(),
            to_compose=len(plan.pieces),
        )
        notify(on_progress, report)

        def rendered() -> None:
            report.composed += 1
            notify(on_progress, report)

        composition, staged = await self._compose(plan, batch_id=report.batch_id, on_rendered=rendered)
        report.skipped, report.held = composition.skipped, staged.held
        # An account that cannot work (no password, a missing certificate file) stops before anything is written.
        transport = await self._accounts.transport(plan.account) if staged.entries else None
        entries = await asyncio.to_thread(self._outbox.add_many, staged.entries)
        await self._deliveries.deliver(entries, plan.account, report, on_progress, transport=transport)
        return report

    async def remembered_choices(self) -> SendChoices:
        """The choices of the last batch the user sent or previewed (those worth keeping), else the defaults."""
        saved: Any = await asyncio.to_thread(self._settings.get, CHOICES_KEY, {})
        return SendChoices.from_remembered(saved if isinstance(saved, dict) else {})

    async def remember_choices(self, choices: SendChoices) -> None:
        await asyncio.to_thread(self._settings.set, CHOICES_KEY, choices.remembered())

    async def delivery_events(self, report: BatchReport, *, poll: bool = True) -> int:
        """Put on the report's rows what the provider last said of each mail (delivered, opened, bounced...), as
        kept on the history; with `poll`, ask the provider first (Brevo only). Returns how many rows have news."""
        if poll and report.provider_events:
            await self._accounts.poll_events(report.account)
        contact_ids = {row.contact_id for row in report.rows.values() if row.contact_id is not None}
        wanted = {row.message_id for row in report.rows.values()}

        def latest() -> dict[str, DeliveryEvent]:
            found: dict[str, DeliveryEvent] = {}
            for contact_id in contact_ids:
                for record in self._history.for_contact(contact_id):
                    if record.message_id in wanted and record.events:
                        found[record.message_id] = max(record.events, key=lambda e: e.at)
            return found

        return report.set_events(await asyncio.to_thread(latest))

    async def _compose(
        self, plan: SendPlan, *, batch_id: str, on_rendered: Callable[[], None] | None = None
    ) -> tuple[Composition, Staged]:
        """The plan's messages, and each as an outbox entry not yet written (or held back as already sent)."""

        async def render(piece: Piece, contact: Contact) -> bytes:
            pdf = await self._renderer.render_piece(
                piece, contact, plan.company, origins=plan.origins.get(piece.id, ())
            )
            if on_rendered is not None:
                on_rendered()
            return pdf

        composition = await compose(plan.pieces, plan.contacts, plan.company, plan.options, render)
        staged = await asyncio.to_thread(
            stage,
            self._outbox,
            composition.drafts,
            account=plan.account.name,
            batch_id=batch_id or _batch_id(),
            numbers=plan.numbers,
            names=plan.names,
            resend=plan.resend,
            kind=plan.kind,
            record_on_contact=plan.options.record_on_contact,
            now=local_now(),
        )
        return composition, staged


def _batch_id() -> str:
    return uuid.uuid4().hex[:12]
