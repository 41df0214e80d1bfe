"""Payment reminders and statements by mail: previewed from the store, then sent through the send path (outbox,
retries, history) as mails of kind "reminder" or "statement".

A reminder's send computes the reminders again from the invoices as they are at that moment: an invoice paid
since the preview leaves its mail, and a mail left without invoices is not sent; the report names both. A reminder
goes out once a day per invoice, even across a crash: the outbox keeps the day's reminders, and the level and day
are written on each invoice once its mail left (batchmail.sending.recording).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.domain.reminders import (
    DunningSettings,
    ReminderPlan,
    ReminderRequest,
    plan_reminders,
)
from batchmail.domain.selection import Criteria, select
from batchmail.errors import InvalidInput
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import Grouping
from batchmail.sending.message import Attachment
from batchmail.sending.reminder_templates import reminder_template, statement_template
from batchmail.sending.report import BatchReport
from batchmail.sending.templates import MessageTemplate
from batchmail.services.printing import PrintingService
from batchmail.services.reminder_reports import (
    PlannedReminder,
    ReminderPreview,
    ReminderReport,
    dropped,
    preview_of,
    skip_reason,
    within,
)
from batchmail.services.repositories import (
    CompanyRepository,
    ContactRepository,
    OutboxRepository,
    PieceRepository,
    SettingsRepository,
    TemplateRepository,
)
from batchmail.services.saved_settings import SavedSettings
from batchmail.services.send import SendPlan, SendService

SETTINGS_KEY = "dunning"
REMINDER, STATEMENT = "reminder", "statement"  # the kinds of mail, as the outbox and the history record them


class ReminderService:
    def __init__(
        self,
        *,
        pieces: PieceRepository,
        contacts: ContactRepository,
        company: CompanyRepository,
        settings: SettingsRepository,
        outbox: OutboxRepository,
        templates: TemplateRepository,
        send: SendService,
        printing: PrintingService,
    ) -> None:
        self._pieces = pieces
        self._contacts = contacts
        self._company = company
        self._settings = SavedSettings(settings, SETTINGS_KEY, DunningSettings)
        self._outbox = outbox
        self._templates = templates
        self._send = send
        self._printing = printing

    async def settings(self) -> DunningSettings:
        return await self._settings.get()

    async def save_settings(self, settings: DunningSettings) -> None:
        await self._settings.save(settings)

    async def preview(self, request: ReminderRequest) -> ReminderPreview:
        """The reminders of `request.as_of`: a mail per contact, and the overdue invoices left out and why.
        Raises InvalidInput for a level without a message template in a contact's language."""
        return await asyncio.to_thread(self._preview, request)

    async def send(
        self,
        request: ReminderRequest,
        choices: SendChoices,
        *,
        account_name: str | None = None,
        seen: ReminderPreview | None = None,
        attachments: Sequence[Attachment] = (),
        on_progress: Callable[[BatchReport], None] | None = None,
    ) -> ReminderReport:
        """Send the reminders of `request`, computed again now, one mail per contact, `attachments` added to
        every mail. With `seen` (the preview the user read), only its invoices go: one paid or otherwise left out
        since is dropped and named."""
        preview = await asyncio.to_thread(self._preview, request)
        report = ReminderReport(preview=preview)
        if seen is not None:
            report.dropped = dropped(seen, preview)
            preview.mails = within(preview.mails, seen.piece_ids)
            going = {mail.contact_id for mail in preview.mails}
            report.unsent = [mail.contact for mail in seen.mails if mail.contact_id not in going]
        settings = await self.settings()
        for level in sorted({mail.level for mail in preview.mails}):
            mails = [mail for mail in preview.mails if mail.level == level]
            dunning = settings.level(level)
            statements = await self._statements(mails, end=request.as_of) if dunning.attach_statement else {}
            plan = await self._plan(mails, choices, account_name, level=level, files=(statements, attachments))
            plan = _reminders_only(plan, attach_pieces=dunning.attach_pieces)
            report.sends.append(await self._send.send(plan, on_progress=on_progress))
        return report

    async def preview_statements(self, contact_ids: Sequence[int], *, start: date, end: date) -> ReminderPreview:
        """One statement mail per contact of `contact_ids` (every customer with invoices in the period when
        empty), listing the contact's invoices of the period."""
        return await asyncio.to_thread(self._statement_preview, contact_ids, start, end)

    async def send_statements(
        self,
        contact_ids: Sequence[int],
        choices: SendChoices,
        *,
        start: date,
        end: date,
        account_name: str | None = None,
        attachments: Sequence[Attachment] = (),
        on_progress: Callable[[BatchReport], None] | None = None,
    ) -> ReminderReport:
        """Mail each contact its statement of invoices of the period, as a PDF with its own template."""
        preview = await self.preview_statements(contact_ids, start=start, end=end)
        report = ReminderReport(preview=preview)
        if preview.mails:
            contact_ids = [mail.contact_id for mail in preview.mails]
            pdfs = await asyncio.gather(*(self._statement(contact_id, start, end) for contact_id in contact_ids))
            statements = dict(zip(contact_ids, pdfs, strict=True))
            plan = await self._plan(preview.mails, choices, account_name, level=0, files=(statements, attachments))
            report.sends.append(
                await self._send.send(_reminders_only(plan, attach_pieces=False), on_progress=on_progress)
            )
        return report

    # Internals

    def _preview(self, request: ReminderRequest) -> ReminderPreview:
        settings = self._settings.read()
        overdue_ids = [
            s.id for s in self._pieces.summaries() if s.type is PieceType.invoice and s.is_overdue(request.as_of)
        ]
        start_of_day = datetime.combine(request.as_of, time.min).astimezone()
        reminded_today = self._outbox.pieces_mailed_since(REMINDER, start_of_day)
        plan = plan_reminders(self._pieces.get_many(overdue_ids), request, settings, reminded_today=reminded_today)
        contacts = self._contacts.by_id()
        self._check_templates(plan, contacts)
        return preview_of(request.as_of, plan, contacts)

    def _check_templates(self, plan: ReminderPlan, contacts: Mapping[int, Contact]) -> None:
        """Every mail's level has a template in its contact's language, or nothing goes (InvalidInput)."""
        saved, company_language = self._saved_and_language()
        for mail in plan.mails:
            reminder_template(saved, mail.level, _language(contacts.get(mail.contact_id)), company_language)

    def _saved_and_language(self) -> tuple[list[MessageTemplate], Language | None]:
        company = self._company.get()
        return self._templates.all(), company.language if company else None

    def _statement_preview(self, contact_ids: Sequence[int], start: date, end: date) -> ReminderPreview:
        if start > end:
            raise InvalidInput(f"statements: the period starts ({start}) after it ends ({end})")
        contacts = self._contacts.by_id()
        unknown = [i for i in contact_ids if i not in contacts]
        if unknown:
            raise InvalidInput(f"statements: no contact has the id {', '.join(map(str, unknown))}")
        criteria = Criteria(types=frozenset({PieceType.invoice}), start=start, end=end)
        if contact_ids:
            criteria.contact_ids = frozenset(contact_ids)
        invoices = select(self._pieces.summaries(), criteria, contacts)
        by_contact: dict[int, list[Any]] = {}
        for summary in invoices:
            if summary.status.value not in ("draft", "cancelled"):
                by_contact.setdefault(summary.contact_id, []).append(summary)
        preview = ReminderPreview(as_of=end)
        for contact_id, summaries in by_contact.items():
            contact = contacts[contact_id]
            summaries.sort(key=lambda s: (s.date, s.number))
            preview.mails.append(
                PlannedReminder(
                    contact_id=contact_id,
                    contact=contact.display_name,
                    email=contact.email or "",
                    problem=skip_reason(contact),
                    level=0,
                    numbers=tuple(s.number for s in summaries),
                    piece_ids=tuple(s.id for s in summaries),
                    balances=tuple(s.balance for s in summaries),
                )
            )
        return preview

    async def _plan(
        self,
        mails: Sequence[PlannedReminder],
        choices: SendChoices,
        account_name: str | None,
        *,
        level: int,
        files: tuple[Mapping[int, tuple[Attachment, ...]], Sequence[Attachment]],
    ) -> SendPlan:
        """The send of these mails: one per contact, in the template of the level (0: a statement), with each
        contact's files and the files for every mail."""
        grouped = dataclasses.replace(choices, grouping=Grouping.per_recipient, template="")
        piece_ids = [piece_id for mail in mails for piece_id in mail.piece_ids]
        per_contact, every = files
        kind = REMINDER if level else STATEMENT
        plan = await self._send.plan(piece_ids, grouped, account_name=account_name, attachments=every, kind=kind)
        saved, company_language = await asyncio.to_thread(self._saved_and_language)

        def lookup(_: PieceType, language: Language) -> MessageTemplate:
            if level:
                return reminder_template(saved, level, language, company_language)
            return statement_template(saved, language, company_language)

        options = dataclasses.replace(plan.options, templates=lookup, contact_attachments=dict(per_contact))
        return dataclasses.replace(plan, options=options)

    async def _statements(self, mails: Sequence[PlannedReminder], *, end: date) -> dict[int, tuple[Attachment, ...]]:
        """Each contact's statement of the year up to `end`, rendered side by side in the PDF pool."""
        start = end - timedelta(days=365)
        contact_ids = [mail.contact_id for mail in mails]
        pdfs = await asyncio.gather(*(self._statement(contact_id, start, end) for contact_id in contact_ids))
        return dict(zip(contact_ids, pdfs, strict=True))

    async def _statement(self, contact_id: int, start: date | None, end: date) -> tuple[Attachment, ...]:
        pdf = await self._printing.statement_pdf(contact_id, start=start, end=end)
        return (Attachment(filename=f"releve-{end.isoformat()}.pdf", content=pdf),)


def _reminders_only(plan: SendPlan, *, attach_pieces: bool) -> SendPlan:
    """A reminder or statement mail carries the pieces' PDFs only when its level says so, and goes even if a
    piece was mailed lately (it is about the piece, not the piece again)."""
    options = dataclasses.replace(plan.options, attach_pieces=attach_pieces, check_recent_send=False)
    return dataclasses.replace(plan, options=options, resend=False)


def _language(contact: Contact | None) -> Language:
    return contact.language if contact else Language.fr
