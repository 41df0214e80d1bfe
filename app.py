"""The entry point of BatchMail, the desktop app's and the `batchmail` command's: the command line's own parser
and commands, with `run` opening the UI (the headless commands never import it). With no command, `run` is
implied: `python app.py --browser` is `batchmail run --browser`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence

from batchmail.cli import command_names
from batchmail.cli import main as cli_main
from batchmail.cli.common import EXIT_OK
from batchmail.cli.run import RunOptions

STORAGE_FOLDER = "ui-state"  # NiceGUI's own storage, inside the data directory


def main(argv: Sequence[str] | None = None) -> int:
    """`batchmail [--data-dir DIR] [COMMAND ...]`; exits with the command's status."""
    return cli_main(with_default_command(list(sys.argv[1:] if argv is None else argv)), runner=open_ui)


def open_ui(options: RunOptions) -> int:
    """Serve the UI on the options' data directory until it is closed."""
    # NiceGUI and pywebview write their files (the storage of ui-state, downloads) with the default mode: in the
    # UI's process whatever is made is its owner's alone, as the data directory's own files are.
    os.umask(0o077)
    os.environ.setdefault("NICEGUI_STORAGE_PATH", str(options.data_dir / STORAGE_FOLDER))
    # Imported late: NiceGUI reads NICEGUI_STORAGE_PATH at import, and the headless commands never need it.
    from ui.app import run_app  # noqa: PLC0415
    from ui.pdf_view import PdfViewer  # noqa: PLC0415

    run_app(
        options.data_dir,
        native=options.native,
        host=options.host,
        port=options.port,
        demo=options.demo,
        pdf_viewer=PdfViewer(options.pdf_viewer),
    )
    return EXIT_OK


def with_default_command(argv: list[str]) -> list[str]:
    """`argv` with `run` inserted after the global options when what follows them is not one of the commands."""
    start = 0
    while start < len(argv) and argv[start].startswith("--data-dir"):
        start += 1 if "=" in argv[start] else 2
    rest = argv[start:]
    if rest and (rest[0] in command_names() or rest[0] in ("-h", "--help")):
        return argv
    return [*argv[:start], "run", *rest]


# Only "__main__": NiceGUI's native window runs in a spawned process that imports this file as "__mp_main__",
# and running main() there would open the data directory a second time.
if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
