"""The frame every page shares: header (issuing company, current user, sending mode), navigation drawer, one
theme."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from nicegui import ui

from batchmail.domain.company import IssuingCompany
from batchmail.wiring import App
from ui import i18n


@dataclass(frozen=True, slots=True)
class NavItem:
    label_key: str
    icon: str
    path: str


# One line per page.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem(label_key="nav.batch", icon="outgoing_mail", path="/"),
    NavItem(label_key="nav.queue", icon="schedule_send", path="/queue"),
    NavItem(label_key="nav.pieces", icon="receipt_long", path="/pieces"),
    NavItem(label_key="nav.contacts", icon="contacts", path="/contacts"),
    NavItem(label_key="nav.templates", icon="drafts", path="/templates"),
    NavItem(label_key="nav.settings", icon="settings", path="/settings"),
)

PRIMARY = "#1f4e79"
# The class names the first opened menu brings (a select's popup: Quasar's menu, its fade transition, the
# dropdown arrow turned). NiceGUI's in-browser Tailwind restyles the whole page each time it meets new class
# names; met once at load, on a hidden element, they no longer slow down the user's first filter change.
_FIRST_MENU_CLASSES = (
    "rotate-180 q-menu q-position-engine q-virtual-scroll__content q-virtual-scroll__padding q-item--dense"
    " q-manual-focusable q-field--focused q-field--highlighted q-field__focusable-action nicegui-select-popup-open"
    " q-transition--fade-enter-active q-transition--fade-enter-from q-transition--fade-enter-to"
    " q-transition--fade-leave-active q-transition--fade-leave-from q-transition--fade-leave-to"
)
_CSS = """
.nav-item.active { background: rgba(31, 78, 121, 0.10); font-weight: 600; }
.section-title { font-size: 0.95rem; font-weight: 600; color: #263238; }
"""


@dataclass(frozen=True, slots=True)
class Header:
    """What a page may change in its header once built."""

    company_name: ui.label

    def show_company(self, company: IssuingCompany) -> None:
        self.company_name.set_text(company.name)


@asynccontextmanager
async def frame(app: App, path: str, title: str | None = None) -> AsyncIterator[Header]:
    """Header and navigation around the page's content, which goes in the `with` block. `path` marks the page's
    own entry in the navigation."""
    ui.colors(primary=PRIMARY)
    ui.add_css(_CSS)
    ui.query(".nicegui-content").classes("p-0")
    ui.element("div").classes(_FIRST_MENU_CLASSES).style("display: none").props("aria-hidden=true")
    company = await app.company.get()
    account = await app.accounts.get()
    user = await app.accounts.current_user()

    drawer = ui.left_drawer(value=None, bordered=True).props("width=176 breakpoint=1100").classes("bg-grey-1 p-0")
    with drawer, ui.list().classes("w-full pt-2").props("data-testid=navigation"):
        for item in NAVIGATION:
            entry = ui.item(on_click=lambda path=item.path: ui.navigate.to(path)).classes(
                "nav-item rounded-r-full mr-2"
            )
            entry.props(f"data-testid=nav-{item.path.strip('/') or 'batch'}")
            if item.path == path:
                entry.classes("active")
            with entry:
                with ui.item_section().props("avatar"):
                    ui.icon(item.icon, color="primary")
                with ui.item_section():
                    ui.item_label(i18n.t(item.label_key))

    with ui.header(elevated=False).classes("items-center gap-3 px-4 py-2 bg-primary text-white"):
        ui.button(icon="menu", on_click=drawer.toggle).props("flat round dense color=white")
        ui.label(i18n.t("app.title")).classes("text-lg font-semibold tracking-wide")
        ui.label("·").classes("opacity-60")
        company_name = ui.label(company.name if company else i18n.t("company.none"))
        company_name.classes("text-base opacity-90").props("data-testid=company-name")
        ui.space()
        if user:
            with ui.row().classes("items-center gap-1 text-sm opacity-90").props("data-testid=current-user"):
                ui.icon("person", size="xs")
                ui.label(user.name)
                ui.tooltip(i18n.t("user.tooltip"))
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

    with ui.column().classes("w-full max-w-screen-2xl mx-auto gap-3 px-5 py-3"):
        if title:
            ui.label(title).classes("text-xl font-semibold text-grey-9")
        yield Header(company_name=company_name)
