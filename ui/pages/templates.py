"""The templates page ("Modèles"): which message template every document type and contact language uses (a saved
one, a fallback or the built-in one), and the saved templates, any of which a batch may force. Each opens the
editor; saved ones can be duplicated or deleted (what they served goes back to the next fitting template)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from nicegui import ui

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType, Side
from batchmail.errors import BatchMailError
from batchmail.sending.templates import MessageTemplate, TemplateUse, default_template
from batchmail.services.templates import Applied, Origin, ReminderSlot, TemplateOverview, TemplateService
from batchmail.wiring import App
from ui import i18n
from ui.components.template_editor import TemplateEditor, free_name
from ui.jobs import Jobs
from ui.layout import frame

ORIGIN_COLORS = {
    Origin.saved: "primary",
    Origin.company_language: "teal",
    Origin.every_type: "indigo",
    Origin.builtin: "grey-7",
}


def register(app: App, jobs: Jobs) -> None:
    @ui.page("/templates")
    async def templates_page() -> None:
        async with frame(app, "/templates", i18n.t("templates.title")):
            page = TemplatesPage(app.templates, levels=len((await app.reminders.settings()).levels))
            await page.show()


class TemplatesPage:
    def __init__(self, templates: TemplateService, *, levels: int) -> None:
        self.templates = templates
        self.levels = levels  # the dunning levels of the settings
        self.reminders: list[ReminderSlot] = []
        self.overview = TemplateOverview(applied=[], saved=[], company_language=None)
        self.editor = TemplateEditor(templates, on_saved=self.show)
        ui.label(i18n.t("templates.intro")).classes("text-sm text-grey-8 max-w-5xl")
        self.applied_card = _card("applied-templates")
        self.reminders_card = _card("reminder-templates")
        self.saved_card = _card("saved-templates")

    async def show(self) -> None:
        self.overview = await self.templates.overview()
        self.applied_card.clear()
        with self.applied_card:
            self._applied()
        self.reminders = await self.templates.reminder_overview(self.levels)
        self.reminders_card.clear()
        with self.reminders_card:
            self._reminders()
        self.saved_card.clear()
        with self.saved_card:
            self._saved()

    # -- which template each type and language uses -----------------------------------------------------------

    def _applied(self) -> None:
        by_slot = {(a.piece_type, a.language): a for a in self.overview.applied}
        _title("templates.applied", "drafts")
        with ui.grid(columns="minmax(180px, 1fr) repeat(3, minmax(200px, 2fr))").classes("w-full gap-x-3 gap-y-1"):
            ui.label(i18n.t("templates.applied.type")).classes("text-xs text-grey-7")
            for language in Language:
                ui.label(i18n.t(f"lang.{language.value}")).classes("text-xs text-grey-7")
            for side in Side:
                ui.label(i18n.side(side)).classes("text-sm font-medium text-grey-9 pt-2 col-span-4")
                for piece_type in (t for t in PieceType if t.side is side):
                    ui.label(i18n.piece_type(piece_type)).classes("text-sm self-center")
                    for language in Language:
                        self._slot(by_slot[piece_type, language])

    def _reminders(self) -> None:
        _title("templates.reminders", "notifications_active")
        with ui.grid(columns="minmax(180px, 1fr) repeat(3, minmax(200px, 2fr))").classes("w-full gap-x-3 gap-y-1"):
            ui.label(i18n.t("templates.field.use")).classes("text-xs text-grey-7")
            for language in Language:
                ui.label(i18n.t(f"lang.{language.value}")).classes("text-xs text-grey-7")
            for slot in self.reminders:
                if slot.language is next(iter(Language)):
                    name = (
                        i18n.t("templates.reminders.level", level=slot.level)
                        if slot.level
                        else i18n.t("templates.use.statement")
                    )
                    ui.label(name).classes("text-sm self-center")
                self._reminder_slot(slot)

    def _reminder_slot(self, slot: ReminderSlot) -> None:
        origin = slot.origin.value if slot.origin else "missing"
        colour = ORIGIN_COLORS[slot.origin] if slot.origin else "negative"
        name = slot.template.name if slot.template else "—"
        test_id = f"reminder-slot-{slot.level}-{slot.language.value}"
        _slot_button(test_id, name, origin, colour, lambda: self._open_reminder(slot))

    async def _open_reminder(self, slot: ReminderSlot) -> None:
        """The saved template of the slot, else a new one from the built-in wording (or blank beyond it)."""
        if slot.template is not None and slot.origin is Origin.saved:
            await self._edit(slot.template)
            return
        start = slot.template or MessageTemplate(name="", subject="", body="", use=slot.use, level=slot.level)
        names = {t.name for t in self.overview.saved}
        wanted = start.name or i18n.t("templates.reminders.level", level=slot.level)
        start = dataclasses.replace(start, name=free_name(wanted, names), language=slot.language)
        await self.editor.open(start, replacing=None, taken=names)

    def _slot(self, applied: Applied) -> None:
        test_id = f"slot-{applied.piece_type.value}-{applied.language.value}"
        origin = applied.origin
        _slot_button(
            test_id, applied.template.name, origin.value, ORIGIN_COLORS[origin], lambda: self._open_slot(applied)
        )

    async def _open_slot(self, applied: Applied) -> None:
        """A template of its own for that type and language: the saved one, else a new one from the built-in."""
        if applied.origin is Origin.saved:
            await self._edit(applied.template)
            return
        start = default_template(applied.piece_type, applied.language)
        start.name = free_name(start.name, self._names())
        await self.editor.open(start, replacing=None, taken=self._names())

    # -- the saved templates --------------------------------------------------------------------------------------

    def _saved(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            _title("templates.saved", "bookmarks")
            ui.label(i18n.t("templates.saved.hint")).classes("text-sm text-grey-7")
            ui.space()
            ui.button(i18n.t("templates.new"), icon="add", on_click=self._new).props(
                "outline no-caps data-testid=template-new"
            )
        if not self.overview.saved:
            ui.label(i18n.t("templates.saved.none")).classes("text-sm text-grey-8").props("data-testid=saved-none")
            return
        with ui.grid(columns="2fr 1.4fr 1fr 3fr auto").classes("w-full gap-x-4 gap-y-1 items-center"):
            for key in ("templates.col.name", "templates.col.type", "templates.col.language", "templates.used_for"):
                ui.label(i18n.t(key)).classes("text-xs text-grey-7")
            ui.label()
            for template in self.overview.saved:
                self._saved_row(template)

    def _saved_row(self, template: MessageTemplate) -> None:
        ui.label(template.name).classes("text-sm font-medium").props["data-testid"] = f"saved-{template.name}"
        ui.label(i18n.piece_type(template.piece_type) if template.piece_type else i18n.t("templates.every_type"))
        ui.label(i18n.t(f"lang.{template.language.value}")).classes("text-sm")
        ui.label(self._used_for(template)).classes("text-sm text-grey-8")
        with ui.row().classes("gap-0 no-wrap"):
            for icon, key, action in (
                ("edit", "templates.edit", self._edit),
                ("content_copy", "templates.duplicate", self._duplicate),
                ("delete", "templates.delete", self._delete),
            ):
                button = ui.button(icon=icon, on_click=lambda action=action: action(template))
                button.props("flat round dense color=primary").tooltip(i18n.t(key))
                button.props["data-testid"] = f"{key.split('.')[-1]}-{template.name}"

    def _used_for(self, template: MessageTemplate) -> str:
        """What a saved template writes: the pieces of types and languages, or the reminders it serves."""
        if template.use is TemplateUse.piece:
            return _uses(self.overview.uses(template.name))
        serves = [s for s in self.reminders if s.template == template]
        names = {
            i18n.t("templates.reminders.level", level=s.level) if s.level else i18n.t("templates.use.statement")
            for s in serves
        }
        languages = sorted({s.language.value for s in serves})
        return f"{', '.join(sorted(names))} ({', '.join(languages)})" if serves else i18n.t("templates.forced_only")

    async def _new(self) -> None:
        start = MessageTemplate(name="", language=self.overview.company_language or Language.fr, subject="", body="")
        await self.editor.open(start, replacing=None, taken=self._names())

    async def _edit(self, template: MessageTemplate) -> None:
        await self.editor.open(template, replacing=template.name, taken=self._names())

    async def _duplicate(self, template: MessageTemplate) -> None:
        name = free_name(i18n.t("templates.copy_name", name=template.name), self._names())
        try:
            await self.templates.duplicate(template.name, name)
        except BatchMailError as err:
            ui.notify(str(err), type="negative", multi_line=True)
            return
        ui.notify(i18n.t("templates.duplicated", name=name), type="positive")
        await self.show()

    async def _delete(self, template: MessageTemplate) -> None:
        with ui.dialog() as dialog, ui.card().classes("gap-3").props("data-testid=delete-dialog"):
            ui.label(i18n.t("templates.delete.confirm", name=template.name)).classes("max-w-md")
            with ui.row().classes("w-full justify-end"):
                ui.button(i18n.t("cancel"), on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button(i18n.t("templates.delete"), color="negative", on_click=lambda: dialog.submit(True)).props(
                    "unelevated no-caps data-testid=delete-confirm"
                )
        confirmed = await dialog
        dialog.delete()
        if not confirmed:
            return
        try:
            await self.templates.delete(template.name)
        except BatchMailError as err:
            ui.notify(str(err), type="negative", multi_line=True)
            return
        ui.notify(i18n.t("templates.deleted", name=template.name), type="positive")
        await self.show()

    def _names(self) -> list[str]:
        return [template.name for template in self.overview.saved]


def _card(test_id: str) -> ui.card:
    return ui.card().classes("w-full gap-2 p-4").props(f"flat bordered data-testid={test_id}")


def _title(title_key: str, icon: str) -> None:
    with ui.row().classes("items-center gap-2"):
        ui.icon(icon, color="primary")
        ui.label(i18n.t(title_key)).classes("section-title")


def _slot_button(test_id: str, name: str, origin: str, colour: str, on_click: Callable[[], Any]) -> None:
    """A template slot of a table: the template's name and where it comes from; a click opens it."""
    with (
        ui.button(on_click=on_click).props(f"flat no-caps align=left data-testid={test_id}").classes("w-full px-2"),
        ui.row().classes("w-full items-center gap-2 no-wrap"),
    ):
        ui.label(name).classes("text-sm text-grey-10 ellipsis").props(f"data-testid={test_id}-name")
        ui.badge(i18n.t(f"templates.origin.{origin}"), color=colour).props(f"outline data-testid={test_id}-origin")


def _uses(applied: list[Applied]) -> str:
    """ "Facture (fr, en, nl)", "Tous les types (en)", or that it serves only when forced."""
    if not applied:
        return i18n.t("templates.forced_only")
    languages: dict[PieceType, list[str]] = {}
    for a in applied:
        languages.setdefault(a.piece_type, []).append(a.language.value)
    if len(languages) == len(PieceType) and len({tuple(v) for v in languages.values()}) == 1:
        return f"{i18n.t('templates.every_type')} ({', '.join(next(iter(languages.values())))})"
    return "; ".join(f"{i18n.piece_type(t)} ({', '.join(v)})" for t, v in languages.items())
