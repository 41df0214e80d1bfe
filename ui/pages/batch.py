"""The batch page ("Lot"): filter the pieces, tick some, send them, read the report."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nicegui import ui

from batchmail.errors import BatchMailError, InvalidInput
from batchmail.pieces import PieceType, Side, Status, StatusGroup
from batchmail.report import BatchReport
from batchmail.selection import Criteria, Period
from batchmail.services import Services, money_total
from ui import i18n
from ui.components.piece_grid import MAX_ROWS, PieceGrid
from ui.components.report import show_report
from ui.layout import frame

_PERIOD = re.compile(r"\d{4}(-\d{2})?")
_GROUP, _STATUS = "group:", "status:"
# The first filter runs before the page is sent; over a hundred thousand pieces it may take seconds.
PAGE_BUILD_TIMEOUT = 30.0


def register(services: Services) -> None:
    @ui.page("/", response_timeout=PAGE_BUILD_TIMEOUT)
    async def batch_page() -> None:
        async with frame(services, i18n.t("batch.title")):
            if await services.is_empty():
                _offer_demo(services)
            else:
                await BatchView(services).refresh()


def _offer_demo(services: Services) -> None:
    async def load() -> None:
        button.props("loading")
        try:
            contacts, pieces = await services.load_demo()
        except BatchMailError as err:
            ui.notify(str(err), type="negative", multi_line=True)
            button.props(remove="loading")
            return
        ui.notify(i18n.t("empty.loaded", contacts=contacts, pieces=pieces), type="positive")
        ui.navigate.reload()

    with ui.card().classes("max-w-xl self-center mt-10 p-6 gap-4").props("bordered flat data-testid=empty-store"):
        with ui.row().classes("items-center gap-3"):
            ui.icon("inventory_2", size="md", color="primary")
            ui.label(i18n.t("empty.title")).classes("text-lg font-semibold")
        ui.label(i18n.t("empty.text")).classes("text-grey-8")
        button = ui.button(i18n.t("empty.load"), icon="auto_awesome", on_click=load).props(
            "unelevated data-testid=load-demo"
        )


@dataclass(kw_only=True, slots=True)
class Filters:
    side: str | None = None
    type: str | None = None
    status: str | None = None  # "group:unpaid" or "status:validated"
    period: str = ""
    text: str = ""

    def criteria(self) -> Criteria:
        """The criteria these filters ask for; raises InvalidInput for a period that is not YYYY or YYYY-MM."""
        status, group = frozenset[Status](), None
        if self.status and self.status.startswith(_GROUP):
            group = StatusGroup(self.status.removeprefix(_GROUP))
        elif self.status:
            status = frozenset({Status(self.status.removeprefix(_STATUS))})
        criteria = Criteria(
            side=Side(self.side) if self.side else None,
            types=frozenset({PieceType(self.type)}) if self.type else frozenset(),
            statuses=status,
            group=group,
            text=self.text.strip(),
        )
        period = self.period.strip()
        if period:
            if not _PERIOD.fullmatch(period):
                raise InvalidInput(f"period: {period!r} is not a year (2026) or a month (2026-10)")
            criteria.with_period(Period.parse(period))
        return criteria


class BatchView:
    """Filters, grid, selection buttons, send button with its progress, and the last report."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.filters = Filters()
        self._generation = 0
        self._sending = False

        self._filter_bar()
        with ui.row().classes("w-full items-center gap-3 min-h-6"):
            self.count_label = ui.label().classes("text-sm text-grey-9").props("data-testid=piece-count")
            self.capped_label = ui.label().classes("text-sm text-orange-9").props("data-testid=rows-capped")
        self.grid = PieceGrid(on_selection=self._selection_changed)
        self._action_bar()
        self.report_area = ui.column().classes("w-full gap-3").props("data-testid=report-area")

    def _filter_bar(self) -> None:
        with ui.row().classes("w-full items-end gap-3"):
            ui.select(
                {s.value: i18n.side(s) for s in Side},
                label=i18n.t("filter.side"),
                clearable=True,
                on_change=lambda e: self._set("side", e.value),
            ).classes("min-w-[150px]").props("outlined dense options-dense data-testid=filter-side")
            ui.select(
                {t.value: i18n.piece_type(t) for t in PieceType},
                label=i18n.t("filter.type"),
                clearable=True,
                on_change=lambda e: self._set("type", e.value),
            ).classes("min-w-[190px]").props("outlined dense options-dense data-testid=filter-type")
            ui.select(
                _status_options(),
                label=i18n.t("filter.status"),
                clearable=True,
                on_change=lambda e: self._set("status", e.value),
            ).classes("min-w-[200px]").props("outlined dense options-dense data-testid=filter-status")
            ui.input(
                i18n.t("filter.period"),
                placeholder=i18n.t("filter.period.hint"),
                validation={i18n.t("filter.period.invalid"): lambda v: not v or bool(_PERIOD.fullmatch(v.strip()))},
                on_change=lambda e: self._set("period", e.value or ""),
            ).classes("w-[150px]").props(
                "outlined dense clearable hide-bottom-space debounce=400 data-testid=filter-period"
            )
            ui.input(
                i18n.t("filter.text"),
                placeholder=i18n.t("filter.text.hint"),
                on_change=lambda e: self._set("text", e.value or ""),
            ).classes("min-w-[240px] grow").props(
                "outlined dense clearable debounce=400 prepend-inner-icon=search data-testid=filter-text"
            )

    def _action_bar(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            ui.button(i18n.t("select.all"), icon="done_all", on_click=self.grid.select_all).props(
                "outline data-testid=select-all"
            )
            ui.button(i18n.t("select.none"), icon="remove_done", on_click=self.grid.select_none).props(
                "outline data-testid=select-none"
            )
            self.selected_label = ui.label().classes("text-sm text-grey-8 ml-2").props("data-testid=selected-count")
            ui.space()
            self.progress_label = ui.label().classes("text-sm text-grey-8").props("data-testid=send-progress-text")
            self.progress = ui.linear_progress(value=0, show_value=False, size="8px").classes("w-64")
            self.progress.props("rounded data-testid=send-progress")
            self.send_button = ui.button(i18n.t("send"), icon="send", on_click=self.send).props(
                "unelevated data-testid=send"
            )
        self._show_progress(False)
        self._selection_changed(0)

    # -- filters and grid -------------------------------------------------------------------------------------

    async def _set(self, name: str, value: str | None) -> None:
        setattr(self.filters, name, value)
        await self.refresh()

    async def refresh(self) -> None:
        """Run the filters and show the result; a slower earlier run never overwrites a later one."""
        try:
            criteria = self.filters.criteria()
        except InvalidInput:
            return
        self._generation += 1
        generation = self._generation
        rows = await self.services.find_pieces(criteria)
        if generation != self._generation:
            return
        total, balance = money_total(rows)
        if not rows:
            self.count_label.text = i18n.t("count.none")
        else:
            key = "count.one" if len(rows) == 1 else "count"
            self.count_label.text = i18n.t(key, count=len(rows), total=i18n.money(total), balance=i18n.money(balance))
        capped = len(rows) > MAX_ROWS
        self.capped_label.text = i18n.t("count.capped", shown=MAX_ROWS, count=len(rows)) if capped else ""
        self.grid.set_rows(rows)

    def _selection_changed(self, count: int) -> None:
        self.selected_label.text = i18n.t("selected", count=count)
        self.send_button.set_enabled(count > 0 and not self._sending)

    # -- sending ----------------------------------------------------------------------------------------------

    async def send(self) -> None:
        ids = await self.grid.selected_ids()
        if not ids:
            ui.notify(i18n.t("send.nothing"), type="warning")
            return
        self._sending = True
        self.send_button.disable()
        self.report_area.clear()
        self._show_progress(True)
        try:
            report = await self.services.sending.send(ids, on_progress=self._on_progress)
        except BatchMailError as err:
            ui.notify(i18n.t("send.error", error=err), type="negative", multi_line=True, timeout=0, close_button=True)
            return
        finally:
            self._sending = False
            self._show_progress(False)
            self.send_button.enable()
        with self.report_area:
            show_report(report)
        ui.run_javascript(f'getHtmlElement({self.report_area.id}).scrollIntoView({{behavior: "smooth"}})')
        await self.refresh()

    def _on_progress(self, report: BatchReport) -> None:
        self.progress.props(remove="indeterminate")
        self.progress.value = report.done / report.total if report.total else 1.0
        self.progress_label.text = i18n.t("send.running", done=report.done, total=report.total)

    def _show_progress(self, visible: bool) -> None:
        self.progress.set_visibility(visible)
        self.progress_label.set_visibility(visible)
        if visible:
            self.progress.value = 0
            self.progress.props("indeterminate")
            self.progress_label.text = i18n.t("send.preparing")


def _status_options() -> dict[str, str]:
    groups = {f"{_GROUP}{g.value}": f"{i18n.t('group.prefix')} · {i18n.group(g)}" for g in StatusGroup}
    return groups | {f"{_STATUS}{s.value}": i18n.status(s) for s in Status}
