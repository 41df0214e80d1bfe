"""The treatment area of the batch page: one tab per treatment of ui.treatments.TREATMENTS."""

from __future__ import annotations

from nicegui import ui

from ui import i18n
from ui.treatments import TREATMENTS
from ui.treatments.base import WorkspaceContext


async def treatment_area(context: WorkspaceContext) -> None:
    with ui.card().classes("w-full h-full gap-0 p-0").props("flat bordered data-testid=treatments"):
        with (
            ui.tabs()
            .classes("w-full text-grey-8")
            .props("dense inline-label align=left breakpoint=0 active-color=primary indicator-color=primary") as tabs
        ):
            for treatment in TREATMENTS:
                ui.tab(treatment.key, label=i18n.t(treatment.label_key), icon=treatment.icon).props(
                    f"no-caps data-testid=treatment-{treatment.key}"
                )
        ui.separator()
        with ui.tab_panels(tabs, value=TREATMENTS[0].key).classes("w-full").props("animated=false"):
            for treatment in TREATMENTS:
                with ui.tab_panel(treatment.key).classes("p-3") as panel:
                    await treatment.build(panel, context)
