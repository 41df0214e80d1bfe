"""`python app.py` is `batchmail run`: the entry point of the packaged desktop app.

Arguments pass through to the `batchmail` command; with no command, `run` is implied
(`python app.py --browser` == `batchmail run --browser`).
"""

from __future__ import annotations

import multiprocessing
import sys

from batchmail.cli import main

COMMANDS = frozenset({"run", "demo", "import", "list", "send", "account"})


def with_default_command(argv: list[str]) -> list[str]:
    """`argv` with `run` inserted after the global options when it names no command."""
    if COMMANDS.intersection(argv) or {"-h", "--help"}.intersection(argv):
        return argv
    i = 0
    while i < len(argv) and argv[i].startswith("--data-dir"):
        i += 1 if "=" in argv[i] else 2
    return [*argv[:i], "run", *argv[i:]]


# Only "__main__": NiceGUI's native window runs in a spawned process that imports this file as "__mp_main__",
# and running main() there would open the data directory a second time.
if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main(with_default_command(sys.argv[1:])))
