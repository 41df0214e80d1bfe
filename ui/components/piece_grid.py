"""The pieces grid: one AG Grid with checkbox selection, fed at most `MAX_ROWS` rows.

The grid's rows travel inside the page's props, so a big list would be a big page (10k rows: 1.2 MB, see
STACK-NOTES); the batch page shows the first `MAX_ROWS` and says so. The selection comes back from the browser
as piece ids only: whole rows would hit NiceGUI's 1 MB websocket message cap long before ids do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from nicegui import events, ui

from batchmail.services import PieceRow
from ui import i18n

MAX_ROWS = 500
_JS_TIMEOUT = 5.0
_ROW_HEIGHT, _HEADER_HEIGHT = 36, 40
# Quartz's 16 px cell padding leaves ten columns too little room in a 1280 px window.
_CSS = ".piece-grid .ag-root-wrapper { --ag-cell-horizontal-padding: 10px; --ag-font-size: 13px; }"


class PieceGrid:
    def __init__(self, *, on_selection: Callable[[int], None]) -> None:
        self._on_selection = on_selection
        self.grid = ui.aggrid(
            {
                "columnDefs": _columns(),
                "rowData": [],
                "rowSelection": {
                    "mode": "multiRow",
                    "checkboxes": True,
                    "headerCheckbox": True,
                    "enableClickSelection": False,
                },
                "selectionColumnDef": {"pinned": "left", "width": 48, "maxWidth": 48},
                "defaultColDef": {"sortable": True, "resizable": True, "suppressMovable": True},
                ":getRowId": "params => String(params.data.id)",
                "overlayNoRowsTemplate": i18n.t("count.none"),
                "rowHeight": _ROW_HEIGHT,
                "headerHeight": _HEADER_HEIGHT,
                "animateRows": False,
            },
            theme="quartz",
            auto_size_columns=True,
        )
        ui.add_css(_CSS)
        self.grid.classes("w-full piece-grid").style(f"height: {_height(0)}").props("data-testid=piece-grid")
        self.grid.on(
            "selectionChanged",
            self._selection_changed,
            js_handler=f"() => emit(getElement({self.grid.id}).api.getSelectedNodes().length)",
        )

    def set_rows(self, rows: Sequence[PieceRow]) -> None:
        shown = rows[:MAX_ROWS]
        self.grid.options["rowData"] = [_row(r) for r in shown]
        self.grid.style(f"height: {_height(len(shown))}")
        self.grid.update()
        self._on_selection(0)

    async def selected_ids(self) -> list[int]:
        ids = await ui.run_javascript(
            f"return getElement({self.grid.id}).api.getSelectedNodes().map(node => node.data.id)",
            timeout=_JS_TIMEOUT,
        )
        return [int(i) for i in ids or []]

    def select_all(self) -> None:
        self.grid.run_grid_method("selectAll")

    def select_none(self) -> None:
        self.grid.run_grid_method("deselectAll")

    def _selection_changed(self, event: events.GenericEventArguments) -> None:
        self._on_selection(int(event.args or 0))


def _height(rows: int) -> str:
    """Tall enough for the rows, never taller than the window leaves, never too small for the empty-grid notice."""
    wanted = _HEADER_HEIGHT + rows * _ROW_HEIGHT + 2
    return f"clamp(170px, {wanted}px, max(360px, calc(100vh - 360px)))"


def _columns() -> list[dict[str, Any]]:
    """Dates and money sort on a raw key (ISO date, cents) and show the text Babel wrote for the language."""

    def text(field: str, key: str, **extra: Any) -> dict[str, Any]:
        return {"headerName": i18n.t(f"col.{key}"), "field": field, **extra}

    def shown_as(field: str, key: str, **extra: Any) -> dict[str, Any]:
        return text(field, key, **{":valueFormatter": f"p => p.data.{field}_text", **extra})

    money = {"type": "rightAligned", "cellClass": "ag-right-aligned-cell tabular-nums", "width": 120, "minWidth": 105}
    return [
        text("number", "number", width=140, minWidth=130, pinned="left", cellClass="font-medium"),
        text("type", "type", width=155, minWidth=105),
        shown_as("date", "date", width=105, minWidth=95, sort="desc"),
        shown_as("due_date", "due_date", width=105, minWidth=95),
        text("contact", "contact", width=160, minWidth=120),
        text("company", "company", width=180, minWidth=120),
        shown_as("total", "total", **money),
        shown_as("balance", "balance", **money),
        text("status", "status", width=125, minWidth=100),
        shown_as("last_sent", "last_sent", width=125, minWidth=105),
    ]


def _row(row: PieceRow) -> dict[str, Any]:
    s = row.summary
    return {
        "id": s.id,
        "number": s.number,
        "type": i18n.piece_type(s.type),
        "date": _iso(s.date),
        "date_text": i18n.day(s.date),
        "due_date": _iso(s.due_date),
        "due_date_text": i18n.day(s.due_date),
        "contact": row.contact_name,
        "company": row.company,
        "total": _cents(s.total_incl_tax),
        "total_text": i18n.money(s.total_incl_tax),
        "balance": _cents(s.balance),
        "balance_text": i18n.money(s.balance),
        "status": i18n.status(s.status),
        "last_sent": _iso(s.last_sent),
        "last_sent_text": i18n.day(s.last_sent),
    }


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).to_integral_value())
