"""The ``batchmail`` command: every batch job, headless, through the services.

Exit status: 0 when everything asked was done; 1 when some pieces were not sent (failed, waiting in the queue,
or skipped), each named in the report; 2 for bad usage or bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from batchmail.accounts import SmtpSecurity
from batchmail.errors import BatchMailError, InvalidInput
from batchmail.pieces import PieceType, Side, Status, StatusGroup, parse_decimal
from batchmail.report import BatchReport
from batchmail.selection import Criteria, Period
from batchmail.services import PieceRow, Preview, Services
from batchmail.settings import data_dir

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "run":
            return _run_app(args)
        return asyncio.run(_dispatch(args))
    except BatchMailError as err:
        print(f"batchmail: {err}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batchmail", description="Send invoices, quotes and reminders in bulk.")
    parser.add_argument("--data-dir", help="data directory (default: $BATCHMAIL_DATA_DIR, else your data folder)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="open the app")
    run.add_argument("--browser", action="store_true", help="serve the page to a browser instead of a window")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--demo", action="store_true", help="fill an empty data directory with demo data first")

    demo = commands.add_parser("demo", help="fill an empty data directory with a demo company")
    demo.add_argument("--seed", type=int, default=1)

    imp = commands.add_parser("import", help="import a CSV file, all or nothing")
    imp.add_argument("kind", choices=["contacts", "pieces", "payments"])
    imp.add_argument("file", type=Path)

    listing = commands.add_parser("list", help="list the pieces matching the filters")
    _add_filters(listing)
    listing.add_argument("--json", action="store_true", help="print one JSON document")

    send = commands.add_parser("send", help="email the pieces matching the filters, one mail per piece")
    _add_filters(send)
    send.add_argument("--account", help="the sending account (default: the default one, else the test mailbox)")
    send.add_argument("--dry-run", action="store_true", help="show what would be sent; change nothing")
    send.add_argument("--json", action="store_true", help="print one JSON document")

    account = commands.add_parser("account", help="sending accounts")
    account_commands = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    smtp = account_commands.add_parser("add-smtp", help="add an SMTP account and make it the default")
    smtp.add_argument("--name", required=True)
    smtp.add_argument("--host", required=True)
    smtp.add_argument("--port", type=int, required=True)
    smtp.add_argument("--security", choices=[s.value for s in SmtpSecurity], required=True)
    smtp.add_argument("--user", default="")
    smtp.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    smtp.add_argument("--from", dest="from_address", default="", help="sender address for this account")
    smtp.add_argument("--ca-file", default="", help="PEM file of the certificate authority to trust")
    return parser


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--side", choices=[s.value for s in Side])
    parser.add_argument("--type", choices=[t.value for t in PieceType], action="append", dest="types")
    parser.add_argument("--status", help="status(es) or status group, comma-separated")
    parser.add_argument("--period", help="a year (2026) or a month (2026-10)")
    parser.add_argument("--from", dest="start", type=_iso_date, help="first date (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", type=_iso_date, help="last date (YYYY-MM-DD)")
    parser.add_argument("--contact", type=int, action="append", dest="contacts", help="contact id")
    parser.add_argument("--min-amount", type=_amount)
    parser.add_argument("--max-amount", type=_amount)
    parser.add_argument("--number", action="append", dest="numbers", help="piece number (repeatable)")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from err


def _amount(text: str) -> Decimal:
    try:
        return parse_decimal(text, "amount")
    except InvalidInput as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def criteria_from(args: argparse.Namespace) -> Criteria:
    statuses: set[Status] = set()
    group = None
    for word in filter(None, (args.status or "").split(",")):
        word = word.strip()
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
    if args.start:
        criteria.start = args.start
    if args.end:
        criteria.end = args.end
    return criteria


async def _dispatch(args: argparse.Namespace) -> int:
    services = await asyncio.to_thread(Services.open, data_dir(args.data_dir))
    try:
        if args.command == "account":
            return await _add_smtp(services, args)
        if args.command == "demo":
            contacts, pieces = await services.load_demo(seed=args.seed)
            print(f"Demo data: {contacts} contacts and {pieces} pieces in {services.data_dir}")
            return EXIT_OK
        if args.command == "import":
            count = await services.import_csv(args.kind, args.file)
            print(f"Imported {count} {args.kind} from {args.file}")
            return EXIT_OK
        rows = await services.find_pieces(criteria_from(args))
        if args.command == "list":
            _print_rows(rows, as_json=args.json)
            return EXIT_OK
        return await _send(services, args, [row.summary.id for row in rows])
    finally:
        await asyncio.to_thread(services.close)


async def _add_smtp(services: Services, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    account = await services.add_smtp_account(
        name=args.name,
        host=args.host,
        port=args.port,
        security=SmtpSecurity(args.security),
        username=args.user,
        password=password,
        from_address=args.from_address,
        ca_file=args.ca_file,
    )
    print(
        f"Account {account.name!r} added ({account.host}:{account.port}, {account.security.value}); it is the default"
    )
    if services.credentials.warning and password is not None:
        print(f"warning: {services.credentials.warning}", file=sys.stderr)
    return EXIT_OK


async def _send(services: Services, args: argparse.Namespace, piece_ids: list[int]) -> int:
    if not piece_ids:
        _emit({"messages": [], "skipped": [], "complete": True}, "No piece matches: nothing to send.", args.json)
        return EXIT_OK
    if args.dry_run:
        preview = await services.preview(piece_ids, account_name=args.account)
        _emit(preview.to_json(), _preview_text(preview), args.json)
        return EXIT_OK if not preview.skipped else EXIT_INCOMPLETE
    report = await services.send(piece_ids, account_name=args.account)
    _emit(report.to_json(), _report_text(report), args.json)
    return EXIT_OK if report.complete else EXIT_INCOMPLETE


def _emit(document: dict[str, Any], text: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(text)


def _print_rows(rows: list[PieceRow], *, as_json: bool) -> None:
    if as_json:
        document = [
            {
                "id": r.summary.id,
                "number": r.summary.number,
                "type": r.summary.type.value,
                "date": r.summary.date.isoformat(),
                "due_date": r.summary.due_date.isoformat() if r.summary.due_date else None,
                "status": r.summary.status.value,
                "contact_id": r.summary.contact_id,
                "contact": r.contact_name,
                "company": r.company,
                "total_incl_tax": str(r.summary.total_incl_tax),
                "balance": str(r.summary.balance),
                "last_sent": r.summary.last_sent.isoformat() if r.summary.last_sent else None,
            }
            for r in rows
        ]
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    for r in rows:
        s = r.summary
        print(
            f"{s.number:<15} {s.date.isoformat()}  {s.status.value:<14} {s.total_incl_tax:>12}  "
            f"{s.balance:>12}  {r.contact_name} ({r.company})"
        )
    print(f"{len(rows)} piece(s)")


def _mode(test_mode: bool, account: str) -> str:
    return "TEST MODE: the test mailbox keeps the mails as .eml files, nothing leaves" if test_mode else account


def _preview_text(preview: Preview) -> str:
    lines = [f"Dry run through {_mode(preview.test_mode, preview.account)}: nothing is sent, nothing changes."]
    lines += [
        f"  would send {', '.join(m.numbers)} to {', '.join(m.recipients)}: {m.subject}" for m in preview.messages
    ]
    lines += [f"  would skip {s.number} ({s.contact}): {s.reason}" for s in preview.skipped]
    lines.append(f"{len(preview.messages)} message(s), {len(preview.skipped)} skipped")
    return "\n".join(lines)


def _report_text(report: BatchReport) -> str:
    lines = [f"Batch {report.batch_id} through {_mode(report.test_mode, report.account)}"]
    for row in report.rows.values():
        when = f", next try {row.next_try:%Y-%m-%d %H:%M}" if row.next_try else ""
        detail = f": {row.detail}" if row.detail else ""
        lines.append(f"  {row.state.value:<13} {', '.join(row.numbers)} -> {', '.join(row.recipients)}{detail}{when}")
    lines += [f"  skipped       {s.number} ({s.contact}): {s.reason}" for s in report.skipped]
    if report.stopped:
        lines.append(f"  {report.stopped}")
    counts = report.counts
    lines.append(
        f"{counts['sent']} sent, {counts['retry_waiting'] + counts['queued']} waiting, {counts['failed']} failed, "
        f"{counts['uncertain']} uncertain, {counts['skipped']} skipped"
    )
    return "\n".join(lines)


def _run_app(args: argparse.Namespace) -> int:
    root = data_dir(args.data_dir)
    os.environ.setdefault("NICEGUI_STORAGE_PATH", str(root / "ui-state"))
    from ui.app import run_app  # imported late: NiceGUI reads NICEGUI_STORAGE_PATH at import

    run_app(root, native=not args.browser, host=args.host, port=args.port, demo=args.demo)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
