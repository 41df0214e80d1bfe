"""The ``batchmail`` command: every batch job, headless, through the services.

Exit status: 0 when everything asked was done; 1 when some pieces were not sent (failed, waiting in the queue,
or skipped), each named in the report; 2 for bad usage or bad input.

Each command group is one module with a `register(commands)` function; a new command is one module and one line
in `COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from batchmail.cli import accounts, data, documents, queue, run, send
from batchmail.cli.common import EXIT_USAGE, Handler
from batchmail.errors import BatchMailError
from batchmail.paths import data_dir
from batchmail.wiring import open_app

COMMAND_MODULES = (run, data, send, accounts, documents, queue)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.without_services is not None:
            code: int = args.without_services(args)
            return code
        return asyncio.run(_with_app(args.handler, args))
    except BatchMailError as err:
        print(f"batchmail: {err}", file=sys.stderr)
        return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batchmail", description="Send invoices, quotes and reminders in bulk.")
    parser.add_argument("--data-dir", help="data directory (default: $BATCHMAIL_DATA_DIR, else your data folder)")
    parser.set_defaults(without_services=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


async def _with_app(handler: Handler, args: argparse.Namespace) -> int:
    app = await asyncio.to_thread(open_app, data_dir(args.data_dir))
    try:
        return await handler(app, args)
    finally:
        await asyncio.to_thread(app.close)
