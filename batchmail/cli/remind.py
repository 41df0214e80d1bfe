"""batchmail remind and statements: payment reminders on the overdue invoices, and statements of invoices, one mail
per contact, with the send options of `send`."""

from __future__ import annotations

import argparse
import asyncio

from batchmail.cli.common import EXIT_INCOMPLETE, EXIT_OK, emit, iso_date
from batchmail.cli.send import add_send_options, report_text, send_choices
from batchmail.domain.reminders import ReminderRequest
from batchmail.errors import InvalidInput
from batchmail.sending.attachments import load_attachment
from batchmail.sending.message import Attachment
from batchmail.services.reminder_reports import ReminderPreview, ReminderReport
from batchmail.wiring import App


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remind = commands.add_parser("remind", help="payment reminders on overdue invoices, one mail per contact")
    remind.add_argument("--as-of", dest="as_of", type=iso_date, help="the day of the reminders (default: today)")
    remind.add_argument("--min-days-overdue", type=int, default=1, metavar="N", help="only invoices N days late")
    remind.add_argument("--contact", type=int, action="append", dest="contacts", help="contact id (repeatable)")
    remind.add_argument("--level", type=int, help="only the invoices due for this dunning level")
    _common(remind)
    remind.set_defaults(handler=send_reminders)

    statements = commands.add_parser("statements", help="a statement of invoices to each contact, by mail")
    statements.add_argument("--contact", type=int, action="append", dest="contacts", help="contact id (repeatable)")
    statements.add_argument("--from", dest="start", type=iso_date, required=True, help="first date (YYYY-MM-DD)")
    statements.add_argument("--to", dest="end", type=iso_date, required=True, help="last date (YYYY-MM-DD)")
    _common(statements)
    statements.set_defaults(handler=send_statements)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="show what would be sent; change nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    add_send_options(parser, templates=False)


async def send_reminders(app: App, args: argparse.Namespace) -> int:
    if args.min_days_overdue < 1:
        raise InvalidInput(f"--min-days-overdue: {args.min_days_overdue} (expected 1 or more)")
    levels = len((await app.reminders.settings()).levels)
    if args.level is not None and not 1 <= args.level <= levels:
        raise InvalidInput(f"--level: {args.level} is not a dunning level (1 to {levels})")
    await _known_contacts(app, args.contacts or [])
    request = ReminderRequest(
        as_of=args.as_of or app.today(),
        min_days_overdue=args.min_days_overdue,
        contact_ids=frozenset(args.contacts or ()),
        level=args.level,
    )
    if args.dry_run:
        preview = await app.reminders.preview(request)
        emit(preview.to_json(), preview_text(preview, "reminder"), as_json=args.json)
        return EXIT_OK
    attachments = await _attachments(app, args)
    report = await app.reminders.send(request, send_choices(args), account_name=args.account, attachments=attachments)
    emit(report.to_json(), sent_text(report, "reminder"), as_json=args.json)
    return EXIT_OK if report.complete else EXIT_INCOMPLETE


async def send_statements(app: App, args: argparse.Namespace) -> int:
    contacts = args.contacts or []
    if args.dry_run:
        preview = await app.reminders.preview_statements(contacts, start=args.start, end=args.end)
        emit(preview.to_json(), preview_text(preview, "statement"), as_json=args.json)
        return EXIT_OK
    report = await app.reminders.send_statements(
        contacts,
        send_choices(args),
        start=args.start,
        end=args.end,
        account_name=args.account,
        attachments=await _attachments(app, args),
    )
    emit(report.to_json(), sent_text(report, "statement"), as_json=args.json)
    return EXIT_OK if report.complete else EXIT_INCOMPLETE


async def _known_contacts(app: App, contact_ids: list[int]) -> None:
    found = {contact.id for contact in await app.workspace.contacts_by_id(contact_ids)}
    unknown = [str(i) for i in contact_ids if i not in found]
    if unknown:
        raise InvalidInput(f"--contact: no contact has the id {', '.join(unknown)}")


async def _attachments(app: App, args: argparse.Namespace) -> list[Attachment]:
    largest = (await app.accounts.get(args.account)).max_message_bytes
    return [await asyncio.to_thread(load_attachment, path, max_bytes=largest) for path in args.attach]


def preview_text(preview: ReminderPreview, kind: str) -> str:
    lines = [f"Dry run for {preview.as_of:%Y-%m-%d}: nothing is sent, nothing changes."]
    for mail in preview.mails:
        level = f"level {mail.level} " if mail.level else ""
        to = f"{mail.problem}: it will be skipped" if mail.problem else mail.email
        lines.append(
            f"  would send a {level}{kind} to {mail.contact} ({to}): {', '.join(mail.numbers)}, {mail.total_due} due"
        )
    lines += [f"  not reminded {left.number} ({left.contact}): {left.reason}" for left in preview.left_out]
    lines.append(f"{len(preview.mails)} mail(s), {len(preview.left_out)} invoice(s) left out")
    return "\n".join(lines)


def sent_text(report: ReminderReport, kind: str) -> str:
    lines = [f"{kind.capitalize()}s of {report.preview.as_of:%Y-%m-%d}"]
    lines += [f"  dropped {d.number} ({d.contact}): {d.reason}" for d in report.dropped]
    lines += [f"  not sent to {contact}: none of its invoices is still due" for contact in report.unsent]
    lines += [report_text(send) for send in report.sends]
    if not report.sends:
        lines.append(f"No {kind} to send.")
    return "\n".join(lines)
