"""The queue: mails not yet delivered (waiting, failed, uncertain), to retry, re-address or drop; resuming what
was queued or is due at start; purging old sent mails.

`version` lets a screen notice that the queue moved without reading it: it changes with every change this service
makes and with every step of the deliveries it runs (the app's rounds, retries). A send started elsewhere in the
process (the Send tab) is not seen here: its screen follows that job.
"""

from __future__ import annotations

import asyncio
import builtins
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from batchmail.domain.addresses import parse_address
from batchmail.errors import InvalidInput
from batchmail.sending.accounts import Account
from batchmail.sending.message import make_message_id
from batchmail.sending.outbox import UNSETTLED_STATES, OutboxEntry, OutboxState, local_now, mime_content_hash, readdress
from batchmail.sending.report import BatchReport, Progress
from batchmail.services.accounts import AccountService
from batchmail.services.delivery import Deliveries
from batchmail.services.repositories import ContactRepository, OutboxRepository, PieceRepository


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueItem:
    """One mail of the queue, the numbers of its pieces, its contact's name and what its pieces total."""

    entry: OutboxEntry
    numbers: tuple[str, ...]
    contact: str  # "" for a mail to no known contact
    total_incl_tax: Decimal | None  # of the pieces still in the store; None when none is


class QueueService:
    def __init__(
        self,
        *,
        outbox: OutboxRepository,
        pieces: PieceRepository,
        contacts: ContactRepository,
        accounts: AccountService,
        deliveries: Deliveries,
    ) -> None:
        self._outbox = outbox
        self._pieces = pieces
        self._contacts = contacts
        self._accounts = accounts
        self._deliveries = deliveries
        self._version = 0

    @property
    def version(self) -> int:
        """Changes whenever this service changed the queue or a delivery it runs moved on (see the module's doc)."""
        return self._version

    async def list(self, states: Iterable[OutboxState] | None = None) -> list[QueueItem]:
        """The mails in `states` (default: every one not sent), oldest first, each with its reason and next try."""
        wanted = tuple(states or (*UNSETTLED_STATES, OutboxState.sending))

        def run() -> list[QueueItem]:
            entries = self._outbox.in_state(*wanted)
            if not entries:
                return []
            summaries = self._pieces.summaries_of(i for entry in entries for i in entry.piece_ids)
            contacts = self._contacts.by_id()
            items = []
            for entry in entries:
                pieces = [summaries[i] for i in entry.piece_ids if i in summaries]
                contact = contacts.get(entry.contact_id) if entry.contact_id is not None else None
                items.append(
                    QueueItem(
                        entry=entry,
                        numbers=tuple(summaries[i].number if i in summaries else "?" for i in entry.piece_ids),
                        contact=contact.name if contact else "",
                        total_incl_tax=sum((p.total_incl_tax for p in pieces), Decimal(0)) if pieces else None,
                    )
                )
            return items

        return await asyncio.to_thread(run)

    async def retry(
        self, entry_id: int, *, uncertain: bool = False, on_progress: Progress | None = None
    ) -> BatchReport:
        """Send a waiting, failed or queued mail now, through its own account. An uncertain one (it may have
        arrived) only with `uncertain=True`, the user having decided to send it again."""
        [report] = await self.retry_many([entry_id], uncertain=uncertain, on_progress=on_progress)
        return report

    async def retry_many(
        self, entry_ids: Iterable[int], *, uncertain: bool = False, on_progress: Progress | None = None
    ) -> builtins.list[BatchReport]:
        """`retry` for several mails, account by account: one report per account, in the order the mails come.
        Every mail is checked first: if one cannot be retried (sent meanwhile, being sent, dropped, uncertain
        without `uncertain=True`), InvalidInput or NotFound names it and none is touched."""
        with self._deliveries.holding(entry_ids) as held:
            entries = await self._get_all_unsettled(held)
            if not uncertain:
                for entry in entries:
                    if entry.state is OutboxState.uncertain:
                        raise InvalidInput(
                            f"outbox entry {entry.id} is uncertain: it may already have arrived "
                            f"({entry.last_error}). Retry it only if you know it did not (--uncertain)"
                        )
            groups = await self._by_account(entries)
            for entry in entries:
                entry.state, entry.attempts, entry.next_try = OutboxState.queued, 0, None
            await asyncio.to_thread(self._outbox.save_many, entries)
            self._version += 1
        # Queued now: if the background round sends them first, this delivery finds them sent and leaves them.
        return await self._deliver(groups, on_progress)

    async def resume(self, *, on_progress: Progress | None = None) -> builtins.list[BatchReport]:
        """Send what is queued or due for a retry, account by account; first finish recording mails that left
        before the app stopped. Called at start and by `batchmail queue retry --due`. One report per account."""
        await self._deliveries.record_unrecorded()
        due = await asyncio.to_thread(self._outbox.pending)
        mine = [entry for entry in due if not self._deliveries.is_claimed(entry.id)]
        return await self._deliver(await self._by_account(mine), on_progress)

    async def drop(self, entry_id: int) -> None:
        """Remove a mail that was not sent from the queue, with its message file."""
        await self.drop_many([entry_id])

    async def drop_many(self, entry_ids: Iterable[int]) -> int:
        """Remove mails that were not sent from the queue, with their message files. Every mail is checked first,
        as in `retry_many`: one that cannot be dropped is named and none is. Returns how many went."""
        outbox = self._outbox
        with self._deliveries.holding(entry_ids) as held:
            entries = await self._get_all_unsettled(held)

            def run() -> None:
                for entry in entries:
                    outbox.drop(entry.id)

            try:
                await asyncio.to_thread(run)
            finally:
                self._version += 1
        return len(entries)

    async def change_address(self, entry_id: int, new_address: str) -> OutboxEntry:
        """Send a mail that was not sent to `new_address` instead of its To: the message gets the new To, a new
        Message-ID and content hash, and waits in the queue (`retry` sends it now)."""
        address = parse_address(new_address, field="new address")

        def run(entry: OutboxEntry) -> OutboxEntry:
            domain = entry.sender.rpartition("@")[2] or "batchmail.invalid"
            message_id = make_message_id(domain)
            mime, old_to = readdress(self._outbox.load_mime(entry.id), address, message_id=message_id, date=local_now())
            replaced = {a.casefold() for a in old_to}
            others = [
                r for r in entry.recipients if r.casefold() not in replaced and r.casefold() != address.casefold()
            ]
            entry.recipients = [address, *others]
            entry.message_id, entry.size = message_id, len(mime)
            entry.content_hash = mime_content_hash(mime, entry.recipients)
            entry.state, entry.attempts, entry.next_try = OutboxState.queued, 0, None
            entry.last_error, entry.last_code = f"address changed from {', '.join(old_to)} to {address}", None
            self._outbox.replace_message(entry, mime)
            return entry

        with self._deliveries.holding([entry_id]):
            changed = await asyncio.to_thread(run, await self._get_unsettled(entry_id))
        self._version += 1
        return changed

    async def purge(self, older_than: timedelta) -> int:
        """Remove the sent mails older than `older_than` from the outbox, with their message files. Returns how
        many. The contacts' history keeps its records."""
        if older_than < timedelta(0):
            raise InvalidInput(f"purge: {older_than.days} days (expected 0 or more)")
        removed = await asyncio.to_thread(self._outbox.purge_sent, local_now() - older_than)
        self._version += 1
        return removed

    async def _get_unsettled(self, entry_id: int) -> OutboxEntry:
        [entry] = await self._get_all_unsettled([entry_id])
        return entry

    async def _get_all_unsettled(self, entry_ids: Iterable[int]) -> builtins.list[OutboxEntry]:
        """The entries as stored now, each one that may be retried, re-addressed or dropped; else the first that may
        not is named. The caller holds them (`sending.holding`), so they stay as read until it is done."""
        wanted = list(dict.fromkeys(entry_ids))
        entries = await asyncio.to_thread(lambda: [self._outbox.get(i) for i in wanted])
        for entry in entries:
            if entry.state is OutboxState.sending:
                raise InvalidInput(f"outbox entry {entry.id} is being sent right now")
            if entry.state not in UNSETTLED_STATES:
                raise InvalidInput(
                    f"outbox entry {entry.id} is {entry.state.value}: only mails not sent can be changed"
                )
        return entries

    async def _by_account(
        self, entries: Sequence[OutboxEntry]
    ) -> builtins.list[tuple[Account, builtins.list[OutboxEntry]]]:
        """The entries grouped by their account, in the order they come; each account looked up once."""
        groups: dict[str, builtins.list[OutboxEntry]] = {}
        for entry in entries:
            groups.setdefault(entry.account, []).append(entry)
        return [(await self._accounts.get(name), group) for name, group in groups.items()]

    async def _deliver(
        self, groups: Sequence[tuple[Account, Sequence[OutboxEntry]]], on_progress: Progress | None
    ) -> builtins.list[BatchReport]:
        def progress(report: BatchReport) -> None:
            self._version += 1
            if on_progress is not None:
                on_progress(report)

        reports = []
        for account, entries in groups:
            report = _report(account.name, account.is_test_mailbox)
            reports.append(report)
            await self._deliveries.deliver(entries, account, report, progress)
        return reports


def _report(account: str, test_mode: bool) -> BatchReport:
    return BatchReport(batch_id=uuid.uuid4().hex[:12], account=account, test_mode=test_mode, started_at=local_now())
