"""The native window: is there a backend to draw it, and how it looks.

pywebview needs a real engine: Edge WebView2 on Windows and Cocoa's WebKit on macOS come with the system (and
pywebview's own dependencies); on Linux it needs a display plus GTK's WebKit2 (`gi`) or Qt's WebEngine. Without
one, `ui.run(native=True)` would start a server whose window never opens, so the app serves a browser instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from nicegui import app

WINDOW_SIZE = (1360, 860)
MIN_SIZE = (960, 640)

_QT_WEBENGINES = ("PyQt6.QtWebEngineWidgets", "PySide6.QtWebEngineWidgets", "PyQt5.QtWebEngineWidgets")


def native_backend() -> str | None:
    """The name of a usable pywebview backend, or None when no native window can be opened here."""
    if not _importable("webview"):
        return None
    if sys.platform == "win32":
        return "edgechromium"
    if sys.platform == "darwin":
        return "cocoa"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    if _gtk_webkit():
        return "gtk"
    if _importable("qtpy") and any(_importable(name) for name in _QT_WEBENGINES):
        return "qt"
    return None


def configure_window() -> None:
    """Window options, set before `ui.run`: NiceGUI hands these (picklable) values to the window's process."""
    app.native.window_args["min_size"] = MIN_SIZE
    app.native.window_args["text_select"] = True


def _gtk_webkit() -> bool:
    try:
        import gi  # type: ignore[import-not-found]  # noqa: PLC0415 - Debian's python3-gi, absent from most venvs
    except ImportError:
        return False
    for version in ("4.1", "4.0"):
        try:
            gi.require_version("Gtk", "3.0")
            gi.require_version("WebKit2", version)
        except ValueError:
            continue
        return True
    return False


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
