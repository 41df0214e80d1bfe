"""The ``batchmail`` command: every batch job, headless, through the services.

Exit status: 0 when everything asked was done; 1 when some pieces were not sent (failed, waiting in the queue,
or skipped), each named in the report; 2 for bad usage or bad input.

Each command group is one module with a `register(commands)` function; a new command is one module and one line
in `COMMAND_MODULES`. `run` opens the app through the `runner` the entry point (app.py) hands in.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from batchmail.cli import accounts, data, documents, generate, queue, remind, run, send
from batchmail.cli.common import EXIT_USAGE, Handler
from batchmail.cli.run import Runner, run_options
from batchmail.errors import BatchMailError
from batchmail.paths import data_dir
from batchmail.wiring import open_app

COMMAND_MODULES = (run, data, send, generate, remind, accounts, documents, queue)


def main(argv: Sequence[str] | None = None, *, runner: Runner | None = None) -> int:
    """Run the command `argv` asks for and return the exit status. `runner` opens the app for `run`."""
    parser, _ = _parser_and_commands()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.opens_the_app:
            if runner is None:
                print("batchmail: `run` opens the app: start it with the `batchmail` command (app.py)", file=sys.stderr)
                return EXIT_USAGE
            return runner(run_options(args))
        return asyncio.run(_with_app(args.handler, args))
    except BatchMailError as err:
        print(f"batchmail: {err}", file=sys.stderr)
        return EXIT_USAGE


def command_names() -> frozenset[str]:
    """The commands `batchmail` knows, as its parser names them."""
    return frozenset(_parser_and_commands()[1].choices)


def _parser_and_commands() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(prog="batchmail", description="Send invoices, quotes and reminders in bulk.")
    parser.add_argument("--data-dir", help="data directory (default: $BATCHMAIL_DATA_DIR, else your data folder)")
    parser.set_defaults(opens_the_app=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser, commands


async def _with_app(handler: Handler, args: argparse.Namespace) -> int:
    app = await asyncio.to_thread(open_app, data_dir(args.data_dir))
    try:
        return await handler(app, args)
    finally:
        await asyncio.to_thread(app.close)
