"""batchmail render, statement, balance and consumption: a piece or a summary printed to a PDF file."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from batchmail.cli.common import EXIT_OK, iso_date
from batchmail.documents.pdf_files import page_count
from batchmail.files import write_atomic
from batchmail.wiring import App


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = commands.add_parser("render", help="print one piece to a PDF file")
    render.add_argument("number", help="the piece's number, e.g. FA-2026-00042")
    _output(render)
    render.set_defaults(handler=render_piece)

    statement = commands.add_parser(
        "statement", help="statement of invoices of a contact and its company's other contacts"
    )
    statement.add_argument("--contact", type=int, required=True, help="contact id")
    statement.add_argument("--from", dest="start", type=iso_date, help="first date (YYYY-MM-DD)")
    statement.add_argument("--to", dest="end", type=iso_date, help="last date (YYYY-MM-DD)")
    _output(statement)
    statement.set_defaults(handler=print_statement)

    balance = commands.add_parser("balance", help="aged customer balance")
    balance.add_argument("--as-of", dest="as_of", type=iso_date, help="the day it is computed on (default: today)")
    balance.add_argument(
        "--contact", type=int, action="append", dest="contacts", help="only this contact id (repeatable)"
    )
    _output(balance)
    balance.set_defaults(handler=print_balance)

    consumption = commands.add_parser("consumption", help="quantities and amounts per product for a customer")
    consumption.add_argument("--contact", type=int, required=True, help="contact id")
    consumption.add_argument("--from", dest="start", type=iso_date, required=True, help="first date (YYYY-MM-DD)")
    consumption.add_argument("--to", dest="end", type=iso_date, required=True, help="last date (YYYY-MM-DD)")
    _output(consumption)
    consumption.set_defaults(handler=print_consumption)


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf", help="the PDF file to write")


async def render_piece(app: App, args: argparse.Namespace) -> int:
    return await _write(args.output, await app.printing.piece_pdf_by_number(args.number))


async def print_statement(app: App, args: argparse.Namespace) -> int:
    pdf = await app.printing.statement_pdf(args.contact, start=args.start, end=args.end)
    return await _write(args.output, pdf)


async def print_balance(app: App, args: argparse.Namespace) -> int:
    return await _write(args.output, await app.printing.balance_pdf(as_of=args.as_of, contact_ids=args.contacts))


async def print_consumption(app: App, args: argparse.Namespace) -> int:
    pdf = await app.printing.consumption_pdf(args.contact, start=args.start, end=args.end)
    return await _write(args.output, pdf)


async def _write(path: Path, pdf: bytes) -> int:
    """Write the file whole or not at all (temporary file, then rename), off the event loop."""
    await asyncio.to_thread(write_atomic, path, pdf)
    pages = page_count(pdf)
    print(f"Wrote {path} ({pages} page{'s' if pages != 1 else ''})")
    return EXIT_OK
