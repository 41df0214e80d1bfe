"""batchmail queue: the mails not yet delivered, to list, retry, re-address, drop; old sent mails to purge."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from batchmail.cli.common import EXIT_INCOMPLETE, EXIT_OK, emit
from batchmail.cli.send import report_text
from batchmail.errors import InvalidInput
from batchmail.sending.outbox import OutboxState
from batchmail.sending.report import BatchReport
from batchmail.services.queue import QueueItem
from batchmail.wiring import App


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queue = commands.add_parser("queue", help="mails not yet delivered: waiting, failed, uncertain")
    actions = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list the queue (default: every mail not sent)")
    listing.add_argument("--state", choices=[s.value for s in OutboxState], action="append", dest="states")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=list_queue)

    retry = actions.add_parser("retry", help="send a mail of the queue now, or every one that is due (--due)")
    retry.add_argument("id", type=int, nargs="?", help="the mail's id (from queue list)")
    retry.add_argument("--due", action="store_true", help="send everything queued or due for a retry")
    retry.add_argument("--uncertain", action="store_true", help="send an uncertain mail again: it may have arrived")
    retry.add_argument("--json", action="store_true", help="print one JSON document")
    retry.set_defaults(handler=retry_queue)

    address = actions.add_parser("address", help="send a mail of the queue to another address")
    address.add_argument("id", type=int)
    address.add_argument("address")
    address.set_defaults(handler=change_address)

    drop = actions.add_parser("drop", help="remove a mail that was not sent from the queue")
    drop.add_argument("id", type=int)
    drop.set_defaults(handler=drop_entry)

    purge = actions.add_parser("purge", help="remove sent mails older than some days (the history keeps them)")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.set_defaults(handler=purge_sent)


async def list_queue(app: App, args: argparse.Namespace) -> int:
    states = [OutboxState(s) for s in args.states] if args.states else None
    items = await app.queue.list(states)
    lines = [_item_text(item) for item in items] or ["The queue is empty."]
    emit({"entries": [_item_json(item) for item in items]}, "\n".join(lines), as_json=args.json)
    return EXIT_OK


async def retry_queue(app: App, args: argparse.Namespace) -> int:
    if args.due == (args.id is not None):
        raise InvalidInput("queue retry: give a mail's id or --due, not both")
    if args.due:
        reports = await app.queue.resume()
    else:
        reports = [await app.queue.retry(args.id, uncertain=args.uncertain)]
    text = "\n".join(report_text(r) for r in reports) or "Nothing is due."
    emit({"reports": [r.to_json() for r in reports]}, text, as_json=args.json)
    return EXIT_OK if all(_all_sent(r) for r in reports) else EXIT_INCOMPLETE


async def change_address(app: App, args: argparse.Namespace) -> int:
    entry = await app.queue.change_address(args.id, args.address)
    print(f"Mail {entry.id} now goes to {', '.join(entry.recipients)}; send it with: batchmail queue retry {entry.id}")
    return EXIT_OK


async def drop_entry(app: App, args: argparse.Namespace) -> int:
    await app.queue.drop(args.id)
    print(f"Mail {args.id} removed from the queue.")
    return EXIT_OK


async def purge_sent(app: App, args: argparse.Namespace) -> int:
    removed = await app.queue.purge(timedelta(days=args.older_than))
    print(f"{removed} sent mail(s) older than {args.older_than} days removed from the outbox.")
    return EXIT_OK


def _all_sent(report: BatchReport) -> bool:
    return all(row.state is OutboxState.sent for row in report.rows.values())


def _item_text(item: QueueItem) -> str:
    entry = item.entry
    when = f" (next try {entry.next_try:%Y-%m-%d %H:%M})" if entry.next_try else ""
    reason = f": {entry.last_error}" if entry.last_error else ""
    return (
        f"{entry.id:>6}  {entry.state.value:<13} {', '.join(item.numbers)} -> {', '.join(entry.recipients)}"
        f"{reason}{when}"
    )


def _item_json(item: QueueItem) -> dict[str, Any]:
    entry = item.entry
    return {
        "id": entry.id,
        "state": entry.state.value,
        "account": entry.account,
        "pieces": list(item.numbers),
        "recipients": list(entry.recipients),
        "subject": entry.subject,
        "message_id": entry.message_id,
        "attempts": entry.attempts,
        "next_try": entry.next_try.isoformat() if entry.next_try else None,
        "reason": entry.last_error,
        "code": entry.last_code,
        "created_at": entry.created_at.isoformat(),
    }
