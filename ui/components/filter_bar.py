"""The filter bar of the selection: every criterion of the issue on two rows, bound to a `FilterForm`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import events, ui

from batchmail.domain.pieces import PieceType, Side, Status, StatusGroup
from batchmail.errors import InvalidInput
from batchmail.services.workspace import WorkspaceService
from ui import i18n
from ui.filters import GROUP, PERIOD_PATTERN, REMINDER_CHOICES, STATUS, FilterForm, parse_amount

CONTACT_CHOICES = 40  # contacts offered at once by the contact filter; typing searches all of them
_DATE_MASK = "DD/MM/YYYY"  # what fr_FR and en_GB both write
_FIELD = "outlined dense options-dense hide-bottom-space"


class FilterBar:
    def __init__(
        self, form: FilterForm, *, workspace: WorkspaceService, on_change: Callable[[FilterForm], Awaitable[None]]
    ) -> None:
        self.form = form
        self._workspace = workspace
        self._on_change = on_change
        self.container = ui.column().classes("w-full gap-2").props("data-testid=filters")

    async def build(self) -> None:
        self.container.clear()
        with self.container:
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                self._select("side", {s.value: i18n.side(s) for s in Side}, "min-w-[130px]")
                self._select("type", {t.value: i18n.piece_type(t) for t in PieceType}, "min-w-[175px]")
                self._select("status", _status_options(), "min-w-[190px]")
                self._text(
                    "period",
                    "filter.period",
                    "w-[125px]",
                    placeholder=i18n.t("filter.period.hint"),
                    validation={i18n.t("filter.period.hint"): lambda v: not v or bool(PERIOD_PATTERN.fullmatch(v))},
                )
                self._date("start", "filter.from")
                self._date("end", "filter.to")
                await self._contact_select()
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                for name, key in (("min_amount", "filter.min_amount"), ("max_amount", "filter.max_amount")):
                    self._text(name, key, "w-[135px]", validation={i18n.t("filter.bad_amount"): _readable_amount})
                self._text("nature", "filter.nature", "w-[140px]")
                self._text("company", "filter.company", "w-[160px]")
                self._text("contact_name", "filter.contact_name", "w-[160px]")
                reminders = {choice: i18n.t(f"filter.reminders.{choice}") for choice in REMINDER_CHOICES}
                self._select("reminders", reminders, "min-w-[170px]")
                self._text("text", "filter.text", "grow", placeholder=i18n.t("filter.text.hint")).props(
                    "prepend-inner-icon=search"
                )
                ui.button(icon="filter_alt_off", on_click=self.clear).props(
                    "flat round color=grey-8 data-testid=filter-reset"
                ).tooltip(i18n.t("filter.reset"))

    async def clear(self) -> None:
        self.form = FilterForm()
        await self.build()
        await self._on_change(self.form)

    async def _set(self, name: str, value: Any) -> None:
        setattr(self.form, name, value)
        await self._on_change(self.form)

    def _select(self, name: str, options: dict[str, str], width: str) -> ui.select:
        current = getattr(self.form, name)
        return (
            ui.select(
                options,
                value=current if current in options else None,
                label=i18n.t(f"filter.{name}"),
                clearable=True,
                on_change=lambda e: self._set(name, e.value),
            )
            .classes(width)
            .props(f"{_FIELD} data-testid=filter-{name.replace('_', '-')}")
        )

    def _text(self, name: str, label_key: str, width: str, **extra: Any) -> ui.input:
        field = ui.input(
            i18n.t(label_key),
            value=getattr(self.form, name),
            on_change=lambda e: self._set(name, (e.value or "").strip()),
            **extra,
        )
        return field.classes(width).props(
            f"{_FIELD} clearable debounce=350 data-testid=filter-{name.replace('_', '-')}"
        )

    def _date(self, name: str, label_key: str) -> None:
        field = self._text(name, label_key, "w-[140px]", placeholder=_DATE_MASK.lower())
        with field.add_slot("append"), ui.icon("event", size="xs").classes("cursor-pointer"), ui.menu() as menu:
            ui.date(mask=_DATE_MASK, on_change=menu.close).bind_value(field).props("minimal")

    async def _contact_select(self) -> None:
        options = await self._contact_options("")
        if self.form.contact_id not in options:
            self.form.contact_id = None  # a remembered contact that no longer exists filters nothing
        chosen = self.form.contact_id
        self.contact = (
            ui.select(
                options,
                value=chosen if chosen in options else None,
                label=i18n.t("filter.contact"),
                with_input=True,
                clearable=True,
                on_change=lambda e: self._set("contact_id", e.value),
            )
            .classes("min-w-[230px] grow")
            .props(f"{_FIELD} input-debounce=250 data-testid=filter-contact")
        )
        self.contact.props(f'placeholder="{i18n.t("filter.contact.hint")}"')
        self.contact.on("input-value", self._search_contacts)

    async def _search_contacts(self, event: events.GenericEventArguments) -> None:
        text = event.args if isinstance(event.args, str) else ""
        self.contact.set_options(await self._contact_options(text))

    async def _contact_options(self, text: str) -> dict[int, str]:
        """Up to CONTACT_CHOICES contacts matching `text` without case or accents, and the chosen one."""
        found = await self._workspace.find_contacts(text, limit=CONTACT_CHOICES)
        options = {c.id: c.display_name for c in found}
        chosen = self.form.contact_id
        if chosen is not None and chosen not in options:
            options.update({c.id: c.display_name for c in await self._workspace.contacts_by_id([chosen])})
        return options


def _status_options() -> dict[str, str]:
    groups = {f"{GROUP}{g.value}": f"{i18n.t('group.prefix')} · {i18n.group(g)}" for g in StatusGroup}
    return groups | {f"{STATUS}{s.value}": i18n.status(s) for s in Status}


def _readable_amount(value: str | None) -> bool:
    try:
        parse_amount(value or "", "amount")
    except InvalidInput:
        return False
    return True
