"""The template editor, in a dialog: name, document type (or every type), language, subject and message; the
keywords to insert at the cursor; a live preview on a real piece. Saving checks the template first and, if it is
refused, says what and where (the unknown keyword, its field and line) and keeps everything typed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable

from nicegui import ui

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.errors import BatchMailError
from batchmail.sending.templates import MessageTemplate, TemplateProblem, TemplateUse
from batchmail.services.templates import TemplateService
from ui import i18n
from ui.components.template_keywords import keyword_picker
from ui.components.template_preview import TemplatePreviewPanel

EVERY_TYPE = "*"  # the type select's value for a template that fits every document type
PREVIEW_DELAY = 0.3  # seconds of quiet typing before the preview renders again


def free_name(wanted: str, taken: Iterable[str]) -> str:
    """`wanted`, or `wanted (2)`, `wanted (3)`... the first no saved template has."""
    names = set(taken)
    name, n = wanted, 1
    while name in names:
        n += 1
        name = f"{wanted} ({n})"
    return name


def problem_text(problem: TemplateProblem) -> str:
    """What is wrong and where, in the user's language: "Mot-clé inconnu %NUMERO% (objet, ligne 1)…"."""
    field = i18n.t(f"templates.where.{problem.field}")
    where = i18n.t("templates.where.line", field=field, line=problem.line) if problem.line else field
    return i18n.t(
        f"templates.problem.{problem.kind.value}", keyword=problem.keyword, where=where, detail=problem.detail
    )


class TemplateEditor:
    """One dialog per page, opened on a template; `on_saved()` after a save."""

    def __init__(self, templates: TemplateService, *, on_saved: Callable[[], Awaitable[None]]) -> None:
        self.templates = templates
        self.on_saved = on_saved
        self.replacing: str | None = None  # the saved template being edited; None: a new one
        self.taken: set[str] = set()  # names of the other saved templates
        self._generation = 0  # the latest preview asked for; older ones give way
        self._offered: tuple[PieceType | None, Language] | None = None  # the pieces offered are of that kind
        with (
            ui.dialog().props("maximized persistent") as self.dialog,
            ui.card().classes("w-full h-full gap-3 p-4").props("data-testid=template-editor"),
        ):
            with ui.row().classes("w-full items-center"):
                self.title = ui.label().classes("text-lg font-semibold").props("data-testid=template-editor-title")
                ui.space()
                ui.button(i18n.t("cancel"), on_click=self.dialog.close).props(
                    "flat no-caps data-testid=template-cancel"
                )
                save = ui.button(i18n.t("templates.save"), icon="save", on_click=self.save)
                save.props("unelevated no-caps data-testid=template-save")
            with ui.row().classes("w-full gap-6 no-wrap items-start"):
                with ui.column().classes("w-5/12 gap-2"):
                    self._fields()
                with ui.column().classes("w-3/12 gap-2"):
                    keyword_picker(self.insert)
                with ui.column().classes("w-4/12 gap-2"):
                    self.preview = TemplatePreviewPanel(templates, on_piece_change=self.refresh_preview)
        self.focused: ui.input = self.body

    def _fields(self) -> None:
        self.name = ui.input(i18n.t("templates.field.name")).classes("w-full")
        self.name.props("outlined dense data-testid=template-name")
        types = {EVERY_TYPE: i18n.t("templates.every_type")} | {t.value: i18n.piece_type(t) for t in PieceType}
        with ui.row().classes("w-full gap-2 no-wrap"):
            uses = {use.value: i18n.t(f"templates.use.{use.value}") for use in TemplateUse}
            self.use = ui.select(uses, value=TemplateUse.piece.value, label=i18n.t("templates.field.use"))
            self.use.classes("w-[190px]").props("outlined dense data-testid=template-use")
            self.use.on_value_change(self._use_changed)
            self.level = ui.number(i18n.t("templates.field.level"), value=1, min=1, step=1, format="%d")
            self.level.classes("w-[110px]").props("outlined dense data-testid=template-level")
            self.piece_type = ui.select(types, label=i18n.t("templates.field.type"), on_change=self._kind_changed)
            self.piece_type.classes("grow").props("outlined dense data-testid=template-type")
            languages = {language.value: i18n.t(f"lang.{language.value}") for language in Language}
            self.language = ui.select(languages, label=i18n.t("templates.field.language"), on_change=self._kind_changed)
            self.language.classes("w-[180px]").props("outlined dense data-testid=template-language")
        self.subject = ui.input(i18n.t("templates.field.subject"), on_change=self.refresh_preview).classes("w-full")
        self.subject.props("outlined dense data-testid=template-subject")
        self.body = ui.textarea(i18n.t("templates.field.body"), on_change=self.refresh_preview).classes("w-full")
        self.body.props("outlined rows=16 data-testid=template-body")
        for field in (self.subject, self.body):
            field.on("focus", lambda _, field=field: setattr(self, "focused", field))
        self.problem = ui.label().classes("w-full text-sm text-negative bg-red-1 rounded px-3 py-2")
        self.problem.props("role=alert data-testid=template-problem").set_visibility(False)

    async def open(self, template: MessageTemplate, *, replacing: str | None, taken: Iterable[str]) -> None:
        """Edit `template`: the saved one named `replacing`, or a new one (replacing None) that may not take any
        of the `taken` names."""
        self.replacing = replacing
        self.taken = set(taken) - {replacing} if replacing else set(taken)
        self.title.text = (
            i18n.t("templates.editor.edit", name=replacing) if replacing else i18n.t("templates.editor.new")
        )
        self.name.value = template.name
        self.subject.value = template.subject
        self.body.value = template.body
        self.show_problem(None)
        self._offered = None
        self.language.set_value(template.language.value)
        self.piece_type.set_value(template.piece_type.value if template.piece_type else EVERY_TYPE)
        self.use.set_value(template.use.value)
        self.level.set_value(template.level or 1)
        self._use_changed()
        await self._kind_changed()
        self.dialog.open()

    def template(self) -> MessageTemplate:
        """The template as typed so far."""
        use = TemplateUse(self.use.value or TemplateUse.piece.value)
        chosen = self.piece_type.value if use is TemplateUse.piece else None  # reminders, statements: invoices
        return MessageTemplate(
            name=(self.name.value or "").strip(),
            piece_type=None if chosen in (None, EVERY_TYPE) else PieceType(chosen),
            language=Language(self.language.value or Language.fr.value),
            subject=self.subject.value or "",
            body=self.body.value or "",
            use=use,
            level=max(1, int(self.level.value or 1)) if use is TemplateUse.reminder else 0,
        )

    async def insert(self, text: str) -> None:
        """Insert `text` at the cursor of the field last focused (the message at first), replacing a selection."""
        ui.run_javascript(  # not awaited: nothing comes back, and a slow browser is no error
            f"""
            const field = getElement({self.focused.id}).$refs.qRef.getNativeElement();
            const start = field.selectionStart ?? field.value.length;
            field.setRangeText({json.dumps(text)}, start, field.selectionEnd ?? start, "end");
            field.dispatchEvent(new Event("input", {{ bubbles: true }}));
            field.focus();
            """
        )

    async def refresh_preview(self) -> None:
        """Render the preview once typing pauses; the latest request wins."""
        self._generation += 1
        generation = self._generation
        await asyncio.sleep(PREVIEW_DELAY)
        if generation != self._generation:
            return
        try:
            problem = await self.preview.show(self.template())
        except BatchMailError as err:
            self.problem.text = str(err)
            self.problem.set_visibility(True)
            return
        if generation == self._generation:
            self.show_problem(problem)

    def show_problem(self, problem: TemplateProblem | None) -> None:
        self.problem.text = problem_text(problem) if problem else ""
        self.problem.set_visibility(problem is not None)

    async def save(self) -> None:
        template = self.template()
        refusal = ""
        if not template.name:
            refusal = i18n.t("templates.problem.name_empty")
        elif template.name in self.taken:
            refusal = i18n.t("templates.problem.name_taken", name=template.name)
        elif (problem := await self.templates.check(template)) is not None:
            self.show_problem(problem)
            await self._point_at(problem)
            refusal = problem_text(problem)
        else:
            try:
                await self.templates.save(template, replacing=self.replacing)
            except BatchMailError as err:
                refusal = str(err)
        if refusal:
            self.problem.text = refusal
            self.problem.set_visibility(True)
            ui.notify(i18n.t("templates.problem.refused", problem=refusal), type="negative", multi_line=True)
            return
        self.dialog.close()
        ui.notify(i18n.t("templates.saved_as", name=template.name), type="positive")
        await self.on_saved()

    async def _kind_changed(self) -> None:
        """Offer pieces of the type and language chosen (once per change of either), then preview."""
        template = self.template()
        if self._offered == (template.piece_type, template.language):
            return
        self._offered = (template.piece_type, template.language)
        await self.preview.offer(template.piece_type, template.language)
        await self.refresh_preview()

    def _use_changed(self, _: object = None) -> None:
        """A reminder has a level; a reminder or a statement is about invoices, whatever the type chosen."""
        use = self.use.value
        self.level.set_visibility(use == TemplateUse.reminder.value)
        self.piece_type.set_visibility(use == TemplateUse.piece.value)

    async def _point_at(self, problem: TemplateProblem) -> None:
        """Select the unknown keyword in its field, so the user sees where it is."""
        field = self.subject if problem.field == "subject" else self.body
        span = problem.span(field.value or "")
        if span is None:
            return
        self.focused = field
        ui.run_javascript(  # not awaited: nothing comes back, and a slow browser is no error
            f"""
            const field = getElement({field.id}).$refs.qRef.getNativeElement();
            field.focus();
            field.setSelectionRange({span[0]}, {span[1]});
            """
        )
