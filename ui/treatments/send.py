"""The Send tab: one mail per piece of the batch through the current account, with a preview that sends nothing,
progress while it runs in the background, and the report."""

from __future__ import annotations

from nicegui import ui

from batchmail.errors import BatchMailError
from batchmail.report import BatchReport
from batchmail.sending import Preview
from ui import i18n
from ui.components.report import ROWS_PER_PAGE, show_report, skipped_table
from ui.components.tables import simple_table
from ui.jobs import Job
from ui.treatments.base import Treatment, WorkspaceContext

KEY = "send"
_POLL_SECONDS = 0.25


async def build(container: ui.element, context: WorkspaceContext) -> None:
    account = await context.services.accounts.get()
    with container:
        SendPanel(
            context,
            account_text=i18n.t("send.through.test")
            if account.is_test_mailbox
            else i18n.t("send.through", name=account.name),
        )


TREATMENT = Treatment(key=KEY, label_key="treatment.send", icon="send", build=build)


class SendPanel:
    def __init__(self, context: WorkspaceContext, *, account_text: str) -> None:
        self.context = context
        job = context.jobs.last(KEY)
        self._shown: Job | None = job if job and job.finished else None  # a report shown once, not on each poll
        with ui.column().classes("w-full gap-3"):
            ui.label(i18n.t("send.intro")).classes("text-sm text-grey-8")
            ui.label(account_text).classes("text-sm text-grey-9").props("data-testid=send-account")
            with ui.row().classes("items-center gap-2 w-full"):
                self.preview_button = ui.button(i18n.t("treatment.preview"), icon="visibility", on_click=self.preview)
                self.preview_button.props("outline no-caps data-testid=send-preview")
                self.run_button = ui.button(i18n.t("treatment.run"), icon="send", on_click=self.run)
                self.run_button.props("unelevated no-caps data-testid=send")
                ui.space()
                self.progress_label = ui.label().classes("text-sm text-grey-8").props("data-testid=send-progress-text")
            self.progress = ui.linear_progress(value=0, show_value=False, size="8px").classes("w-full")
            self.progress.props("rounded data-testid=send-progress")
            self.report_area = ui.column().classes("w-full gap-3").props("data-testid=report-area")
        if job and job.finished and isinstance(job.result, BatchReport):
            with self.report_area:
                show_report(job.result)
        self._show_job(job)
        ui.timer(_POLL_SECONDS, self._poll)

    async def preview(self) -> None:
        ids = await self.context.batch_ids()
        if not ids:
            ui.notify(i18n.t("treatment.empty_batch"), type="warning")
            return
        self.preview_button.props("loading")
        try:
            preview = await self.context.services.sending.preview(ids)
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="negative", multi_line=True)
            return
        finally:
            self.preview_button.props(remove="loading")
        _preview_dialog(preview)

    async def run(self) -> None:
        ids = await self.context.batch_ids()
        if not ids:
            ui.notify(i18n.t("treatment.empty_batch"), type="warning")
            return
        sending = self.context.services.sending

        async def work(job: Job) -> BatchReport:
            def progress(report: BatchReport) -> None:
                job.result, job.done, job.total = report, report.done, report.total

            return await sending.send(ids, on_progress=progress)

        job = self.context.jobs.start(KEY, work)
        if job is None:
            ui.notify(i18n.t("treatment.busy"), type="warning")
            return
        self.report_area.clear()
        self._show_job(job)

    async def _poll(self) -> None:
        job = self.context.jobs.last(KEY)
        self._show_job(job)
        if job is None or not job.finished or job is self._shown:
            return
        self._shown = job
        if job.error:
            ui.notify(
                i18n.t("send.error", error=job.error), type="negative", multi_line=True, timeout=0, close_button=True
            )
        elif isinstance(job.result, BatchReport):
            with self.report_area:
                show_report(job.result)
        await self.context.changed()

    def _show_job(self, job: Job | None) -> None:
        running = job is not None and not job.finished
        self.progress.set_visibility(running)
        self.progress_label.set_visibility(running)
        self.run_button.set_enabled(not self.context.jobs.busy)
        if job is None or not running:
            return
        if job.total:
            self.progress.props(remove="indeterminate")
            self.progress.value = job.fraction
            self.progress_label.text = i18n.t("send.running", done=i18n.number(job.done), total=i18n.number(job.total))
        else:
            self.progress.props("indeterminate")
            self.progress_label.text = i18n.t("send.preparing")


def _preview_dialog(preview: Preview) -> None:
    columns = [
        ("pieces", "preview.pieces", "left"),
        ("recipients", "preview.recipients", "left"),
        ("subject", "preview.subject", "left"),
        ("attachments", "preview.attachments", "left"),
        ("size", "preview.size", "right"),
    ]
    rows = [
        {
            "pieces": ", ".join(m.numbers),
            "recipients": ", ".join(m.recipients),
            "subject": m.subject,
            "attachments": ", ".join(m.attachments),
            "size": f"{i18n.number(round(m.size / 1024))} KB",
        }
        for m in preview.messages
    ]
    with ui.dialog() as dialog, ui.card().classes("w-[1100px] max-w-[95vw] gap-3") as card:
        card.props("data-testid=send-preview-dialog")
        with ui.row().classes("w-full items-center"):
            ui.label(i18n.t("preview.title")).classes("text-lg font-semibold")
            ui.space()
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        ui.label(i18n.t("preview.count", count=i18n.number(len(preview.messages)))).classes("text-sm text-grey-8")
        if preview.test_mode:
            ui.label(i18n.t("report.test")).classes("text-sm text-orange-9")
        simple_table(columns, rows, "send-preview-messages", per_page=ROWS_PER_PAGE)
        if preview.skipped:
            skipped_table(preview.skipped)
    dialog.open()
