"""The Generate tab: duplicate the batch's pieces at a date, transform them along the chain (quote -> order ->
invoice...) or consolidate them into one piece per contact. "Preview" lists what would be created, numbers
included; "Run" creates it in the background (ui.jobs); "Generate and send" validates the new pieces and sends
them with the options last used on the Send tab. The new pieces can then become the batch."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui

from batchmail.domain.generation import TRANSFORMATIONS, GenerationRequest, GenerationSettings, Mode
from batchmail.domain.pieces import PieceType
from batchmail.errors import BatchMailError
from batchmail.sending.report import BatchReport
from batchmail.services.generation import GenerationReport
from ui import i18n
from ui.components.date_field import FIELD_PROPS, date_field, field_day
from ui.components.tables import Column, simple_table
from ui.jobs import Job
from ui.treatments.base import Treatment, WorkspaceContext

KEY = "generate"
SAME_TYPE = ""  # consolidate into the pieces' own type
_POLL_SECONDS = 0.25
_CREATED_COLUMNS: list[Column] = [
    ("number", "generate.col.number", "left"),
    ("type", "generate.col.type", "left"),
    ("contact", "generate.col.contact", "left"),
    ("origins", "generate.col.origins", "left"),
    ("excl_tax", "generate.col.excl_tax", "right"),
    ("incl_tax", "generate.col.incl_tax", "right"),
    ("note", "generate.col.note", "left"),
]
_REFUSED_COLUMNS: list[Column] = [
    ("number", "generate.col.number", "left"),
    ("contact", "generate.col.contact", "left"),
    ("reason", "generate.col.reason", "left"),
]


async def build(container: ui.element, context: WorkspaceContext) -> None:
    settings = await context.app.generation.settings()
    with container:
        GeneratePanel(context, settings)


TREATMENT = Treatment(key=KEY, label_key="treatment.generate", icon="library_add", build=build)


class GeneratePanel:
    def __init__(self, context: WorkspaceContext, settings: GenerationSettings) -> None:
        self.context = context
        self.settings = settings
        job = context.jobs.last(KEY)
        self._shown: Job | None = job if job and job.finished else None
        self._created: list[int] = []
        with ui.column().classes("w-full gap-3"):
            ui.label(i18n.t("generate.intro")).classes("text-sm text-grey-8")
            modes = {mode.value: i18n.t(f"generate.mode.{mode.value}") for mode in Mode}
            self.mode = ui.toggle(modes, value=Mode.transform.value, on_change=self._mode_changed)
            self.mode.props("no-caps unelevated dense toggle-color=primary data-testid=generate-mode")
            with ui.row().classes("w-full items-center gap-3"):
                self.day = date_field("generate.date", context.app.today(), "generate-date")
                self.into = ui.select({}, label=i18n.t("generate.into")).classes("min-w-[200px]")
                self.into.props(f"{FIELD_PROPS} data-testid=generate-into")
                self.validate = ui.checkbox(i18n.t("generate.validate"), value=not settings.start_as_draft)
                self.validate.props("dense data-testid=generate-validate")
            with ui.row().classes("w-full items-center gap-3"):
                self.keep_notes = self._option("generate.keep_notes", "generate-keep-notes")
                self.keep_annotations = self._option("generate.keep_annotations", "generate-keep-annotations")
                self.keep_files = self._option("generate.keep_files", "generate-keep-files")
                self.per_recipient = self._option("generate.per_recipient", "generate-per-recipient")
                self.force = self._option("generate.force", "generate-force")
            with ui.row().classes("items-center gap-2 w-full"):
                self.preview_button = ui.button(i18n.t("treatment.preview"), icon="visibility", on_click=self.preview)
                self.preview_button.props("outline no-caps data-testid=generate-preview")
                self.run_button = ui.button(i18n.t("treatment.run"), icon="library_add", on_click=self.run)
                self.run_button.props("unelevated no-caps data-testid=generate-run")
                self.send_button = ui.button(
                    i18n.t("generate.run_and_send"), icon="send", on_click=lambda: self.run(send=True)
                )
                self.send_button.props("outline no-caps data-testid=generate-send")
                self.send_button.tooltip(i18n.t("generate.run_and_send.hint"))
                ui.space()
                self.to_batch = ui.button(i18n.t("generate.to_batch"), icon="playlist_add_check", on_click=self.batch)
                self.to_batch.props("flat no-caps data-testid=generate-to-batch")
            self.progress = ui.linear_progress(show_value=False, size="6px").props("indeterminate rounded")
            self.summary = ui.label().classes("text-sm font-medium").props("data-testid=generate-summary")
            self.sent = ui.label().classes("text-sm").props("data-testid=generate-sent")
            self.results = ui.column().classes("w-full gap-2")
        self._mode_changed()
        self._show_job(job)
        ui.timer(_POLL_SECONDS, self._poll)

    def _option(self, label_key: str, test_id: str) -> ui.checkbox:
        return ui.checkbox(i18n.t(label_key)).props(f"dense data-testid={test_id}")

    def _mode_changed(self, _: events.ValueChangeEventArguments[Any] | None = None) -> None:
        mode = Mode(self.mode.value)
        for option in (self.keep_notes, self.keep_annotations, self.keep_files, self.per_recipient):
            option.set_visibility(mode is Mode.duplicate)
        self.force.set_visibility(mode is not Mode.duplicate)
        self.into.set_visibility(mode is not Mode.duplicate)
        targets = [t for t in TRANSFORMATIONS if t in self.settings.enabled]
        types = dict.fromkeys(t.target for t in targets)
        options = {SAME_TYPE: i18n.t("generate.into.same")} if mode is Mode.consolidate else {}
        options |= {piece_type.value: i18n.piece_type(piece_type) for piece_type in types}
        value = self.into.value if self.into.value in options else next(iter(options), None)
        if mode is Mode.transform and PieceType.invoice.value in options and self.into.value not in options:
            value = PieceType.invoice.value
        self.into.set_options(options, value=value)

    def request(self, *, send: bool = False) -> GenerationRequest:
        """What the parameters ask for; InvalidInput names a date that cannot be read."""
        mode = Mode(self.mode.value)
        into = self.into.value if mode is not Mode.duplicate else None
        return GenerationRequest(
            mode=mode,
            day=field_day(self.day, "generate.date") or self.context.app.today(),
            into=PieceType(into) if into else None,
            keep_notes=bool(self.keep_notes.value),
            keep_annotations=bool(self.keep_annotations.value),
            keep_files=bool(self.keep_files.value),
            per_recipient=bool(self.per_recipient.value),
            validate=True if send else bool(self.validate.value),
            force=bool(self.force.value) and mode is not Mode.duplicate,
        )

    async def preview(self) -> None:
        ids = await self._batch()
        if not ids:
            return
        self.preview_button.props("loading")
        try:
            self._show(await self.context.app.generation.preview(ids, self.request()))
        except BatchMailError as err:
            ui.notify(i18n.t("generate.error", error=err), type="negative", multi_line=True)
        finally:
            self.preview_button.props(remove="loading")

    async def run(self, *, send: bool = False) -> None:
        ids = await self._batch()
        if not ids:
            return
        try:
            request = self.request(send=send)
        except BatchMailError as err:
            ui.notify(i18n.t("generate.error", error=err), type="negative", multi_line=True)
            return
        app = self.context.app

        async def work(job: Job) -> tuple[GenerationReport, BatchReport | None]:
            report = await app.generation.generate(ids, request)
            job.result = (report, None)
            if not send or not report.created:
                return report, None
            plan = await app.send.plan(report.created_ids, await app.send.remembered_choices())

            def progress(sent: BatchReport) -> None:
                job.result, job.done, job.total = (report, sent), sent.done, sent.total

            return report, await app.send.send(plan, on_progress=progress)

        if self.context.jobs.start(KEY, work) is None:
            ui.notify(i18n.t("treatment.busy"), type="warning")
            return
        self._shown = None
        self._set_busy(True)
        self.summary.text = i18n.t("generate.running")
        self.results.clear()

    async def batch(self) -> None:
        """Make the pieces just created the batch, to print or send them next."""
        workspace = self.context.app.workspace
        await workspace.clear_batch()
        await workspace.add_to_batch(self._created)
        await self.context.changed()
        ui.notify(i18n.t("generate.to_batch.done", count=len(self._created)), type="positive")

    # -- showing what happened ----------------------------------------------------------------------------------

    def _show(self, report: GenerationReport) -> None:
        key = "generate.preview.summary" if report.dry_run else "generate.done.summary"
        self.summary.text = i18n.t(key, created=len(report.created), refused=len(report.refused))
        self._created = [] if report.dry_run else report.created_ids
        self.to_batch.set_visibility(bool(self._created))
        self.results.clear()
        with self.results:
            if report.created:
                rows = [
                    {
                        "id": n,
                        "number": piece.number,
                        "type": i18n.piece_type(piece.type),
                        "contact": piece.contact,
                        "origins": ", ".join(piece.origins),
                        "excl_tax": i18n.money(piece.excl_tax),
                        "incl_tax": i18n.money(piece.incl_tax),
                        "note": piece.rounding_note,
                    }
                    for n, piece in enumerate(report.created)
                ]
                _numbers_unbroken(simple_table(_CREATED_COLUMNS, rows, "generate-created", per_page=10))
            if report.refused:
                rows = [
                    {"id": r.piece_id, "number": r.number, "contact": r.contact, "reason": r.reason}
                    for r in report.refused
                ]
                _numbers_unbroken(simple_table(_REFUSED_COLUMNS, rows, "generate-refused", per_page=10))

    def _show_job(self, job: Job | None) -> None:
        self._set_busy(job is not None and not job.finished)
        if job is None:
            self.to_batch.set_visibility(False)
            self.sent.set_visibility(False)
            return
        if job.error:
            self.summary.text = i18n.t("generate.error", error=job.error)
        result = job.result
        if isinstance(result, tuple):
            report, sent = result
            if job.finished or not self._created:
                self._show(report)
            self.sent.set_visibility(sent is not None)
            if sent is not None:
                counts = sent.counts
                waiting = counts["retry_waiting"] + counts["queued"]
                self.sent.text = i18n.t(
                    "generate.sent",
                    sent=counts["sent"],
                    waiting=waiting,
                    failed=counts["failed"] + counts["uncertain"],
                    skipped=counts["skipped"],
                )

    def _set_busy(self, busy: bool) -> None:
        self.progress.set_visibility(busy)
        for button in (self.run_button, self.send_button):
            button.set_enabled(not busy and not self.context.jobs.busy)

    async def _poll(self) -> None:
        job = self.context.jobs.last(KEY)
        if job is None:
            self._set_busy(False)
            return
        if job is self._shown:
            self._set_busy(False)
            return
        self._show_job(job)
        if job.finished:
            self._shown = job
            if job.error:
                ui.notify(i18n.t("generate.error", error=job.error), type="negative", multi_line=True)
            await self.context.changed()

    async def _batch(self) -> list[int]:
        ids = await self.context.batch_ids()
        if not ids:
            ui.notify(i18n.t("treatment.empty_batch"), type="warning")
        return ids


def _numbers_unbroken(table: ui.table) -> None:
    """A piece number reads as one word: the table wraps the other cells, not it."""
    for column in table.columns:
        if column["name"] in ("number", "origins"):
            column["classes"] = column["headerClasses"] = "text-no-wrap"
    table.update()
