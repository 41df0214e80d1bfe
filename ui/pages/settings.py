"""The settings page: the app's language, the issuing company as a form (ui/components/settings_company.py), the
generation settings, the dunning levels, and the users and sending accounts as they are, the current user and the
default account marked."""

from __future__ import annotations

from nicegui import events, ui

from batchmail.sending.accounts import Account
from batchmail.wiring import App
from ui import i18n
from ui.components.settings_company import CompanyForm
from ui.components.settings_dunning import DunningForm
from ui.components.settings_generation import GenerationSettingsForm
from ui.jobs import Jobs
from ui.layout import frame


def register(app: App, jobs: Jobs) -> None:
    @ui.page("/settings")
    async def settings_page() -> None:
        async with frame(app, "/settings", i18n.t("settings.title")) as header:
            with _card("settings.language", "translate"):
                ui.select(
                    {code: i18n.t(f"lang.{code}") for code in i18n.LANGUAGES},
                    value=i18n.language(),
                    on_change=_switch_language,
                ).classes("w-[220px]").props("outlined dense data-testid=language")
            settings = app.company
            company, logo, preview = await settings.get(), await settings.logo(), await settings.preview_piece_id()
            with _card("settings.company", "business"):
                CompanyForm(settings, company, logo=logo, preview_piece_id=preview, on_saved=header.show_company)
            with _card("settings.generation", "library_add"):
                GenerationSettingsForm(app.generation, await app.generation.settings())
            with _card("settings.dunning", "notifications_active"):
                DunningForm(app.reminders, await app.reminders.settings())
            users = await app.accounts.users()
            current = await app.accounts.current_user()
            if users:
                with _card("settings.users", "group"):
                    for user in users:
                        mark = f" · {i18n.t('settings.current_user')}" if current and user.id == current.id else ""
                        addresses = ", ".join(a.email for a in user.addresses)
                        ui.label(f"{user.name}{mark} — {addresses}").classes("text-sm")
            with _card("settings.accounts", "alternate_email"):
                accounts = [
                    (account, default) for account, default in await app.accounts.all() if not account.is_test_mailbox
                ]
                if not accounts:
                    ui.label(i18n.t("settings.accounts.none")).classes("text-sm").props("data-testid=no-accounts")
                for account, default in accounts:
                    _account(account, default=default)


def _card(title_key: str, icon: str) -> ui.card:
    card = ui.card().classes("w-full max-w-3xl gap-2 p-4").props("flat bordered")
    with card, ui.row().classes("items-center gap-2"):
        ui.icon(icon, color="primary")
        ui.label(i18n.t(title_key)).classes("section-title")
    return card


def _account(account: Account, *, default: bool) -> None:
    kind = i18n.t(f"account.kind.{account.kind.value}")
    server = f"{account.host}:{account.port}" if account.host else ""
    parts = [part for part in (kind, server, account.from_address) if part]
    with ui.row().classes("items-center gap-2 text-sm"):
        ui.label(account.name).classes("font-medium")
        ui.label(" · ".join(parts)).classes("text-grey-8")
        if default:
            ui.badge(i18n.t("settings.default"), color="primary").props("outline data-testid=default-account")


def _switch_language(event: events.ValueChangeEventArguments[str]) -> None:
    if event.value and event.value != i18n.language():
        i18n.set_language(event.value)
        ui.notify(i18n.t("settings.language.saved"), type="positive")
        ui.navigate.reload()
