"""Where a frame that previews a PDF points: at the PDF itself where the window engine shows PDFs (Chromium,
Edge WebView2, macOS WebKit), else at the PDF.js viewer of ui/static/viewer/, which draws the pages itself (Linux
WebKitGTK shows none: its frame stays blank). Chosen once per process, at start."""

from __future__ import annotations

import mimetypes
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlencode

from nicegui import app

from ui import i18n

VIEWER_ROUTE = "/viewer"
VIEWER_DIR = Path(__file__).resolve().parent / "static" / "viewer"
ENGINES_WITHOUT_PDF = frozenset({"gtk"})  # native_backend() names whose engine cannot show a PDF


class PdfViewer(StrEnum):
    auto = "auto"  # PDF.js only where the window engine cannot show a PDF
    builtin = "builtin"  # the engine's own PDF viewer
    pdfjs = "pdfjs"  # PDF.js everywhere


class _Choice:
    use_pdfjs = False


def configure(viewer: PdfViewer, *, native_backend: str | None) -> None:
    """Choose the viewer for this process; `native_backend` is the window's engine, None in a browser."""
    _Choice.use_pdfjs = uses_pdfjs(viewer, native_backend)


def uses_pdfjs(viewer: PdfViewer, native_backend: str | None) -> bool:
    return viewer is PdfViewer.pdfjs or (viewer is PdfViewer.auto and native_backend in ENGINES_WITHOUT_PDF)


def register_viewer() -> None:
    """Serve the viewer's files; call it once, before `ui.run`."""
    mimetypes.add_type("text/javascript", ".mjs")  # module scripts are refused under any other type
    app.add_static_files(VIEWER_ROUTE, VIEWER_DIR)


def frame_src(pdf_url: str) -> str:
    """What a preview frame loads to show the PDF at `pdf_url` (a path of this app under /pdf/)."""
    if not _Choice.use_pdfjs:
        return pdf_url
    return f"{VIEWER_ROUTE}/index.html?" + urlencode({"file": pdf_url, "lang": i18n.language()})
