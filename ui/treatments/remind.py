"""The Remind tab: payment reminders on the overdue invoices as of a day (every contact's, or the batch's contacts
only), or statements of invoices for a period. "Preview" lists one mail per contact with its level, invoices and
amount due, and the invoices left out with the reason; "Send" sends what was previewed in the background
(ui.jobs), with the Send tab's remembered options, dropping an invoice paid in between."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from nicegui import events, ui

from batchmail.domain.reminders import ReminderRequest
from batchmail.errors import BatchMailError, InvalidInput
from batchmail.sending.report import BatchReport
from batchmail.services.reminder_reports import NotReminded, ReminderPreview, ReminderReport
from ui import i18n
from ui.components.date_field import FIELD_PROPS, date_field, field_day
from ui.components.tables import Column, simple_table
from ui.jobs import Job
from ui.treatments.base import Treatment, WorkspaceContext
from ui.treatments.printing import default_period

KEY = "remind"
ALL_LEVELS = 0
_POLL_SECONDS = 0.25
_MAIL_COLUMNS: list[Column] = [
    ("contact", "remind.col.contact", "left"),
    ("email", "remind.col.email", "left"),
    ("level", "remind.col.level", "right"),
    ("pieces", "remind.col.pieces", "left"),
    ("due", "remind.col.due", "right"),
]
_LEFT_COLUMNS: list[Column] = [
    ("number", "remind.col.number", "left"),
    ("contact", "remind.col.contact", "left"),
    ("reason", "remind.col.reason", "left"),
]


class Kind(StrEnum):
    reminders = "reminders"
    statements = "statements"


async def build(container: ui.element, context: WorkspaceContext) -> None:
    levels = len((await context.app.reminders.settings()).levels)
    with container:
        RemindPanel(context, levels)


TREATMENT = Treatment(key=KEY, label_key="treatment.remind", icon="notifications_active", build=build)


class RemindPanel:
    def __init__(self, context: WorkspaceContext, levels: int) -> None:
        self.context = context
        self._previewed: tuple[tuple[Any, ...], ReminderPreview] | None = None
        job = context.jobs.last(KEY)
        self._shown: Job | None = job if job and job.finished else None
        today = context.app.today()
        start, _ = default_period(today)
        with ui.column().classes("w-full gap-3"):
            ui.label(i18n.t("remind.intro")).classes("text-sm text-grey-8")
            kinds = {kind.value: i18n.t(f"remind.kind.{kind.value}") for kind in Kind}
            self.kind = ui.toggle(kinds, value=Kind.reminders.value, on_change=self._kind_changed)
            self.kind.props("no-caps unelevated dense toggle-color=primary data-testid=remind-kind")
            with ui.row().classes("w-full items-center gap-3"):
                self.as_of = date_field("remind.as_of", today, "remind-as-of")
                self.start = date_field("print.from", start, "remind-from")
                self.end = date_field("print.to", today, "remind-to")
                self.min_days = ui.number(i18n.t("remind.min_days"), value=1, min=1, step=1, format="%d")
                self.min_days.classes("w-[150px]").props(f"{FIELD_PROPS} data-testid=remind-min-days")
                options = {ALL_LEVELS: i18n.t("remind.level.all")} | {
                    n: i18n.t("remind.level", level=n) for n in range(1, levels + 1)
                }
                self.level = ui.select(options, value=ALL_LEVELS, label=i18n.t("remind.col.level"))
                self.level.classes("min-w-[150px]").props(f"{FIELD_PROPS} data-testid=remind-level")
                self.batch_only = ui.checkbox(i18n.t("remind.batch_only")).props("dense data-testid=remind-batch-only")
            with ui.row().classes("items-center gap-2 w-full"):
                self.preview_button = ui.button(i18n.t("treatment.preview"), icon="visibility", on_click=self.preview)
                self.preview_button.props("outline no-caps data-testid=remind-preview")
                self.send_button = ui.button(i18n.t("remind.send"), icon="send", on_click=self.send)
                self.send_button.props("unelevated no-caps data-testid=remind-send")
            self.progress = ui.linear_progress(value=0, show_value=False, size="6px").props("rounded")
            self.summary = ui.label().classes("text-sm font-medium").props("data-testid=remind-summary")
            self.sent = ui.label().classes("text-sm").props("data-testid=remind-sent")
            self.results = ui.column().classes("w-full gap-2")
        self._kind_changed()
        self._show_job(job)
        ui.timer(_POLL_SECONDS, self._poll)

    def _kind_changed(self, _: events.ValueChangeEventArguments[Any] | None = None) -> None:
        reminders = self.kind.value == Kind.reminders
        for element in (self.as_of, self.min_days, self.level):
            element.set_visibility(reminders)
        for element in (self.start, self.end):
            element.set_visibility(not reminders)
        self.send_button.text = i18n.t("remind.send" if reminders else "remind.send_statements")

    async def _contact_ids(self) -> frozenset[int]:
        if not self.batch_only.value:
            return frozenset()
        ids = await self.context.batch_ids()
        if not ids:
            raise InvalidInput(i18n.t("treatment.empty_batch"))
        return frozenset(contact.id for contact in await self.context.app.printing.batch_contacts(ids))

    async def _request(self) -> ReminderRequest:
        level = int(self.level.value or ALL_LEVELS)
        return ReminderRequest(
            as_of=field_day(self.as_of, "remind.as_of") or self.context.app.today(),
            min_days_overdue=max(1, int(self.min_days.value or 1)),
            contact_ids=await self._contact_ids(),
            level=level or None,
        )

    async def _period(self) -> tuple[Any, Any]:
        start, end = field_day(self.start, "print.from"), field_day(self.end, "print.to")
        if start is None or end is None:
            raise InvalidInput(i18n.t("print.error.no_period"))
        return start, end

    async def _figures(self) -> tuple[tuple[Any, ...], ReminderPreview]:
        """What the parameters ask for, and its preview."""
        service = self.context.app.reminders
        if self.kind.value == Kind.reminders:
            request = await self._request()
            return (Kind.reminders, request), await service.preview(request)
        start, end = await self._period()
        contacts = sorted(await self._contact_ids())
        preview = await service.preview_statements(contacts, start=start, end=end)
        return (Kind.statements, tuple(contacts), start, end), preview

    async def preview(self) -> None:
        self.preview_button.props("loading")
        try:
            self._previewed = await self._figures()
        except BatchMailError as err:
            ui.notify(i18n.t("remind.error", error=err), type="negative", multi_line=True)
            return
        finally:
            self.preview_button.props(remove="loading")
        self._show_preview(self._previewed[1])

    async def send(self) -> None:
        app = self.context.app
        try:
            asked, preview = await self._figures()
        except BatchMailError as err:
            ui.notify(i18n.t("remind.error", error=err), type="negative", multi_line=True)
            return
        seen = self._previewed[1] if self._previewed and self._previewed[0] == asked else None
        if not preview.mails:
            self._show_preview(preview)
            return
        choices = await app.send.remembered_choices()

        async def work(job: Job) -> ReminderReport:
            def progress(report: BatchReport) -> None:
                job.done, job.total = report.done, report.total

            if asked[0] == Kind.reminders:
                return await app.reminders.send(asked[1], choices, seen=seen, on_progress=progress)
            _, contacts, start, end = asked
            return await app.reminders.send_statements(contacts, choices, start=start, end=end, on_progress=progress)

        if self.context.jobs.start(KEY, work) is None:
            ui.notify(i18n.t("treatment.busy"), type="warning")
            return
        self._shown = None
        self._previewed = None
        self.summary.text = i18n.t("remind.sending")
        self.results.clear()

    # -- showing what happened ----------------------------------------------------------------------------------

    def _show_preview(self, preview: ReminderPreview, dropped: list[NotReminded] | None = None) -> None:
        due = sum((mail.total_due for mail in preview.mails), Decimal(0))
        self.summary.text = i18n.t(
            "remind.preview.summary", mails=len(preview.mails), due=i18n.money(due), left=len(preview.left_out)
        )
        self.results.clear()
        with self.results:
            if preview.mails:
                rows = [
                    {
                        "id": mail.contact_id,
                        "contact": mail.contact,
                        "email": f"{mail.email or '—'} ({i18n.t('remind.skipped')})" if mail.problem else mail.email,
                        "level": str(mail.level) if mail.level else "",
                        "pieces": ", ".join(mail.numbers),
                        "due": i18n.money(mail.total_due),
                    }
                    for mail in preview.mails
                ]
                simple_table(_MAIL_COLUMNS, rows, "remind-mails", per_page=10)
            left = [*(dropped or []), *preview.left_out]
            if left:
                rows = [
                    {"id": n, "number": x.number, "contact": x.contact, "reason": _reason(x)}
                    for n, x in enumerate(left)
                ]
                simple_table(_LEFT_COLUMNS, rows, "remind-left-out", per_page=10)

    def _show_job(self, job: Job | None) -> None:
        busy = job is not None and not job.finished
        self.progress.set_visibility(busy)
        self.progress.value = job.fraction if job else 0
        # Until the first mail is composed (statements to render), the bar says "working", not "0 %".
        if busy and job is not None and not job.total:
            self.progress.props("indeterminate")
        else:
            self.progress.props(remove="indeterminate")
        self.send_button.set_enabled(not self.context.jobs.busy)
        self.sent.set_visibility(job is not None and job.finished and not job.error)
        if job is None or not job.finished:
            return
        if job.error:
            self.summary.text = i18n.t("remind.error", error=job.error)
            return
        report = job.result
        if not isinstance(report, ReminderReport):
            return
        self._show_preview(report.preview, report.dropped)
        counts = {name: sum(send.counts[name] for send in report.sends) for name in ("sent", "failed", "skipped")}
        waiting = sum(send.counts["retry_waiting"] + send.counts["queued"] for send in report.sends)
        unsent = f" · {i18n.t('remind.unsent', contacts=', '.join(report.unsent))}" if report.unsent else ""
        self.sent.text = i18n.t("remind.sent", waiting=waiting, **counts) + unsent

    async def _poll(self) -> None:
        job = self.context.jobs.last(KEY)
        if job is None or job is self._shown:
            self.send_button.set_enabled(not self.context.jobs.busy)
            return
        self._show_job(job)
        if job.finished:
            self._shown = job
            if job.error:
                ui.notify(i18n.t("remind.error", error=job.error), type="negative", multi_line=True)
            await self.context.changed()


def _reason(left: NotReminded) -> str:
    """Why the invoice waits, in the UI's language."""
    return i18n.t(f"remind.why.{left.why.code}", **left.why.values)
