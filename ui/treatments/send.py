"""The Send tab: the batch's options, a Preview that sends nothing and opens any message as its recipient will see
it, then Send, which runs in the background (ui.jobs) with the live report below.

The options are remembered for the next batch in the app's settings (SendService.remember_choices), at each
Preview and Send; the single recipient, "send again" and the accepted warnings never are. Send after a Preview of
the same batch with the same options sends the plan that was previewed, so what the user saw is what leaves.
"""

from __future__ import annotations

from nicegui import ui

from batchmail.errors import BatchMailError
from batchmail.sending.accounts import Account
from batchmail.sending.choices import SendChoices
from batchmail.sending.message import Attachment
from batchmail.sending.report import BatchReport
from batchmail.services.send import SendPlan
from ui import i18n
from ui.components.report import ReportView
from ui.components.send_options import FormSetup, SendOptionsForm
from ui.components.send_preview import open_preview
from ui.jobs import Job
from ui.treatments.base import Treatment, WorkspaceContext

KEY = "send"
_POLL_SECONDS = 0.5


async def build(container: ui.element, context: WorkspaceContext) -> None:
    app = context.app
    account = await app.accounts.get()
    company = await app.company.get()
    setup = FormSetup(
        senders=await app.accounts.senders(account, company=company),
        templates=[template.name for template in await app.templates.list()],
        archive_bcc=company.archive_bcc.strip() if company else "",
        choices=await app.send.remembered_choices(),
    )
    with container:
        SendPanel(context, account, setup)


TREATMENT = Treatment(key=KEY, label_key="treatment.send", icon="send", build=build)

# What a plan was made from: the batch's pieces, the choices and the files added.
_PlanKey = tuple[tuple[int, ...], SendChoices, tuple[Attachment, ...]]


class SendPanel:
    def __init__(self, context: WorkspaceContext, account: Account, setup: FormSetup) -> None:
        self.context = context
        self.sending = context.app.send
        self.account = account
        self._previewed: tuple[_PlanKey, SendPlan] | None = None  # the plan of the last preview
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
        self.preview_button.props("loading")
        try:
            plan = await self._plan(previewing=True)
            preview = await self.sending.preview(plan) if plan is not None else None
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="negative", multi_line=True)
            return
        finally:
            self.preview_button.props(remove="loading")
        if preview is not None:
            open_preview(preview)

    async def run(self) -> None:
        try:
            plan = await self._plan(previewing=False)
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="negative", multi_line=True)
            return
        if plan is None:
            return
        sending = self.sending

        async def work(job: Job) -> BatchReport:
            def progress(report: BatchReport) -> None:
                job.result, job.done, job.total = report, report.done, report.total

            return await sending.send(plan, on_progress=progress)

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
            await self.sending.delivery_events(job.result, poll=True)
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="warning", multi_line=True)
        self.report.show(job.result, force=True)

    async def _batch(self) -> list[int]:
        ids = await self.context.batch_ids()
        if not ids:
            ui.notify(i18n.t("treatment.empty_batch"), type="warning")
        return ids

    async def _plan(self, *, previewing: bool) -> SendPlan | None:
        """The send of the batch under the form's options, which are remembered for the next batch: the plan
        the last preview made when the batch and the options are the same, else a new one (kept when
        `previewing`). None, and why, told, when there is nothing to send or the options cannot be used.
        Raises BatchMailError for what planning refuses (a sender that is not the user's, no company...)."""
        ids = await self._batch()
        if not ids:
            return None
        if not self.form.valid():
            ui.notify(i18n.t("send.fix_options"), type="warning")
            return None
        choices = self.form.choices()
        key: _PlanKey = (tuple(ids), choices, tuple(self.form.attachments))
        if self._previewed is not None and self._previewed[0] == key:
            plan = self._previewed[1]
        else:
            plan = await self.sending.plan(
                ids, choices, account_name=self.account.name, attachments=self.form.attachments
            )
        self._previewed = (key, plan) if previewing else None
        await self.sending.remember_choices(choices)
        return plan

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
