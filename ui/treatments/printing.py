"""The Print tab: every piece of the batch in one PDF (a background job with progress, since a batch can hold
hundreds), or a summary (statement of invoices, customer balance, consumption list) with its figures shown as the
parameters change. "Preview" opens the PDF in a frame, "Run" downloads it."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from nicegui import events, ui

from batchmail.documents.file_names import pdf_file_name, summary_filename
from batchmail.domain.summaries import AgeBucket, AgedBalance, Statement, SummaryDocument
from batchmail.errors import BatchMailError, InvalidInput
from ui import i18n
from ui.components.date_field import FIELD_PROPS, date_field, field_day
from ui.jobs import Job
from ui.pdf_routes import KEPT, PDF, KeptPdf, Scope, Summary, SummaryRequest
from ui.pdf_view import frame_src
from ui.treatments.base import Treatment, WorkspaceContext

KEY = "print"
PIECES = "pieces"  # the choice of the batch's pieces, beside the summaries
CONTACT_CHOICES = 40  # contacts offered while typing; the batch's contacts are offered up to BATCH_CONTACTS
BATCH_CONTACTS = 200
_POLL_SECONDS = 0.25


class Action(StrEnum):
    preview = "preview"  # open the PDF in the dialog
    download = "download"  # save it through the browser


async def build(container: ui.element, context: WorkspaceContext) -> None:
    with container:
        panel = PrintPanel(context)
    await panel.refresh()


TREATMENT = Treatment(key=KEY, label_key="treatment.print", icon="print", build=build)


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months, this one included: from the first day of the month eleven months back to today."""
    year, month = divmod(today.year * 12 + today.month - 12, 12)  # eleven months back, months counted from 0
    return date(year, month + 1, 1), today


class PrintPanel:
    def __init__(self, context: WorkspaceContext) -> None:
        self.context = context
        self.choice = PIECES
        self.contact_id: int | None = None
        self._generation = 0  # the figures shown are those of the latest change only
        self._wanted: tuple[Job, Action] | None = None  # what to do with the batch PDF this page asked for
        job = context.jobs.last(KEY)
        self._shown: Job | None = job if job and job.finished else None
        start, end = default_period(context.app.today())
        choices = {choice: i18n.t(f"print.choice.{choice}") for choice in (PIECES, *Summary)}
        with ui.column().classes("w-full gap-3"):
            ui.label(i18n.t("print.intro")).classes("text-sm text-grey-8")
            ui.toggle(choices, value=PIECES, on_change=self._choose).props(
                "no-caps unelevated dense toggle-color=primary data-testid=print-choice"
            )
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                self.contact = ui.select(
                    {}, label=i18n.t("print.contact"), with_input=True, clearable=True, on_change=self._contact_chosen
                )
                self.contact.classes("min-w-[260px] grow").props(f"{FIELD_PROPS} input-debounce=250")
                self.contact.props(f'data-testid=print-contact placeholder="{i18n.t("print.contact.hint")}"')
                self.contact.on("input-value", self._search_contacts)
                self.contact.on("popup-show", self._offer_batch_contacts)  # the batch may have changed since
                self.start = date_field("print.from", start, "print-from", self.refresh)
                self.end = date_field("print.to", end, "print-to", self.refresh)
                self.as_of = date_field("print.as_of", end, "print-as-of", self.refresh)
                scopes = {s.value: i18n.t(f"print.scope.{s.value}") for s in Scope}
                self.scope = ui.select(scopes, value=Scope.all.value, on_change=self.refresh)
                self.scope.classes("min-w-[190px]").props(f"{FIELD_PROPS} data-testid=print-scope")
            self.summary = ui.label().classes("text-sm font-medium").props("data-testid=print-summary")
            with ui.row().classes("items-center gap-2 w-full"):
                ui.button(i18n.t("treatment.preview"), icon="visibility", on_click=self.preview).props(
                    "outline no-caps data-testid=print-preview"
                )
                ui.button(i18n.t("treatment.run"), icon="download", on_click=self.run).props(
                    "unelevated no-caps data-testid=print-run"
                )
                ui.space()
                self.progress_label = ui.label().classes("text-sm text-grey-8").props("data-testid=print-progress-text")
            self.progress = ui.linear_progress(value=0, show_value=False, size="8px").classes("w-full")
            self.progress.props("rounded data-testid=print-progress")
            with ui.row().classes("items-center gap-2") as self.ready:
                self.ready_label = ui.label().classes("text-sm").props("data-testid=print-ready")
                for action, key in ((Action.preview, "print.open"), (Action.download, "print.download")):
                    ui.button(i18n.t(key), on_click=lambda a=action: self._use_kept(a)).props(
                        f"flat dense no-caps data-testid=print-ready-{action.value}"
                    )
        with ui.dialog() as self.dialog, ui.card().classes("w-[1000px] max-w-[95vw] h-[90vh] gap-2 p-3"):
            with ui.row().classes("w-full items-center"):
                self.dialog_title = ui.label().classes("text-lg font-semibold")
                ui.space()
                ui.button(icon="close", on_click=self.dialog.close).props("flat round dense").tooltip(i18n.t("close"))
            self.frame = ui.element("iframe").classes("w-full grow border border-grey-4 rounded")
            self.frame.props("data-testid=print-frame")
        self._show_parameters()
        self._show_job(job)
        ui.timer(_POLL_SECONDS, self._poll)

    # -- the parameters ---------------------------------------------------------------------------------------------

    def request(self) -> SummaryRequest:
        """What the parameters ask for; InvalidInput names a date that cannot be read."""
        return SummaryRequest(
            kind=Summary(self.choice),
            contact_id=self.contact_id,
            start=field_day(self.start, "print.from"),
            end=field_day(self.end, "print.to"),
            as_of=field_day(self.as_of, "print.as_of"),
            scope=Scope(self.scope.value),
        )

    async def _choose(self, event: events.ValueChangeEventArguments[str]) -> None:
        self.choice = str(event.value)
        self._show_parameters()
        await self.refresh()

    def _show_parameters(self) -> None:
        with_contact = self.choice in (Summary.statement, Summary.consumption)
        for element in (self.contact, self.start, self.end):
            element.set_visibility(with_contact)
        self.as_of.set_visibility(self.choice == Summary.balance)
        self.scope.set_visibility(self.choice == Summary.balance)

    async def _contact_chosen(self, event: events.ValueChangeEventArguments[int | None]) -> None:
        if event.value != self.contact_id:
            self.contact_id = event.value
            await self.refresh()

    async def _search_contacts(self, event: events.GenericEventArguments) -> None:
        text = event.args.strip() if isinstance(event.args, str) else ""
        if not text:
            await self._offer_batch_contacts()
            return
        found = await self.context.app.workspace.find_contacts(text, limit=CONTACT_CHOICES)
        self._offer({c.id: c.display_name for c in found})

    async def _offer_batch_contacts(self) -> None:
        """The batch's contacts (the first chosen when none is), or the first contacts when the batch is empty."""
        app = self.context.app
        contacts = (await app.printing.batch_contacts(await self.context.batch_ids()))[:BATCH_CONTACTS]
        if not contacts:
            contacts = await app.workspace.find_contacts(limit=CONTACT_CHOICES)
        elif self.contact_id is None:
            self.contact_id = contacts[0].id
        self._offer({c.id: c.display_name for c in contacts})

    def _offer(self, options: dict[int, str]) -> None:
        chosen = self.contact_id
        if chosen is not None and chosen not in options and chosen in self.contact.options:
            options[chosen] = self.contact.options[chosen]
        self.contact.set_options(options, value=chosen)

    # -- the figures ------------------------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Show what the current choice would print: the batch's count and totals or the summary's figures."""
        self._generation += 1
        generation = self._generation
        if self.choice != PIECES and not self.contact.options:
            await self._offer_batch_contacts()
        try:
            text = await self._figures()
            failed = False
        except BatchMailError as err:
            text, failed = str(err), True
        if generation == self._generation:
            self.summary.text = text
            self.summary.classes(replace="text-sm font-medium" + (" text-negative" if failed else ""))

    async def _figures(self) -> str:
        if self.choice == PIECES:
            totals = await self.context.app.workspace.batch_summary()
            if not totals.count:
                return i18n.t("treatment.empty_batch")
            values = {"total": i18n.money(totals.total_incl_tax), "balance": i18n.money(totals.balance)}
            return i18n.count_of("batch.summary", totals.count, **values)
        request = self.request()
        problem = request.problem()
        if problem is not None:
            return i18n.t(problem)
        return _summary_text(await request.document(self.context.app.printing, self.context.batch_ids))

    # -- preview and run --------------------------------------------------------------------------------------------

    async def preview(self) -> None:
        await self._act(Action.preview)

    async def run(self) -> None:
        await self._act(Action.download)

    async def _act(self, action: Action) -> None:
        """Open or download what is chosen; a notification says what is missing."""
        if self.choice == PIECES:
            await self._print_batch(action)
            return
        try:
            request = self.request()
            problem = request.problem()
            if problem is not None:
                raise InvalidInput(i18n.t(problem))
            if request.kind is Summary.balance and request.scope is Scope.batch and not await self.context.batch_ids():
                raise InvalidInput(i18n.t("treatment.empty_batch"))
        except InvalidInput as err:
            ui.notify(str(err), type="warning")
            return
        if action is Action.preview:
            self._open(request.url(), i18n.t(f"print.choice.{self.choice}"))
            return
        printing = self.context.app.printing
        try:
            document = await request.document(printing, self.context.batch_ids)
            pdf = await printing.summary_pdf(document)
        except BatchMailError as err:
            ui.notify(i18n.t("print.error", error=err), type="negative", multi_line=True)
            return
        ui.download.content(pdf, summary_filename(document, i18n.language()), PDF)

    async def _print_batch(self, action: Action) -> None:
        ids = await self.context.batch_ids()
        if not ids:
            ui.notify(i18n.t("treatment.empty_batch"), type="warning")
            return
        printing, today = self.context.app.printing, self.context.app.today()

        async def work(job: Job) -> KeptPdf:
            def progress(done: int, total: int) -> None:
                job.done, job.total = done, total

            printed = await printing.batch_pdf(ids, on_progress=progress)
            name = pdf_file_name(i18n.t("print.file.batch", count=printed.pieces), today.isoformat())
            return KEPT.keep(KeptPdf(filename=name, pages=printed.pages, pieces=printed.pieces, pdf=printed.pdf))

        job = self.context.jobs.start(KEY, work)
        if job is None:
            ui.notify(i18n.t("treatment.busy"), type="warning")
            return
        self._wanted = (job, action)
        self._show_job(job)

    async def _poll(self) -> None:
        job = self.context.jobs.last(KEY)
        self._show_job(job)
        if job is None or not job.finished or job is self._shown:
            return
        self._shown = job
        if job.error:
            ui.notify(i18n.t("print.error", error=job.error), type="negative", multi_line=True, close_button=True)
        elif self._wanted and self._wanted[0] is job:
            self._use_kept(self._wanted[1])
        self._wanted = None

    def _use_kept(self, action: Action) -> None:
        job = self.context.jobs.last(KEY)
        kept = job.result if job and isinstance(job.result, KeptPdf) else None
        if kept is None or KEPT.get(kept.token) is None:
            self._show_job(job)
            return
        if action is Action.preview:
            self._open(kept.url, kept.filename)
        else:
            ui.download.from_url(kept.download_url, kept.filename, PDF)

    def _open(self, url: str, title: str) -> None:
        self.dialog_title.text = title
        self.frame.props["src"] = frame_src(url)
        self.frame.update()
        self.dialog.open()

    def _show_job(self, job: Job | None) -> None:
        running = job is not None and not job.finished
        self.progress.set_visibility(running)
        self.progress_label.set_visibility(running)
        kept = job.result if job and job.finished and isinstance(job.result, KeptPdf) else None
        self.ready.set_visibility(kept is not None and KEPT.get(kept.token) is not None)
        if kept is not None:
            pieces, pages = i18n.number(kept.pieces), i18n.number(kept.pages)
            self.ready_label.text = i18n.t("print.ready", pieces=pieces, pages=pages)
        if job is None or not running:
            return
        if job.total and job.done < job.total:
            self.progress.props(remove="indeterminate")
            self.progress.value = job.fraction
            self.progress_label.text = i18n.t("print.running", done=i18n.number(job.done), total=i18n.number(job.total))
        else:
            self.progress.props("indeterminate")
            self.progress_label.text = i18n.t("print.merging" if job.total else "print.preparing")


def _summary_text(document: SummaryDocument) -> str:
    if isinstance(document, Statement):
        figures = {"total": i18n.money(document.total_due), "overdue": i18n.money(document.overdue_total)}
        return i18n.t("print.summary.statement", lines=i18n.number(len(document.lines)), **figures)
    if isinstance(document, AgedBalance):
        overdue = document.total - document.totals[AgeBucket.not_due]
        figures = {"total": i18n.money(document.total), "overdue": i18n.money(overdue)}
        return i18n.count_of("print.summary.balance", len(document.rows), **figures)
    figures = {"lines": i18n.number(len(document.lines)), "total": i18n.money(document.total_amount)}
    return i18n.count_of("print.summary.consumption", document.piece_count, **figures)
