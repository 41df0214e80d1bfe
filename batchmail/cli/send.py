"""batchmail send: email the pieces matching the filters."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from batchmail.cli.common import EXIT_INCOMPLETE, EXIT_OK, add_filters, checked_criteria, emit, mode
from batchmail.errors import InvalidInput
from batchmail.sending.attachments import load_attachment
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import Grouping
from batchmail.sending.preview import Preview
from batchmail.sending.report import BatchReport
from batchmail.services.send import SendPlan
from batchmail.wiring import App


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser("send", help="email the pieces matching the filters, one mail per piece")
    add_filters(send)
    send.add_argument("--dry-run", action="store_true", help="show what would be sent; change nothing")
    add_send_options(send)
    send.add_argument("--json", action="store_true", help="print one JSON document")
    send.set_defaults(handler=send_pieces)


def add_send_options(parser: argparse.ArgumentParser, *, templates: bool = True) -> None:
    """How the mails go: the options of `send`, shared by the commands that send (generate --send, remind).
    Without `templates`, the command's mails have their own templates and go one per contact (reminders)."""
    parser.add_argument("--account", help="the sending account (default: the default one, else the test mailbox)")
    parser.add_argument("--sender", metavar="ADDRESS", help="who the mails are from: one of your sender addresses")
    parser.add_argument(
        "--single-recipient", metavar="ADDRESS", help="every mail to this one address instead of each contact's"
    )
    parser.add_argument(
        "--resend", action="store_true", help="send again mails whose same content already went to the same address"
    )
    if templates:
        parser.add_argument(
            "--group-by-recipient", action="store_true", help="one mail per contact with all its pieces"
        )
        parser.add_argument("--template", help="the saved message template to use for every mail")
    parser.add_argument("--zip", action="store_true", help="the PDFs of each mail in one ZIP (grouped mails)")
    parser.add_argument("--attach", action="append", default=[], type=Path, metavar="FILE", help="add to every mail")
    parser.add_argument("--read-receipt", action="store_true", help="ask for a read receipt")
    parser.add_argument("--delivery-receipt", action="store_true", help="ask the servers for a delivery receipt")
    parser.add_argument("--priority", choices=["normal", "high"], default="normal")
    parser.add_argument("--cc-sender", action="store_true", help="a copy of every mail to the sender")
    parser.add_argument(
        "--no-auto-bcc", action="store_true", help="no blind copy to the company's archive address for this batch"
    )


async def send_pieces(app: App, args: argparse.Namespace) -> int:
    piece_ids = await app.workspace.matching_ids(await checked_criteria(app, args))
    if not piece_ids:
        emit({"messages": [], "skipped": [], "complete": True}, "No piece matches: nothing to send.", as_json=args.json)
        return EXIT_OK
    if args.dry_run:
        preview = await app.send.preview(await send_plan(app, piece_ids, args))
        emit(preview.to_json(), _preview_text(preview), as_json=args.json)
        return EXIT_OK if not preview.skipped and not preview.held else EXIT_INCOMPLETE
    report = await send_now(app, piece_ids, args)
    emit(report.to_json(), report_text(report), as_json=args.json)
    return EXIT_OK if report.complete else EXIT_INCOMPLETE


async def send_plan(app: App, piece_ids: list[int], args: argparse.Namespace) -> SendPlan:
    """The send of `piece_ids` as the send options of `args` describe it."""
    largest = (await app.accounts.get(args.account)).max_message_bytes
    attachments = [await asyncio.to_thread(load_attachment, path, max_bytes=largest) for path in args.attach]
    return await app.send.plan(piece_ids, send_choices(args), account_name=args.account, attachments=attachments)


async def send_now(app: App, piece_ids: list[int], args: argparse.Namespace) -> BatchReport:
    return await app.send.send(await send_plan(app, piece_ids, args))


def send_choices(args: argparse.Namespace) -> SendChoices:
    """The batch's choices as the command line gives them (the remembered choices of the app play no part: what
    the command says is what it does)."""
    grouped = getattr(args, "group_by_recipient", True)  # the commands without the option group per contact
    if args.zip and not grouped:
        raise InvalidInput("--zip goes with --group-by-recipient: one ZIP per recipient")
    return SendChoices(
        sender=args.sender or "",
        grouping=Grouping.per_recipient if grouped else Grouping.per_piece,
        zip_attachments=args.zip,
        single_recipient=args.single_recipient or "",
        template=getattr(args, "template", None) or "",
        read_receipt=args.read_receipt,
        delivery_receipt=args.delivery_receipt,
        high_priority=args.priority == "high",
        cc_sender=args.cc_sender,
        auto_bcc=not args.no_auto_bcc,
        resend=args.resend,
    )


def _preview_text(preview: Preview) -> str:
    lines = [f"Dry run through {mode(preview.test_mode, preview.account)}: nothing is sent, nothing changes."]
    for m in preview.messages:
        copies = [f"{name} {', '.join(addresses)}" for name, addresses in (("cc", m.cc), ("bcc", m.bcc)) if addresses]
        also = f" ({'; '.join(copies)})" if copies else ""
        lines.append(f"  would send {', '.join(m.numbers)} to {', '.join(m.to)}{also}: {m.subject}")
        lines += [f"    accepted warning: {w.detail}" for w in m.warnings]
    lines += [f"  would skip {s.number} ({s.contact}): {s.reason}" for s in preview.skipped]
    lines += [f"  would hold back {h.number} ({h.contact}): {h.reason}" for h in preview.held]
    lines.append(
        f"{len(preview.messages)} message(s), {preview.total_size / 1_000_000:.1f} MB in all, "
        f"{len(preview.skipped) + len(preview.held)} skipped"
    )
    return "\n".join(lines)


def report_text(report: BatchReport) -> str:
    """The report for a person: one line per mail, what was left out, why it stopped, and what comes next."""
    lines = [f"Batch {report.batch_id} through {mode(report.test_mode, report.account)}"]
    for row in report.rows.values():
        when = f", next try {row.next_try:%Y-%m-%d %H:%M}" if row.next_try else ""
        detail = f": {row.detail}" if row.detail else ""
        lines.append(f"  {row.state.value:<13} {', '.join(row.numbers)} -> {', '.join(row.recipients)}{detail}{when}")
    lines += [f"  skipped       {s.number} ({s.contact}): {s.reason}" for s in report.skipped]
    lines += [f"  held back     {h.number} ({h.contact}): {h.reason}" for h in report.held]
    if report.stopped:
        lines.append(f"  {report.stopped}")
    counts = report.counts
    waiting = counts["retry_waiting"] + counts["queued"]
    lines.append(
        f"{counts['sent']} sent, {waiting} waiting, {counts['failed']} failed, "
        f"{counts['uncertain']} uncertain, {counts['skipped']} skipped"
    )
    if waiting and report.next_retry:
        lines.append(f"The waiting mails are retried from {report.next_retry:%Y-%m-%d %H:%M} (batchmail queue list).")
    if counts["uncertain"]:
        lines.append("Uncertain mails may have arrived: check, then retry or drop them (batchmail queue list).")
    return "\n".join(lines)
