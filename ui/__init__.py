"""BatchMail's NiceGUI pages. Importing this package does not import NiceGUI, which reads NICEGUI_STORAGE_PATH
when it is first imported: `batchmail run` sets that variable, then calls `ui.app.run_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchmail.wiring import App


def register(app: App) -> None:
    """Register every page on NiceGUI's app; call it once, before `ui.run`."""
    from ui.pages import register_pages
    from ui.pdf_view import register_viewer

    register_pages(app)
    register_viewer()
