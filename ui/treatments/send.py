"""The Send tab: the batch's options, a Preview that sends nothing and opens any message as its recipient will see
it, then Send, which runs in the background (ui.jobs) with the live report below.

The options are remembered for the next batch in the app's settings (SendingService.remember_choices), at each
Preview and Send; the single recipient, "send again" and the accepted warnings never are.
"""

from __future__ import annotations

from nicegui import ui

from batchmail.errors import BatchMailError
from batchmail.sending.accounts import Account
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import SendOptions
from batchmail.sending.report import BatchReport
from ui import i18n
from ui.components.report import ReportView
from ui.components.send_options import FormSetup, SendOptionsForm
from ui.components.send_preview import open_preview
from ui.jobs import Job
from ui.treatments.base import Treatment, WorkspaceContext

KEY = "send"
_POLL_SECONDS = 0.5


async def build(container: ui.element, context: WorkspaceContext) -> None:
    services = context.services
    account = await services.accounts.get()
    company = await services.company()
    setup = FormSetup(
        senders=await services.accounts.senders(account),
        templates=[template.name for template in await services.templates.list()],
        archive_bcc=company.archive_bcc.strip() if company else "",
        choices=await services.sending.remembered_choices(),
    )
    with container:
        SendPanel(context, account, setup)


TREATMENT = Treatment(key=KEY, label_key="treatment.send", icon="send", build=build)


class SendPanel:
    def __init__(self, context: WorkspaceContext, account: Account, setup: FormSetup) -> None:
        self.context = context
        self.account = account
        job = context.jobs.last(KEY)
        self._settled: Job | None = job if job and job.finished else None  # its end was handled (notified...)
        with ui.column().classes("w-full gap-3"):
            ui.label(i18n.t("send.intro")).classes("text-sm text-grey-8")
            through = (
                i18n.t("send.through.test") if account.is_test_mailbox else i18n.t("send.through", name=account.name)
            )
            ui.label(through).classes("text-sm text-grey-9").props("data-testid=send-account")
            self.form = SendOptionsForm(setup)
            with ui.row().classes("items-center gap-2 w-full"):
                self.preview_button = ui.button(i18n.t("treatment.preview"), icon="visibility", on_click=self.preview)
                self.preview_button.props("outline no-caps data-testid=send-preview")
                self.run_button = ui.button(i18n.t("treatment.run"), icon="send", on_click=self.run)
                self.run_button.props("unelevated no-caps data-testid=send")
            self.report = ReportView(on_refresh_events=self.refresh_events)
        if job is not None and isinstance(job.result, BatchReport):
            self.report.show(job.result)
            if job.error:
                self.report.halt()
        self.run_button.set_enabled(not context.jobs.busy)
        ui.timer(_POLL_SECONDS, self._poll)

    async def preview(self) -> None:
        ids = await self._batch()
        chosen = await self._options() if ids else None
        if chosen is None:
            return
        choices, options = chosen
        self.preview_button.props("loading")
        try:
            preview = await self.context.services.sending.preview(
                ids, account_name=self.account.name, options=options, resend=choices.resend
            )
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="negative", multi_line=True)
            return
        finally:
            self.preview_button.props(remove="loading")
        open_preview(preview)

    async def run(self) -> None:
        ids = await self._batch()
        chosen = await self._options() if ids else None
        if chosen is None:
            return
        choices, options = chosen
        sending, account = self.context.services.sending, self.account.name

        async def work(job: Job) -> BatchReport:
            def progress(report: BatchReport) -> None:
                job.result, job.done, job.total = report, report.done, report.total

            return await sending.send(
                ids, account_name=account, options=options, resend=choices.resend, on_progress=progress
            )

        if self.context.jobs.start(KEY, work) is None:
            ui.notify(i18n.t("treatment.busy"), type="warning")
            return
        self.run_button.set_enabled(False)

    async def refresh_events(self) -> None:
        """Ask the provider what became of the last batch's mails and show it on its rows."""
        job = self.context.jobs.last(KEY)
        if job is None or not isinstance(job.result, BatchReport):
            return
        try:
            await self.context.services.sending.delivery_events(job.result, poll=True)
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="warning", multi_line=True)
        self.report.show(job.result, force=True)

    async def _batch(self) -> list[int]:
        ids = await self.context.batch_ids()
        if not ids:
            ui.notify(i18n.t("treatment.empty_batch"), type="warning")
        return ids

    async def _options(self) -> tuple[SendChoices, SendOptions] | None:
        """The options as the form sets them, remembered for the next batch; None (and why, told) when they
        cannot be used."""
        if not self.form.valid():
            ui.notify(i18n.t("send.fix_options"), type="warning")
            return None
        choices = self.form.choices()
        sending = self.context.services.sending
        try:
            options = await sending.options(choices, account=self.account, attachments=self.form.attachments)
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="negative", multi_line=True)
            return None
        await sending.remember_choices(choices)
        return choices, options

    async def _poll(self) -> None:
        job = self.context.jobs.last(KEY)
        self.run_button.set_enabled(not self.context.jobs.busy)
        if job is None:
            return
        if isinstance(job.result, BatchReport):
            self.report.show(job.result)
        if not job.finished or job is self._settled:
            return
        self._settled = job
        if job.error:
            self.report.halt()
            ui.notify(
                i18n.t("send.error", error=job.error), type="negative", multi_line=True, timeout=0, close_button=True
            )
        elif isinstance(job.result, BatchReport) and job.result.provider_events:
            await self.refresh_events()
        await self.context.changed()
