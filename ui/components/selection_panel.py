"""The selection: the filters, what they match (count and totals), the grid of matching pieces, and what to do
with the selected ones (add to or remove from the batch, open a piece or its contact)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from nicegui import ui

from batchmail.domain.selection import Criteria
from batchmail.errors import InvalidInput
from batchmail.services.workspace import Page, PieceTotals, Sort, WorkspaceService
from ui import i18n
from ui.components.filter_bar import FilterBar
from ui.components.piece_grid import BLOCK_ROWS, MenuItem, MenuTarget, Opener, PieceGrid, open_items
from ui.filters import FilterForm


class BatchLink(Protocol):
    """The batch, as the selection sees it."""

    @property
    def ids(self) -> Collection[int]: ...

    async def add(self, piece_ids: list[int]) -> None: ...

    async def remove(self, piece_ids: list[int]) -> None: ...


def totals_text(totals: PieceTotals, key: str, none_key: str) -> str:
    """ "1 234 pièces · total TTC … · solde …" for the language; the `none_key` text when there are none."""
    if not totals.count:
        return i18n.t(none_key)
    return i18n.count_of(key, totals.count, total=i18n.money(totals.total_incl_tax), balance=i18n.money(totals.balance))


async def warm_up(workspace: WorkspaceService) -> None:
    """Compute what the batch page opens on (the remembered filters' count, totals and first rows) so that the
    first page open after the app starts does not wait for a hundred thousand pieces to be indexed."""
    try:
        criteria = FilterForm.from_dict(await workspace.remembered_filters()).criteria()
    except InvalidInput:
        criteria = Criteria()  # the page will say what is wrong; the index is what takes time
    await workspace.matching_page(criteria, BLOCK_ROWS)


class SelectionPanel:
    def __init__(
        self,
        workspace: WorkspaceService,
        *,
        open_piece: Opener,
        open_contact: Opener,
        batch: BatchLink | None = None,
        grid_height: str = "400px",
        remember: bool = True,
    ) -> None:
        self.workspace = workspace
        self.batch = batch
        self.criteria: Criteria | None = None
        self._open_piece = open_piece
        self._open_contact = open_contact
        self._grid_height = grid_height
        self._generation = 0
        self._remember = remember
        self.grid: PieceGrid

    async def build(self) -> None:
        form = FilterForm.from_dict(await self.workspace.remembered_filters()) if self._remember else FilterForm()
        self.filters = FilterBar(form, workspace=self.workspace, on_change=self._filters_changed)
        await self.filters.build()
        with ui.row().classes("w-full items-center gap-2 min-h-9"):
            self.match_label = ui.label().classes("text-sm font-medium text-grey-9").props("data-testid=piece-count")
            ui.space()
            # The grid is built below, and the batch actions must not be given the click's event: lambdas.
            select_all = lambda: self.grid.select_all()  # noqa: E731, PLW0108
            select_none = lambda: self.grid.select_none()  # noqa: E731, PLW0108
            ui.button(i18n.t("select.all"), icon="done_all", on_click=select_all).props(
                "outline dense no-caps data-testid=select-all"
            ).classes("px-2").tooltip(i18n.t("select.all.tooltip"))
            ui.button(i18n.t("select.none"), icon="remove_done", on_click=select_none).props(
                "outline dense no-caps data-testid=select-none"
            ).classes("px-2")
            self.selected_label = (
                ui.label().classes("text-sm text-grey-8 min-w-[120px]").props("data-testid=selected-count")
            )
            if self.batch is not None:
                add = lambda: self._add_selected()  # noqa: E731, PLW0108
                remove = lambda: self._remove_selected()  # noqa: E731, PLW0108
                ui.button(i18n.t("batch.add"), icon="playlist_add", on_click=add).props(
                    "unelevated dense no-caps data-testid=add-to-batch"
                ).classes("px-3")
                ui.button(i18n.t("batch.remove"), icon="playlist_remove", on_click=remove).props(
                    "outline dense no-caps data-testid=remove-from-batch"
                ).classes("px-2")
        first = await self._match(form, Sort())
        self.grid = PieceGrid(
            self._rows,
            in_batch=self._in_batch,
            batch_column=self.batch is not None,
            height=self._grid_height,
            on_count=self._count_changed,
            on_open=self._open_piece,
            menu=self._menu(),
            first=first,
        )
        self._count_changed(0)

    async def refresh(self) -> None:
        """The pieces changed (a send, the batch): count, totals and rows again, selection and scroll kept."""
        if self.criteria is not None:
            await self._show_match(self.criteria, rows=0, sort=self.grid.sort)
        self.grid.refresh()

    async def selected_ids(self, target: MenuTarget | None = None) -> list[int]:
        """The row the menu was opened on, or the grid's selection (All: every matching piece but those unticked)."""
        if target is not None and target.row_only is not None:
            return [target.row_only]
        selection = await self.grid.selection()
        if selection.all and self.criteria is not None:
            return await self.workspace.matching_ids(self.criteria, excluding=selection.excluded)
        return list(selection.ids)

    # -- internals ---------------------------------------------------------------------------------------------

    async def _filters_changed(self, form: FilterForm) -> None:
        await self._apply(form)
        if self._remember:
            await self.workspace.remember_filters(form.to_dict())

    async def _apply(self, form: FilterForm) -> None:
        sort = self.grid.sort
        first = await self._match(form, sort)
        if first is not None:
            self.grid.reset(first, sort)

    async def _match(self, form: FilterForm, sort: Sort) -> Page | None:
        """Take the form's criteria, show their count and totals, and give their first rows in `sort` order; None
        when the form cannot be read or newer filters came in meanwhile."""
        try:
            criteria = form.criteria()
        except InvalidInput as err:
            self.match_label.text = i18n.t("filter.invalid", error=err)
            return None
        self.criteria = criteria
        return await self._show_match(criteria, rows=BLOCK_ROWS, sort=sort)

    async def _show_match(self, criteria: Criteria, *, rows: int, sort: Sort) -> Page | None:
        """Show the count and totals and give the first `rows` rows; None when newer filters came in meanwhile."""
        self._generation += 1
        generation = self._generation
        totals, first = await self.workspace.matching_page(criteria, rows, sort)
        if generation != self._generation:
            return None
        self.match_label.text = totals_text(totals, "match.count", "match.none")
        return first

    async def _rows(self, start: int, count: int, sort: Sort) -> Page:
        if self.criteria is None:
            return Page(rows=[], total=0)
        return await self.workspace.page(self.criteria, start, count, sort)

    def _in_batch(self) -> Collection[int]:
        return self.batch.ids if self.batch is not None else ()

    def _count_changed(self, count: int) -> None:
        self.selected_label.text = i18n.t("selected", count=i18n.number(count))

    def _menu(self) -> tuple[MenuItem, ...]:
        items = []
        if self.batch is not None:
            items += [
                MenuItem(label=i18n.t("menu.add"), icon="playlist_add", action=self._add_selected, test_id="add"),
                MenuItem(
                    label=i18n.t("menu.remove"), icon="playlist_remove", action=self._remove_selected, test_id="remove"
                ),
            ]
        return (*items, *open_items(self._open_piece, self._open_contact))

    async def _add_selected(self, target: MenuTarget | None = None) -> None:
        await self._change_batch(target, adding=True)

    async def _remove_selected(self, target: MenuTarget | None = None) -> None:
        await self._change_batch(target, adding=False)

    async def _change_batch(self, target: MenuTarget | None, *, adding: bool) -> None:
        ids = await self.selected_ids(target)
        if not ids or self.batch is None:
            ui.notify(i18n.t("batch.nothing_selected"), type="warning")
            return
        await (self.batch.add(ids) if adding else self.batch.remove(ids))
        count = i18n.number(len(ids))
        ui.notify(i18n.t("batch.added" if adding else "batch.removed", count=count), type="positive")
