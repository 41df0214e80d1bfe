"""The frame every page shares: header (issuing company, sending mode, language), navigation drawer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from nicegui import events, ui

from batchmail.services import Services
from ui import i18n


@dataclass(frozen=True, slots=True)
class NavItem:
    label_key: str
    icon: str
    path: str


# One line per real page; a page that does not exist yet has no link.
NAVIGATION: tuple[NavItem, ...] = (NavItem(label_key="nav.batch", icon="outgoing_mail", path="/"),)

PRIMARY = "#1f4e79"


@asynccontextmanager
async def frame(services: Services, title: str) -> AsyncIterator[None]:
    """Header and navigation around the page's content, which goes in the `with` block."""
    ui.colors(primary=PRIMARY)
    ui.query(".nicegui-content").classes("p-0")
    company = await services.company()
    account = await services.accounts.get()

    drawer = ui.left_drawer(value=None, bordered=True).props("width=170 breakpoint=1400").classes("bg-grey-1 p-0")
    with drawer, ui.list().classes("w-full pt-2"):
        for item in NAVIGATION:
            with ui.item(on_click=lambda path=item.path: ui.navigate.to(path)).classes("rounded-r-full mr-2"):
                with ui.item_section().props("avatar"):
                    ui.icon(item.icon, color="primary")
                with ui.item_section():
                    ui.item_label(i18n.t(item.label_key))

    with ui.header(elevated=False).classes("items-center gap-3 px-4 py-2 bg-primary text-white"):
        ui.button(icon="menu", on_click=drawer.toggle).props("flat round dense color=white")
        ui.label(i18n.t("app.title")).classes("text-lg font-semibold tracking-wide")
        ui.label("·").classes("opacity-60")
        ui.label(company.name if company else i18n.t("company.none")).classes("text-base opacity-90").props(
            "data-testid=company-name"
        )
        ui.space()
        if account.is_test_mailbox:
            with (
                ui.badge(i18n.t("mode.test"), color="orange-8")
                .classes("text-sm px-2 py-1")
                .props("data-testid=test-mode")
            ):
                ui.tooltip(i18n.t("mode.test.tooltip"))
        else:
            ui.label(i18n.t("mode.account", name=account.name)).classes("text-sm opacity-90").props(
                "data-testid=account-name"
            )
        ui.toggle(
            {code: code.upper() for code in i18n.LANGUAGES}, value=i18n.language(), on_change=_switch_language
        ).props("dense no-caps toggle-color=white toggle-text-color=primary color=primary text-color=white").props(
            "data-testid=language"
        )

    with ui.column().classes("w-full max-w-screen-2xl mx-auto gap-4 p-5"):
        ui.label(title).classes("text-xl font-semibold text-grey-9")
        yield


def _switch_language(event: events.ValueChangeEventArguments[str]) -> None:
    value = event.value
    if value and value != i18n.language():
        i18n.set_language(value)
        ui.navigate.reload()
