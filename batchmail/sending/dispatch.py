"""Drains outbox entries through a transport: a few parallel sessions, the account's pace, every state change
durable before going on.

The order of writes is what makes a crash safe: an entry is saved as `sending` before its data goes out, and its
outcome reaches the disk with the next write, at the latest before the next message of that session goes out (or
before a pause). An entry found `sending` at start was interrupted mid-flight: the store turns it `uncertain`,
never back to `queued`, so at most one message per session is uncertain after a crash.

Writes are grouped: what several sessions hand in while one write is under way goes out in the next single
write, so parallel sessions share the cost of rewriting the outbox file.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from batchmail.errors import (
    AuthenticationFailed,
    BatchMailError,
    ConfigurationError,
    DailyLimitReached,
    DeliveryUncertain,
    PermanentFailure,
    SendFailure,
)
from batchmail.sending.outbox import MAX_TRIES_KEPT, RETRY_DELAYS, Attempt, OutboxEntry, OutboxState, next_retry
from batchmail.sending.pace import Pace
from batchmail.sending.transports.base import Transport, TransportSession

MAX_CONNECTIONS = 8  # whatever an account says: servers throttle or refuse beyond a few
SERVER_CLOSING = 421  # SMTP: the service is closing the connection
UNREACHABLE_LIMIT = 3  # consecutive failures to reach the server before the batch gives up for now


class OutboxStore(Protocol):
    def save_many(self, entries: Iterable[OutboxEntry]) -> None: ...
    def load_mime(self, entry_id: int) -> bytes: ...


OnChange = Callable[[OutboxEntry], Awaitable[None]]


class OutboxWriter:
    """Group commit: entries handed in are written together; `flush` returns once everything handed in before it
    is on disk, and raises if that write failed. Each entry is copied when handed in, so the caller may go on
    changing its own object."""

    def __init__(self, store: OutboxStore) -> None:
        self._store = store
        self._pending: dict[int, OutboxEntry] = {}
        self._pending_done: asyncio.Future[None] | None = None  # resolved when the pending batch is written
        self._in_flight: asyncio.Future[None] | None = None  # the batch being written
        self._drainer: asyncio.Future[None] | None = None

    def defer(self, entry: OutboxEntry) -> None:
        """Write `entry` with the next write, without waiting for it."""
        self._pending[entry.id] = dataclasses.replace(entry)

    async def save(self, entry: OutboxEntry) -> None:
        self.defer(entry)
        await self.flush()

    async def flush(self) -> None:
        if self._pending:
            if self._pending_done is None:
                self._pending_done = asyncio.get_running_loop().create_future()
            done = self._pending_done
            if self._drainer is None or self._drainer.done():
                self._drainer = asyncio.ensure_future(self._drain())
            await asyncio.shield(done)
        elif self._in_flight is not None:
            await asyncio.shield(self._in_flight)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = list(self._pending.values()), {}
            done = self._pending_done or asyncio.get_running_loop().create_future()
            self._pending_done, self._in_flight = None, done
            done.add_done_callback(lambda future: future.exception())  # a failure nobody waits for is no warning
            try:
                await asyncio.to_thread(self._store.save_many, batch)
            except Exception as err:
                done.set_exception(err)
            else:
                done.set_result(None)
            finally:
                self._in_flight = None


async def dispatch(
    entries: Sequence[OutboxEntry],
    *,
    store: OutboxStore,
    writer: OutboxWriter,
    transport: Transport,
    pace: Pace,
    now: Callable[[], datetime],
    on_change: OnChange,
    connections: int = 1,
) -> str:
    """Send `entries` over up to `connections` sessions. Returns why the batch stopped early, or "".

    Temporary failures wait for a retry with growing delays, permanent ones fail, a connection lost after the data
    leaves the message uncertain; an authentication or TLS failure stops the batch and leaves the rest queued; a
    server out of reach or the day's budget spent leaves the rest waiting, with its next try.
    """
    run = _Run(
        todo=deque(entries), store=store, writer=writer, transport=transport, pace=pace, now=now, on_change=on_change
    )
    sessions = max(1, min(connections, MAX_CONNECTIONS, len(entries)))
    if entries:
        # An unexpected error in one session stops the others after their current message, never in its middle.
        outcomes = await asyncio.gather(*(run.session() for _ in range(sessions)), return_exceptions=True)
        await run.settle_the_rest()
        await writer.flush()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
    return run.stopped


@dataclass(kw_only=True, eq=False)
class _Run:
    """One dispatch: what is left to send, shared by its sessions, and why it stopped."""

    todo: deque[OutboxEntry]
    store: OutboxStore
    writer: OutboxWriter
    transport: Transport
    pace: Pace
    now: Callable[[], datetime]
    on_change: OnChange
    stopped: str = ""
    unreachable: int = 0  # consecutive failures to reach the server, over every session
    rest_waits_until: datetime | None = None  # set when the rest is to wait rather than stay queued
    rest_reason: str = ""

    async def session(self) -> None:
        try:
            async with self.transport.session() as session:
                while self.todo and not self.stopped:
                    await self.send_one(session, self.todo.popleft())
        except (AuthenticationFailed, ConfigurationError) as failure:  # from opening or closing a session
            self.stop(_fix_hint(failure, self.transport.name))
        except SendFailure as failure:
            self.stop_unreachable(failure, self.now() + RETRY_DELAYS[0])
        except Exception as err:
            self.stop(f"stopped by an unexpected error: {err!r}")
            raise

    async def send_one(self, session: TransportSession, entry: OutboxEntry) -> None:
        try:
            slot = self.pace.reserve(self.now())
        except DailyLimitReached as limit:
            self.todo.appendleft(entry)
            self.stopped = self.stopped or f"{limit}: the rest waits and goes from then on"
            self.rest_waits_until, self.rest_reason = limit.until, f"waiting: {limit}"
            return
        pause = (slot - self.now()).total_seconds()
        if pause > 0:
            await self.writer.flush()  # what the last message became is on disk before the pause
            await asyncio.sleep(pause)
        entry.state, entry.attempts = OutboxState.sending, entry.attempts + 1
        loading = asyncio.ensure_future(asyncio.to_thread(self.store.load_mime, entry.id))  # while it is saved
        loading.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            await self.writer.save(entry)  # on disk before any of its data goes out
        except BaseException:
            loading.cancel()
            raise
        await self.on_change(entry)
        try:
            mime = await loading
            result = await session.send(mime, sender=entry.sender, recipients=list(entry.recipients), dsn=entry.dsn)
        except (AuthenticationFailed, ConfigurationError) as failure:
            entry.attempts -= 1
            await self.settle(entry, OutboxState.queued)
            self.stop(_fix_hint(failure, self.transport.name))
            return
        except SendFailure as failure:
            await self.failed(entry, failure)
            return
        except BatchMailError as err:  # its message file cannot be read
            entry.last_error, entry.last_code, entry.last_answer = str(err), None, ""
            await self.settle(entry, OutboxState.failed)
            return
        self.unreachable = 0
        entry.sent_at = self.now()
        entry.server_reply = result.server_reply
        refused = "; ".join(f"{rcpt}: {reply}" for rcpt, reply in result.refused.items())
        entry.last_error = f"refused by the server: {refused}" if refused else ""
        entry.last_code, entry.last_answer = None, ""
        await self.settle(entry, OutboxState.sent)

    async def failed(self, entry: OutboxEntry, failure: SendFailure) -> None:
        entry.last_error, entry.last_code, entry.last_answer = str(failure), failure.code, failure.server_text
        if isinstance(failure, DeliveryUncertain):
            await self.settle(entry, OutboxState.uncertain)
            return
        if isinstance(failure, PermanentFailure):
            await self.settle(entry, OutboxState.failed)
            return
        entry.next_try = next_retry(entry.attempts, self.now(), asked=failure.retry_after)
        await self.settle(entry, OutboxState.retry_waiting if entry.next_try else OutboxState.failed)
        if failure.code in (None, SERVER_CLOSING):  # the server, not this recipient: timeout, lost, closing
            self.unreachable += 1
            if self.unreachable >= UNREACHABLE_LIMIT:
                self.stop_unreachable(failure, entry.next_try or self.now() + RETRY_DELAYS[0])

    async def settle(self, entry: OutboxEntry, state: OutboxState) -> None:
        """The entry's new state, written with the next write (before this session's next message goes out)."""
        entry.state = state
        if state is not OutboxState.retry_waiting:
            entry.next_try = None
        if state is not OutboxState.queued:  # queued again: the account stopped the batch before this try
            answer = entry.last_error or entry.server_reply
            entry.tries = [*entry.tries, Attempt(at=self.now(), state=state, code=entry.last_code, answer=answer)]
            del entry.tries[:-MAX_TRIES_KEPT]
        self.writer.defer(entry)
        await self.on_change(entry)

    def stop(self, reason: str) -> None:
        self.stopped = self.stopped or reason

    def stop_unreachable(self, failure: SendFailure, next_try: datetime) -> None:
        self.stop(f"could not reach the server, the rest waits for a retry: {failure}")
        self.rest_waits_until, self.rest_reason = next_try, f"not tried: could not reach the server ({failure})"

    async def settle_the_rest(self) -> None:
        """What no session took: waiting when the server is out of reach or the day's budget is spent; left
        queued when the account must be fixed first."""
        if self.rest_waits_until is None:
            return
        while self.todo:
            entry = self.todo.popleft()
            entry.last_error, entry.next_try = self.rest_reason, self.rest_waits_until
            entry.state = OutboxState.retry_waiting
            self.writer.defer(entry)
            await self.on_change(entry)


def _fix_hint(failure: BatchMailError, account: str) -> str:
    """What stopped the batch and what the user must do about it."""
    if isinstance(failure, AuthenticationFailed):
        fix = (
            f"check the user name and password (or the certificate) of account {account!r}, "
            "then retry the queue (batchmail queue retry --due)"
        )
    else:
        fix = f"fix account {account!r}, then retry the queue (batchmail queue retry --due)"
    return f"stopped, nothing more was sent: {failure}. To go on: {fix}"
