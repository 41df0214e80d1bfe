"""The pieces page: the same filters and grid as the batch page, to look things up, without the batch."""

from __future__ import annotations

from nicegui import ui

from batchmail.wiring import App
from ui import i18n
from ui.components.drawers import Drawers
from ui.components.piece_grid import add_script
from ui.components.selection_panel import SelectionPanel
from ui.jobs import Jobs
from ui.layout import frame
from ui.pages.batch import PAGE_BUILD_TIMEOUT

GRID_HEIGHT = "max(320px, calc(100vh - 250px))"


def register(app: App, jobs: Jobs) -> None:
    @ui.page("/pieces", response_timeout=PAGE_BUILD_TIMEOUT)
    async def pieces_page() -> None:
        async with frame(app, "/pieces", i18n.t("pieces.title")):
            add_script()
            drawers = Drawers(app.workspace)
            selection = SelectionPanel(
                app.workspace,
                open_piece=drawers.piece,
                open_contact=drawers.contact,
                grid_height=GRID_HEIGHT,
                remember=False,  # the batch page's filters are the ones kept
            )
            await selection.build()
