"""The pieces grid: AG Grid's infinite row model, fed a block of rows at a time by the workspace service as the
user scrolls, so 20,000 matching rows cost the page nothing (ui/static/piece_grid.js is its browser half).

The first block comes with the page, and with each new set of criteria (`reset(first)`), so the grid shows rows
without first asking for them over the websocket; later blocks are asked for as the user scrolls.
Sorting is done by the service (a click on a header asks again from row 0). The selection travels as ids or as
"all matching, except these", never as rows: NiceGUI caps a browser-to-server message at 1 MB.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nicegui import events, ui

from batchmail.services.workspace import Page, PieceRow, Sort, SortKey
from ui import i18n

RowSource = Callable[[int, int, Sort], Awaitable[Page]]  # (start, count, sort) -> rows and how many match
BLOCK_ROWS = 100
ROW_HEIGHT, HEADER_HEIGHT = 34, 38
ROW_BUFFER = 4  # rows drawn beyond the visible ones (AG Grid's default 10): every row drawn is restyled on changes
_JS_TIMEOUT = 5.0
_SORT_KEYS = {key.value: key for key in SortKey}
_SCRIPT = (Path(__file__).resolve().parent.parent / "static" / "piece_grid.js").read_text(encoding="utf-8")
# Quartz's 16 px cell padding leaves ten columns too little room beside the navigation.
_CSS = ".piece-grid .ag-root-wrapper { --ag-cell-horizontal-padding: 9px; --ag-font-size: 13px; }"
_IN_BATCH_ICON = (
    'p => p.value ? \'<i class="q-icon notranslate material-icons text-primary" '
    'style="font-size:18px" aria-hidden="true">inventory_2</i>\' : \'\''
)


@dataclass(frozen=True, slots=True)
class Selection:
    """What is selected in the grid: every matching piece but `excluded` (All), or just `ids`."""

    all: bool
    ids: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.all and not self.ids


@dataclass(frozen=True, slots=True)
class MenuTarget:
    """Where the menu was opened: on a row (`piece_id`, `contact_id`), and whether that row was selected."""

    piece_id: int | None
    contact_id: int | None
    on_selection: bool  # the row was one of the selected ones (or no row): the action is for the selection

    @property
    def row_only(self) -> int | None:
        """The piece the action is for when it is for the clicked row alone, else None (the selection)."""
        return None if self.on_selection else self.piece_id


@dataclass(frozen=True, slots=True)
class MenuItem:
    label: str
    icon: str
    action: Callable[[MenuTarget], Awaitable[None]]
    test_id: str


Opener = Callable[[int], Awaitable[None]]


def open_items(open_piece: Opener, open_contact: Opener) -> tuple[MenuItem, MenuItem]:
    """The menu entries that open the clicked row's piece or contact in a drawer."""

    async def piece(target: MenuTarget) -> None:
        if target.piece_id is not None:
            await open_piece(target.piece_id)

    async def contact(target: MenuTarget) -> None:
        if target.contact_id is not None:
            await open_contact(target.contact_id)

    return (
        MenuItem(label=i18n.t("menu.open_piece"), icon="description", action=piece, test_id="open-piece"),
        MenuItem(label=i18n.t("menu.open_contact"), icon="person", action=contact, test_id="open-contact"),
    )


def add_script() -> None:
    """The browser half, once per page that shows a grid."""
    ui.add_head_html(f"<script>{_SCRIPT}</script>")
    ui.add_css(_CSS)


class PieceGrid:
    def __init__(
        self,
        source: RowSource,
        *,
        in_batch: Callable[[], Collection[int]] = frozenset,
        compact: bool = False,
        batch_column: bool = True,
        height: str = "400px",
        on_count: Callable[[int], None] | None = None,
        on_open: Callable[[int], Awaitable[None]] | None = None,
        menu: tuple[MenuItem, ...] = (),
        test_id: str = "piece-grid",
        first: Page | None = None,
    ) -> None:
        """`first`: the rows from 0 in the default order (date, newest first), shown as soon as the grid is."""
        self._source = source
        self._in_batch = in_batch
        self._on_count = on_count
        self._on_open = on_open
        self._target = MenuTarget(piece_id=None, contact_id=None, on_selection=True)
        self._asked: tuple[str | None, bool] = (SortKey.date.value, True)  # as the columns open: text("date", ...)
        self.sort = Sort()  # the order the browser last asked rows in
        with ui.element("div").classes("w-full relative") as self.container:
            self.grid = ui.aggrid(_options(compact, batch_column), theme="quartz", auto_size_columns=True)
        self.grid.classes("w-full piece-grid").style(f"height: {height}").props(f"data-testid={test_id}")
        gid = self.grid.id
        self.grid.options.update(
            {
                ":datasource": f"BatchMailGrid.datasource({gid}, {self._block(first)})",
                ":onRowSelected": f"e => BatchMailGrid.rowSelected({gid}, e)",
                ":onSelectionChanged": f"e => BatchMailGrid.selectionChanged({gid}, e)",
                ":onCellContextMenu": f"e => BatchMailGrid.contextMenu({gid}, e)",
                ":onRowDoubleClicked": f"e => BatchMailGrid.open({gid}, e)",
            }
        )
        self.grid.on("rowsWanted", self._rows_wanted)
        self.grid.on("selectionCount", self._count_changed)
        self.grid.on("rowMenu", self._row_menu)
        self.grid.on("openPiece", self._open)
        if menu:
            with self.container, ui.context_menu().props(f"data-testid={test_id}-menu"):
                for item in menu:
                    with (
                        ui.menu_item(on_click=lambda item=item: item.action(self._target)).props(
                            f"data-testid=menu-{item.test_id}"
                        ),
                        ui.row().classes("items-center gap-3 no-wrap"),
                    ):
                        ui.icon(item.icon, size="xs", color="grey-8")
                        ui.label(item.label)

    def reset(self, first: Page | None = None, sort: Sort | None = None) -> None:
        """The rows' criteria changed: show them from the top, select nothing. `first`: the first rows, in `sort`
        order (what `self.sort` was when they were asked for), shown without asking for them unless the user
        sorted the grid otherwise meanwhile."""
        block = self._block(first if sort == self.sort else None)
        self._js(f"BatchMailGrid.reset({self.grid.id}, {block})")

    def refresh(self) -> None:
        """The rows changed but not the criteria: fetch the blocks again, keep the selection and the scroll."""
        self._js(f"BatchMailGrid.refresh({self.grid.id})")

    def select_all(self) -> None:
        self._js(f"BatchMailGrid.selectAll({self.grid.id}, true)")

    def select_none(self) -> None:
        self._js(f"BatchMailGrid.selectAll({self.grid.id}, false)")

    async def selection(self) -> Selection:
        found = await self.grid.client.run_javascript(
            f"return BatchMailGrid.selection({self.grid.id})", timeout=_JS_TIMEOUT
        )
        found = found or {}
        return Selection(
            all=bool(found.get("all")),
            ids=tuple(int(i) for i in found.get("ids") or ()),
            excluded=tuple(int(i) for i in found.get("excluded") or ()),
        )

    # -- browser events --------------------------------------------------------------------------------------

    async def _rows_wanted(self, event: events.GenericEventArguments) -> None:
        wanted = event.args
        start, end = int(wanted["start"]), int(wanted["end"])
        key, descending = wanted.get("sort"), bool(wanted.get("descending"))
        self._asked = (key, descending)
        self.sort = Sort(key=_SORT_KEYS[key], descending=descending) if key in _SORT_KEYS else Sort()
        page = await self._source(start, max(end - start, 0), self.sort)
        self._js(
            f"BatchMailGrid.deliver({self.grid.id}, {int(wanted['request'])}, {self._rows_json(page)}, {page.total})"
        )

    def _count_changed(self, event: events.GenericEventArguments) -> None:
        if self._on_count:
            self._on_count(int(event.args or 0))

    def _row_menu(self, event: events.GenericEventArguments) -> None:
        clicked = event.args or {}
        piece_id = clicked.get("id")
        self._target = MenuTarget(
            piece_id=int(piece_id) if piece_id is not None else None,
            contact_id=int(clicked["contact"]) if clicked.get("contact") is not None else None,
            on_selection=piece_id is None or bool(clicked.get("selected")),
        )

    async def _open(self, event: events.GenericEventArguments) -> None:
        if self._on_open and event.args is not None:
            await self._on_open(int(event.args))

    def _js(self, code: str) -> None:
        self.grid.client.run_javascript(code)

    def _block(self, first: Page | None) -> str:
        """`first` for the browser, with the order it is in ("null": none)."""
        if first is None:
            return "null"
        sort, descending = json.dumps(self._asked[0]), json.dumps(self._asked[1])
        return (
            f'{{"rows": {self._rows_json(first)}, "total": {first.total}, "sort": {sort}, "descending": {descending}}}'
        )

    def _rows_json(self, page: Page) -> str:
        batch = self._in_batch()
        return json.dumps([_row(row, row.summary.id in batch) for row in page.rows], ensure_ascii=False)


def _options(compact: bool, batch_column: bool) -> dict[str, Any]:
    return {
        "columnDefs": _columns(compact, batch_column),
        "rowModelType": "infinite",
        "cacheBlockSize": BLOCK_ROWS,
        "maxConcurrentDatasourceRequests": 2,
        "rowSelection": {
            "mode": "multiRow",
            "checkboxes": True,
            "headerCheckbox": False,  # AG Grid's header box is for the client-side model; "All" is ours
            "enableClickSelection": True,
        },
        "selectionColumnDef": {"pinned": "left", "width": 44, "maxWidth": 44, "resizable": False},
        "defaultColDef": {"sortable": True, "resizable": True, "suppressMovable": True},
        ":getRowId": "params => String(params.data.id)",
        "localeText": {"loadingOoo": i18n.t("grid.loading"), "noRowsToShow": i18n.t("grid.no_rows")},
        "rowHeight": ROW_HEIGHT,
        "headerHeight": HEADER_HEIGHT,
        "animateRows": False,
        "rowBuffer": ROW_BUFFER,
        "suppressCellFocus": True,
    }


def _columns(compact: bool, batch_column: bool) -> list[dict[str, Any]]:
    """Money and dates are the text Babel wrote for the language: the service sorts on the values."""

    def text(field: str, **extra: Any) -> dict[str, Any]:
        return {"headerName": i18n.t(f"col.{field}"), "field": field, **extra}

    money = {"type": "rightAligned", "cellClass": "ag-right-aligned-cell tabular-nums", "width": 118, "minWidth": 98}
    day = {"width": 100, "minWidth": 94}
    number = text("number", width=132, minWidth=120, pinned="left", cellClass="font-medium")
    if compact:  # the number's prefix tells the type
        return [
            number,
            text("date", sort="desc", **day),
            text("contact", width=150, minWidth=90),
            text("total", **money),
            text("balance", **money),
        ]
    in_batch = text(
        "in_batch",
        width=66,
        minWidth=66,
        sortable=False,
        headerTooltip=i18n.t("col.in_batch.tooltip"),
        cellClass="text-center",
        **{":cellRenderer": _IN_BATCH_ICON},
    )
    return [
        number,
        text("type", width=140, minWidth=100),
        text("date", sort="desc", **day),
        text("due_date", **day),
        text("contact", width=150, minWidth=110),
        text("company", width=170, minWidth=110),
        text("total", **money),
        text("balance", **money),
        text("status", width=120, minWidth=95),
        text("last_sent", width=112, minWidth=104),
        text("reminders", width=128, minWidth=100),
        *([in_batch] if batch_column else []),
    ]


def _row(row: PieceRow, in_batch: bool) -> dict[str, Any]:
    s = row.summary
    return {
        "id": s.id,
        "contact_id": s.contact_id,
        "number": s.number,
        "type": i18n.piece_type(s.type),
        "date": i18n.day(s.date),
        "due_date": i18n.day(s.due_date),
        "contact": row.contact_name,
        "company": row.company,
        "total": i18n.money(s.total_incl_tax),
        "balance": i18n.money(s.balance),
        "status": i18n.status(s.status),
        "last_sent": i18n.day(s.last_sent),
        "reminders": i18n.reminder(s.reminders, s.last_reminder),
        "in_batch": in_batch,
    }
