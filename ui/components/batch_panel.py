"""The batch ("lot"): its count and totals, its pieces in a small grid, trimmed by selection or cleared.

The batch is the workspace service's (kept in the settings store): this panel only shows it and asks for
changes, so it is the same after a reload or a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from batchmail.domain.selection import Criteria
from batchmail.services.workspace import Page, Sort, WorkspaceService
from ui import i18n
from ui.components.piece_grid import BLOCK_ROWS, MenuItem, MenuTarget, Opener, PieceGrid, open_items
from ui.components.selection_panel import totals_text


class BatchPanel:
    def __init__(
        self,
        workspace: WorkspaceService,
        *,
        open_piece: Opener,
        open_contact: Opener,
        on_changed: Callable[[], Awaitable[None]],
    ) -> None:
        self.workspace = workspace
        self._ids: frozenset[int] = frozenset()
        self._open_piece = open_piece
        self._open_contact = open_contact
        self._on_changed = on_changed

    @property
    def ids(self) -> frozenset[int]:
        return self._ids

    async def load(self) -> None:
        self._ids = frozenset(await self.workspace.batch_ids())

    async def build(self, *, height: str) -> None:
        """The panel, showing the batch as it is now (its first rows come with the page)."""
        open_piece, open_contact = self._open_piece, self._open_contact
        with ui.card().classes("w-full h-full gap-2 p-3").props("flat bordered data-testid=batch-panel"):
            with ui.row().classes("w-full items-center gap-2 no-wrap"):
                ui.icon("inventory_2", color="primary")
                ui.label(i18n.t("batch.panel")).classes("section-title")
                ui.space()
                self.remove_button = ui.button(icon="playlist_remove", on_click=self._remove_selected).props(
                    "flat round dense color=grey-8 data-testid=batch-remove"
                )
                self.remove_button.tooltip(i18n.t("batch.remove"))
                self.clear_button = ui.button(icon="delete_sweep", on_click=self._confirm_clear).props(
                    "flat round dense color=grey-8 data-testid=batch-clear"
                )
                self.clear_button.tooltip(i18n.t("batch.clear"))
            self.summary = ui.label().classes("text-sm font-medium text-grey-9").props("data-testid=batch-summary")
            first = await self._totals_and_first(Sort())
            self.grid = PieceGrid(
                self._rows,
                compact=True,
                height=height,
                on_open=self._open_piece,
                menu=(
                    MenuItem(
                        label=i18n.t("menu.remove"),
                        icon="playlist_remove",
                        action=self._remove_target,
                        test_id="remove",
                    ),
                    *open_items(open_piece, open_contact),
                ),
                test_id="batch-grid",
                first=first,
            )

    async def show(self) -> None:
        """Count, totals and rows of the batch as it is now (`load` first for its latest pieces)."""
        sort = self.grid.sort
        self.grid.reset(await self._totals_and_first(sort), sort)

    async def add(self, piece_ids: list[int]) -> None:
        await self.workspace.add_to_batch(piece_ids)
        await self._changed()

    async def remove(self, piece_ids: list[int]) -> None:
        await self.workspace.remove_from_batch(piece_ids)
        await self._changed()

    async def clear(self) -> None:
        await self.workspace.clear_batch()
        await self._changed()

    # -- internals ---------------------------------------------------------------------------------------------

    async def _changed(self) -> None:
        await self.load()
        await self.show()
        await self._on_changed()

    async def _totals_and_first(self, sort: Sort) -> Page:
        """Show the batch's count and totals; its first rows in `sort` order."""
        totals, first = await self.workspace.matching_page(Criteria(ids=self._ids), BLOCK_ROWS, sort)
        self.summary.text = totals_text(totals, "batch.summary", "batch.empty")
        self.clear_button.set_enabled(totals.count > 0)
        self.remove_button.set_enabled(totals.count > 0)
        return first

    async def _rows(self, start: int, count: int, sort: Sort) -> Page:
        if not self._ids:
            return Page(rows=[], total=0)
        return await self.workspace.page(Criteria(ids=self._ids), start, count, sort)

    async def _selected(self, target: MenuTarget | None = None) -> list[int]:
        if target is not None and target.row_only is not None:
            return [target.row_only]
        selection = await self.grid.selection()
        if selection.all:
            left_out = set(selection.excluded)
            return [i for i in self._ids if i not in left_out]
        return list(selection.ids)

    async def _remove_selected(self) -> None:
        ids = await self._selected()
        if not ids:
            ui.notify(i18n.t("batch.nothing_selected"), type="warning")
            return
        await self.remove(ids)
        ui.notify(i18n.t("batch.removed", count=i18n.number(len(ids))))

    async def _remove_target(self, target: MenuTarget) -> None:
        ids = await self._selected(target)
        if ids:
            await self.remove(ids)

    async def _confirm_clear(self) -> None:
        count = len(self._ids)
        with ui.dialog() as dialog, ui.card().props("data-testid=batch-clear-dialog"):
            ui.label(i18n.t("batch.clear.confirm", count=i18n.number(count)))
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(i18n.t("cancel"), on_click=lambda: dialog.submit(False)).props("flat")
                ui.button(i18n.t("confirm"), on_click=lambda: dialog.submit(True)).props(
                    "unelevated color=negative data-testid=batch-clear-confirm"
                )
        if await dialog:
            await self.clear()
        dialog.delete()
