"""The keyword picker of the template editor: the glossary's keywords, grouped, each with its meaning; a click hands
the keyword (in the %NAME% form users type) to the editor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from batchmail.domain.keywords import EXTRA_KEYWORDS, MULTI_PIECE_KEYWORDS, ONE_PIECE_KEYWORDS
from ui import i18n

# (label key, keywords, icon marking the group's chips)
GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("templates.keywords.one", ONE_PIECE_KEYWORDS, "description"),
    ("templates.keywords.multi", MULTI_PIECE_KEYWORDS, "library_books"),
    ("templates.keywords.issuer", EXTRA_KEYWORDS, "business"),
)


def keyword_picker(on_pick: Callable[[str], Awaitable[None]]) -> ui.column:
    """The grouped keywords; `on_pick("%NUMFACT%")` when one is clicked."""
    with ui.column().classes("w-full gap-1").props("data-testid=keyword-picker") as picker:
        ui.label(i18n.t("templates.keywords")).classes("section-title")
        ui.label(i18n.t("templates.keywords.hint")).classes("text-xs text-grey-7")
        for label_key, names, icon in GROUPS:
            with ui.row().classes("items-center gap-1 pt-1"):
                ui.icon(icon, size="xs", color="primary")
                ui.label(i18n.t(label_key)).classes("text-sm font-medium text-grey-9")
                if names is MULTI_PIECE_KEYWORDS:
                    ui.label(f"· {i18n.t('templates.keywords.multi.hint')}").classes("text-xs text-grey-7")
            with ui.grid(columns="auto 1fr").classes("w-full gap-x-2 gap-y-0 items-center"):
                for name in names:
                    _keyword(name, icon, on_pick)
    return picker


def _keyword(name: str, icon: str, on_pick: Callable[[str], Awaitable[None]]) -> None:
    text = f"%{name}%"

    async def picked() -> None:
        await on_pick(text)

    chip = ui.chip(text, icon=icon, on_click=picked).props(
        f"dense outline clickable color=primary data-testid=kw-{name}"
    )
    chip.classes("font-mono text-xs")
    ui.label(i18n.t(f"templates.kw.{name.lower()}")).classes("text-xs text-grey-8")
