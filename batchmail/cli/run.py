"""batchmail run: open the app."""

from __future__ import annotations

import argparse
import os

from batchmail.cli.common import EXIT_OK
from batchmail.paths import data_dir


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="open the app")
    run.add_argument("--browser", action="store_true", help="serve the page to a browser instead of a window")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--demo", action="store_true", help="fill an empty data directory with demo data first")
    run.add_argument(
        "--pdf-viewer",
        choices=("auto", "builtin", "pdfjs"),
        default="auto",
        help="how PDFs are previewed: the window's own viewer, or PDF.js (auto: PDF.js where the window has no "
        "viewer of its own, as on Linux)",
    )
    run.set_defaults(without_services=run_app)


def run_app(args: argparse.Namespace) -> int:
    root = data_dir(args.data_dir)
    os.environ.setdefault("NICEGUI_STORAGE_PATH", str(root / "ui-state"))
    from ui.app import run_app as serve  # imported late: NiceGUI reads NICEGUI_STORAGE_PATH at import
    from ui.pdf_view import PdfViewer

    serve(
        root,
        native=not args.browser,
        host=args.host,
        port=args.port,
        demo=args.demo,
        pdf_viewer=PdfViewer(args.pdf_viewer),
    )
    return EXIT_OK
