"""The template editor's live preview: the template rendered on a real piece of the store, as a send writes it
(subject, text part, HTML part in a sandboxed frame)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.sending.templates import MessageTemplate, TemplateProblem
from batchmail.services.templates import PreviewPiece, TemplateService
from ui import i18n


class TemplatePreviewPanel:
    def __init__(self, templates: TemplateService, *, on_piece_change: Callable[[], Awaitable[None]]) -> None:
        self.templates = templates
        self.on_piece_change = on_piece_change
        with ui.column().classes("w-full gap-2").props("data-testid=template-preview"):
            ui.label(i18n.t("templates.preview")).classes("section-title")
            self.piece = ui.select({}, label=i18n.t("templates.preview.piece"), on_change=self._piece_changed)
            self.piece.classes("w-full").props("outlined dense options-dense data-testid=preview-piece")
            self.none = ui.label(i18n.t("templates.preview.none")).classes("text-sm text-grey-8")
            self.none.props("data-testid=preview-none")
            self.language = ui.label().classes("text-xs text-grey-7")
            with ui.row().classes("w-full items-baseline gap-2 no-wrap"):
                ui.label(i18n.t("templates.preview.subject")).classes("text-sm text-grey-7")
                self.subject = ui.label().classes("text-sm font-semibold").props("data-testid=preview-subject")
            with ui.tabs().props("dense align=left no-caps").classes("text-grey-8") as tabs:
                text_tab = ui.tab("text", label=i18n.t("templates.preview.text")).props("data-testid=preview-tab-text")
                html_tab = ui.tab("html", label=i18n.t("templates.preview.html")).props("data-testid=preview-tab-html")
            with ui.tab_panels(tabs, value=text_tab).classes("w-full border rounded"):
                with ui.tab_panel(text_tab).classes("p-3"):
                    self.text = ui.label().classes("whitespace-pre-wrap text-sm").props("data-testid=preview-text")
                with ui.tab_panel(html_tab).classes("p-0"):
                    # The HTML part in a frame that may run nothing and reach nothing: what a mail program shows.
                    self.html = ui.element("iframe").classes("w-full h-[340px] border-0 bg-white")
                    self.html.props["sandbox"] = ""
                    self.html.props("data-testid=preview-html")
        self.pieces: dict[int, PreviewPiece] = {}

    async def offer(self, piece_type: PieceType | None, language: Language) -> None:
        """Offer the pieces of that type (those of contacts reading `language` first); keep the chosen one if it
        is still offered."""
        found = await self.templates.preview_pieces(piece_type, language)
        self.pieces = {p.id: p for p in found}
        chosen = self.piece.value if self.piece.value in self.pieces else (found[0].id if found else None)
        self.piece.set_options({p.id: _describe(p) for p in found}, value=chosen)
        self.piece.set_visibility(bool(found))
        self.none.set_visibility(not found)

    async def show(self, template: MessageTemplate) -> TemplateProblem | None:
        """Render the template on the chosen piece; returns what keeps it from being saved, if anything."""
        language = i18n.t(f"lang.{template.language.value}")
        self.language.text = i18n.t("templates.preview.language", language=language)
        piece_id = self.piece.value
        if piece_id is None:
            self._clear()
            return await self.templates.check(template)
        preview = await self.templates.preview(template, piece_id)
        if preview.rendered is None:
            self._clear()
        else:
            self.subject.text = preview.rendered.subject
            self.text.text = preview.rendered.text
            self.html.props["srcdoc"] = preview.rendered.html
        return preview.problem

    def _clear(self) -> None:
        self.subject.text = self.text.text = ""
        self.html.props["srcdoc"] = ""

    async def _piece_changed(self) -> None:
        await self.on_piece_change()


def _describe(piece: PreviewPiece) -> str:
    return " · ".join(
        (
            piece.number,
            i18n.day(piece.date),
            piece.contact_name,
            i18n.t(f"lang.{piece.language.value}"),
        )
    )
