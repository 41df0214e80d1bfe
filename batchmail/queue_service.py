"""The queue: mails not yet delivered (waiting, failed, uncertain), to retry, re-address or drop; resuming what
was queued or is due at start; purging old sent mails."""

from __future__ import annotations

import asyncio
import builtins
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email

from batchmail.errors import InvalidAddress, InvalidInput
from batchmail.message import make_message_id
from batchmail.outbox import UNSETTLED_STATES, OutboxEntry, OutboxState, local_now, mime_content_hash, readdress
from batchmail.report import BatchReport
from batchmail.sending import Progress

if TYPE_CHECKING:
    from batchmail.services import Services


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueItem:
    """One mail of the queue and the numbers of its pieces."""

    entry: OutboxEntry
    numbers: tuple[str, ...]


class QueueService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def list(self, states: Iterable[OutboxState] | None = None) -> list[QueueItem]:
        """The mails in `states` (default: every one not sent), oldest first, each with its reason and next try."""
        wanted = tuple(states or (*UNSETTLED_STATES, OutboxState.sending))

        def run() -> list[QueueItem]:
            numbers = {s.id: s.number for s in self._services.stores.pieces.summaries()}
            return [
                QueueItem(entry=entry, numbers=tuple(numbers.get(i, "?") for i in entry.piece_ids))
                for entry in self._services.stores.outbox.in_state(*wanted)
            ]

        return await asyncio.to_thread(run)

    async def retry(
        self, entry_id: int, *, uncertain: bool = False, on_progress: Progress | None = None
    ) -> BatchReport:
        """Send a waiting, failed or queued mail now, through its own account. An uncertain one (it may have
        arrived) only with `uncertain=True`, the user having decided to send it again."""
        entry = await self._get_unsettled(entry_id)
        if entry.state is OutboxState.uncertain and not uncertain:
            raise InvalidInput(
                f"outbox entry {entry_id} is uncertain: it may already have arrived ({entry.last_error}). "
                "Retry it only if you know it did not (--uncertain)"
            )
        entry.state, entry.attempts, entry.next_try = OutboxState.queued, 0, None
        await asyncio.to_thread(self._services.stores.outbox.save, entry)
        account = await self._services.accounts.get(entry.account)
        report = _report(account.name, account.is_test_mailbox)
        await self._services.sending.deliver([entry], account, report, on_progress)
        return report

    async def resume(self, *, on_progress: Progress | None = None) -> builtins.list[BatchReport]:
        """Send what is queued or due for a retry, account by account; first finish recording mails that left
        before the app stopped. Called at start and by `batchmail queue retry --due`. One report per account."""
        await self._services.sending.record_unrecorded()
        due = await asyncio.to_thread(self._services.stores.outbox.pending)
        by_account: dict[str, builtins.list[OutboxEntry]] = {}
        for entry in due:
            if not self._services.sending.is_claimed(entry.id):
                by_account.setdefault(entry.account, []).append(entry)
        reports = []
        for name, entries in by_account.items():
            account = await self._services.accounts.get(name)
            report = _report(account.name, account.is_test_mailbox)
            reports.append(report)
            await self._services.sending.deliver(entries, account, report, on_progress)
        return reports

    async def drop(self, entry_id: int) -> None:
        """Remove a mail that was not sent from the queue, with its message file."""
        await self._get_unsettled(entry_id)
        await asyncio.to_thread(self._services.stores.outbox.drop, entry_id)

    async def change_address(self, entry_id: int, new_address: str) -> OutboxEntry:
        """Send a mail that was not sent to `new_address` instead of its To: the message gets the new To, a new
        Message-ID and content hash, and waits in the queue (`retry` sends it now)."""
        try:
            address = validate_email(new_address, check_deliverability=False).normalized
        except EmailNotValidError as err:
            raise InvalidAddress(f"{new_address!r} is not a valid email address ({err})") from err
        entry = await self._get_unsettled(entry_id)
        stores = self._services.stores

        def run() -> OutboxEntry:
            domain = entry.sender.rpartition("@")[2] or "batchmail.invalid"
            message_id = make_message_id(domain)
            mime, old_to = readdress(
                stores.outbox.load_mime(entry.id), address, message_id=message_id, date=local_now()
            )
            replaced = {a.casefold() for a in old_to}
            others = [
                r for r in entry.recipients if r.casefold() not in replaced and r.casefold() != address.casefold()
            ]
            entry.recipients = [address, *others]
            entry.message_id, entry.size = message_id, len(mime)
            entry.content_hash = mime_content_hash(mime, entry.recipients)
            entry.state, entry.attempts, entry.next_try = OutboxState.queued, 0, None
            entry.last_error, entry.last_code = f"address changed from {', '.join(old_to)} to {address}", None
            stores.outbox.replace_message(entry, mime)
            return entry

        return await asyncio.to_thread(run)

    async def purge(self, older_than: timedelta) -> int:
        """Remove the sent mails older than `older_than` from the outbox, with their message files. Returns how
        many. The contacts' history keeps its records."""
        if older_than < timedelta(0):
            raise InvalidInput(f"purge: {older_than.days} days (expected 0 or more)")
        return await asyncio.to_thread(self._services.stores.outbox.purge_sent, local_now() - older_than)

    async def _get_unsettled(self, entry_id: int) -> OutboxEntry:
        entry = await asyncio.to_thread(self._services.stores.outbox.get, entry_id)
        if self._services.sending.is_claimed(entry_id) or entry.state is OutboxState.sending:
            raise InvalidInput(f"outbox entry {entry_id} is being sent right now")
        if entry.state not in UNSETTLED_STATES:
            raise InvalidInput(f"outbox entry {entry_id} is {entry.state.value}: only mails not sent can be changed")
        return entry


def _report(account: str, test_mode: bool) -> BatchReport:
    return BatchReport(batch_id=uuid.uuid4().hex[:12], account=account, test_mode=test_mode, started_at=local_now())
