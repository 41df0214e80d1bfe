"""batchmail run: open the app. The command line knows its options; the entry point (app.py) that knows the UI
hands in what runs it, so the headless commands never import the UI."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batchmail.paths import data_dir

PDF_VIEWERS = ("auto", "builtin", "pdfjs")


@dataclass(frozen=True, kw_only=True, slots=True)
class RunOptions:
    """How `batchmail run` was asked to open the app."""

    data_dir: Path
    native: bool  # a window of its own (pywebview) rather than a page served to the browser
    host: str
    port: int
    demo: bool  # fill an empty data directory with the demo company first
    pdf_viewer: str  # one of PDF_VIEWERS


Runner = Callable[[RunOptions], int]  # runs the app until it is closed; returns the exit status


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="open the app")
    run.add_argument("--browser", action="store_true", help="serve the page to a browser instead of a window")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--demo", action="store_true", help="fill an empty data directory with demo data first")
    run.add_argument(
        "--pdf-viewer",
        choices=PDF_VIEWERS,
        default="auto",
        help="how PDFs are previewed: the window's own viewer, or PDF.js (auto: PDF.js where the window has no "
        "viewer of its own, as on Linux)",
    )
    run.set_defaults(opens_the_app=True)


def run_options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        data_dir=data_dir(args.data_dir),
        native=not args.browser,
        host=args.host,
        port=args.port,
        demo=args.demo,
        pdf_viewer=args.pdf_viewer,
    )
