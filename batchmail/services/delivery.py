"""Delivering outbox entries: what a send and the queue share. Drains entries through their account's transport at
the account's pace, keeps the report up to date, and records each mail that left on its pieces and its contact.

Entries a delivery holds are claimed, so two deliveries of this process never send the same entry (and a queue
action never changes one being sent); the data directory's lock keeps other processes out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Protocol

from batchmail.errors import InvalidInput
from batchmail.sending.accounts import Account, AccountKind
from batchmail.sending.dispatch import OutboxWriter, dispatch
from batchmail.sending.outbox import OutboxEntry, OutboxState, local_now
from batchmail.sending.pace import Pace
from batchmail.sending.recording import Recorder, record_sent
from batchmail.sending.report import BatchReport, Phase, Progress, notify
from batchmail.sending.transports.base import Transport
from batchmail.services.repositories import HistoryRepository, OutboxRepository, PieceRepository


class TransportSource(Protocol):
    async def transport(self, account: Account) -> Transport:
        """The transport of `account`, with its secret."""
        ...


class Deliveries:
    def __init__(
        self,
        *,
        outbox: OutboxRepository,
        pieces: PieceRepository,
        history: HistoryRepository,
        transports: TransportSource,
    ) -> None:
        self._outbox = outbox
        self._pieces = pieces
        self._history = history
        self._transports = transports
        self._paces: dict[str, Pace] = {}
        self._claimed: set[int] = set()  # outbox entries a delivery or a queue action of this process holds

    async def deliver(
        self,
        entries: Sequence[OutboxEntry],
        account: Account,
        report: BatchReport,
        on_progress: Progress | None = None,
        *,
        transport: Transport | None = None,
    ) -> None:
        """Send outbox entries through `account` over its parallel connections at its pace, updating `report`.
        Entries another delivery of this process holds are left to it."""
        with self.holding([entry.id for entry in entries if entry.id not in self._claimed], partial=True) as mine:
            # Read again once held: a copy taken before may be stale (sent, dropped or re-addressed meanwhile).
            current = await asyncio.to_thread(self._outbox.pending_among, mine)
            if current:
                transport = transport or await self._transports.transport(account)
                await self._dispatch(current, account, report, on_progress, transport)
        report.phase, report.finished, report.expected_end, report.paced = Phase.done, True, None, False
        notify(on_progress, report)

    def is_claimed(self, entry_id: int) -> bool:
        """Whether a delivery or a queue action of this process holds the entry right now."""
        return entry_id in self._claimed

    @contextlib.contextmanager
    def holding(self, entry_ids: Iterable[int], *, partial: bool = False) -> Iterator[list[int]]:
        """Hold outbox entries for one change of this process (a delivery, a queue action) so that no other one
        touches them meanwhile; yields the ids held. An entry already held raises InvalidInput naming it, or with
        `partial` is left out. The check and the claim are one step on the event loop: call it there."""
        wanted = list(dict.fromkeys(entry_ids))
        taken = [entry_id for entry_id in wanted if entry_id in self._claimed]
        if taken and not partial:
            raise InvalidInput(f"outbox entry {taken[0]} is being sent right now")
        ids = [entry_id for entry_id in wanted if entry_id not in self._claimed]
        self._claimed.update(ids)
        try:
            yield ids
        finally:
            self._claimed.difference_update(ids)

    async def record_unrecorded(self) -> int:
        """Write on their pieces and contacts the mails that left while the app stopped before recording them."""

        def run() -> int:
            entries = [e for e in self._outbox.unrecorded() if e.id not in self._claimed]
            if entries:
                record_sent(self._pieces, self._history, entries, check_history=True)
                for entry in entries:
                    entry.recorded = True
                self._outbox.save_many(entries)
            return len(entries)

        return await asyncio.to_thread(run)

    async def _dispatch(
        self,
        entries: list[OutboxEntry],
        account: Account,
        report: BatchReport,
        on_progress: Progress | None,
        transport: Transport,
    ) -> None:
        pace = await self._pace(account)
        piece_ids = {piece_id for entry in entries for piece_id in entry.piece_ids}
        summaries = await asyncio.to_thread(self._pieces.summaries_of, piece_ids)
        writer = OutboxWriter(self._outbox)
        recorder = Recorder(self._pieces, self._history, writer)
        report.per_minute, report.per_day = account.per_minute, account.per_day
        report.provider_events = account.kind is AccountKind.brevo
        for entry in entries:
            numbers = tuple(summaries[i].number if i in summaries else "?" for i in entry.piece_ids)
            report.update(entry, numbers)
        report.phase, report.sending_since = Phase.sending, local_now()
        report.estimate_end(pace.expected_end(report.remaining, report.sending_since, None), report.sending_since)
        notify(on_progress, report)

        async def on_change(entry: OutboxEntry) -> None:
            report.update(entry, report.rows[entry.id].numbers)
            if entry.state is OutboxState.sent:
                recorder.add(entry)
            now = local_now()
            report.estimate_end(pace.expected_end(report.remaining, now, report.rate(now)), now)
            notify(on_progress, report)

        try:
            report.stopped = await dispatch(
                entries,
                store=self._outbox,
                writer=writer,
                transport=transport,
                pace=pace,
                now=local_now,
                on_change=on_change,
                connections=account.connections,
            )
        finally:
            await recorder.close()

    async def _pace(self, account: Account) -> Pace:
        """The account's pace, shared by every delivery of this process; the day counted from the outbox."""
        pace = self._paces.get(account.name)
        if pace is None or (pace.per_minute, pace.per_day) != (account.per_minute, account.per_day):
            since = local_now() - timedelta(days=1)
            recent = await asyncio.to_thread(self._outbox.sent_since, account.name, since)
            pace = self._paces[account.name] = Pace(
                per_minute=account.per_minute, per_day=account.per_day, recent=recent
            )
        return pace
