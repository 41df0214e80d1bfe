"""What the command modules share: exit codes, the piece filters, printing JSON or text."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from batchmail.domain.money import parse_decimal
from batchmail.domain.pieces import PieceType, Side, Status, StatusGroup
from batchmail.domain.selection import Criteria, Period
from batchmail.errors import InvalidInput

if TYPE_CHECKING:
    from batchmail.wiring import App

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2

Handler = Callable[["App", argparse.Namespace], Awaitable[int]]


def add_filters(parser: argparse.ArgumentParser) -> None:
    """The piece filters."""
    parser.add_argument("--side", choices=[s.value for s in Side])
    parser.add_argument("--type", choices=[t.value for t in PieceType], action="append", dest="types")
    parser.add_argument("--status", help="status(es) or status group, comma-separated")
    parser.add_argument("--period", help="a year (2026) or a month (2026-10)")
    parser.add_argument("--from", dest="start", type=iso_date, help="first date (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", type=iso_date, help="last date (YYYY-MM-DD)")
    parser.add_argument("--contact", type=int, action="append", dest="contacts", help="contact id")
    parser.add_argument("--min-amount", type=amount)
    parser.add_argument("--max-amount", type=amount)
    parser.add_argument("--number", action="append", dest="numbers", help="piece number (repeatable)")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from err


def amount(text: str) -> Decimal:
    try:
        return parse_decimal(text, "amount")
    except InvalidInput as err:
        raise argparse.ArgumentTypeError(str(err)) from err


async def checked_criteria(app: App, args: argparse.Namespace) -> Criteria:
    """The filters' selection, refused when a --number names no piece: a typo must not read as "nothing to do"."""
    criteria = _criteria_from(args)
    unknown = await app.workspace.unknown_numbers(criteria.numbers)
    if unknown:
        raise InvalidInput(f"--number: no piece is numbered {', '.join(unknown)}")
    return criteria


def _criteria_from(args: argparse.Namespace) -> Criteria:
    """The selection the filter options describe."""
    statuses: set[Status] = set()
    group = None
    for word in filter(None, (w.strip() for w in (args.status or "").split(","))):
        if word in StatusGroup.__members__:
            group = StatusGroup(word)
        elif word in Status.__members__:
            statuses.add(Status(word))
        else:
            known = ", ".join([*Status.__members__, *StatusGroup.__members__])
            raise InvalidInput(f"--status: {word!r} is not a status or status group ({known})")
    criteria = Criteria(
        side=Side(args.side) if args.side else None,
        types=frozenset(PieceType(t) for t in args.types or ()),
        statuses=frozenset(statuses),
        group=group,
        contact_ids=frozenset(args.contacts or ()),
        min_amount=args.min_amount,
        max_amount=args.max_amount,
        numbers=frozenset(args.numbers or ()),
    )
    if args.period:
        criteria.with_period(Period.parse(args.period))
    if args.start:  # --from and --to narrow the period on their side
        criteria.start = args.start
    if args.end:
        criteria.end = args.end
    return criteria


def emit(document: Any, text: str, *, as_json: bool) -> None:
    """One JSON document on stdout with --json, else the text for a person."""
    if as_json:
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(text)


def mode(test_mode: bool, account: str) -> str:
    return "TEST MODE: the test mailbox keeps the mails as .eml files, nothing leaves" if test_mode else account
