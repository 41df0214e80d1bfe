"""The batch page ("Lot"), the app's main screen: the selection above (filters, matching pieces), the batch and
the treatments below."""

from __future__ import annotations

from nicegui import app as nicegui_app
from nicegui import background_tasks, ui

from batchmail.errors import BatchMailError
from batchmail.services.imports import ImportService
from batchmail.wiring import App
from ui import i18n
from ui.components.batch_panel import BatchPanel
from ui.components.drawers import Drawers
from ui.components.piece_grid import add_script
from ui.components.selection_panel import SelectionPanel, warm_up
from ui.jobs import Jobs
from ui.layout import frame
from ui.treatments.area import treatment_area
from ui.treatments.base import WorkspaceContext

# The first filter runs before the page is sent; over a hundred thousand pieces it may take a second (less once
# `warm_up`, started with the app, has indexed the pieces).
PAGE_BUILD_TIMEOUT = 30.0
SELECTION_GRID_HEIGHT = "max(280px, calc(100vh - 560px))"
BATCH_GRID_HEIGHT = "220px"


def register(app: App, jobs: Jobs) -> None:
    nicegui_app.on_startup(lambda: background_tasks.create(warm_up(app.workspace), name="warm-up-workspace"))

    @ui.page("/", response_timeout=PAGE_BUILD_TIMEOUT)
    async def batch_page() -> None:
        async with frame(app, "/"):
            if await app.imports.is_empty():
                _offer_demo(app.imports)
            else:
                await _workspace(app, jobs)


async def _workspace(app: App, jobs: Jobs) -> None:
    add_script()
    drawers = Drawers(app.workspace)

    async def batch_changed() -> None:
        selection.grid.refresh()

    async def pieces_changed() -> None:
        await batch.load()
        await batch.show()
        await selection.refresh()

    batch = BatchPanel(app.workspace, open_piece=drawers.piece, open_contact=drawers.contact, on_changed=batch_changed)
    await batch.load()
    selection = SelectionPanel(
        app.workspace,
        open_piece=drawers.piece,
        open_contact=drawers.contact,
        batch=batch,
        grid_height=SELECTION_GRID_HEIGHT,
    )
    await selection.build()
    with ui.row().classes("w-full gap-3 no-wrap items-stretch"):
        batch_column = ui.column().classes("w-1/2 shrink-0")
        treatment_column = ui.column().classes("grow min-w-0")
    # The page leaves here with the filters and the first rows of the grid; the batch and the treatments follow
    # over the websocket, so the browser builds one grid, not two, before the user sees rows.
    try:
        await ui.context.client.connected(timeout=PAGE_BUILD_TIMEOUT)
    except TimeoutError:
        return  # the browser went away
    with batch_column:
        await batch.build(height=BATCH_GRID_HEIGHT)
    with treatment_column:
        context = WorkspaceContext(app=app, jobs=jobs, batch_ids=app.workspace.batch_ids, changed=pieces_changed)
        await treatment_area(context)


def _offer_demo(imports: ImportService) -> None:
    async def load() -> None:
        button.props("loading")
        try:
            contacts, pieces = await imports.load_demo()
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
