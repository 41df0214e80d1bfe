"""Drains outbox entries through a transport, one state change at a time, each made durable before going on.

The order of writes is what makes a crash safe: an entry is saved as `sending` before its data goes out, and as
`sent` (or its failure) right after the server answers. An entry found `sending` at start was interrupted
mid-flight: the store turns it `uncertain`, never back to `queued`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from batchmail.errors import (
    AuthenticationFailed,
    DeliveryUncertain,
    PermanentFailure,
    SendFailure,
    TemporaryFailure,
)
from batchmail.outbox import OutboxEntry, OutboxState, next_retry
from batchmail.transports.base import Transport


class OutboxStore(Protocol):
    def save(self, entry: OutboxEntry) -> None: ...
    def load_mime(self, entry_id: int) -> bytes: ...


OnChange = Callable[[OutboxEntry], Awaitable[None]]


async def dispatch(
    entries: Sequence[OutboxEntry],
    *,
    store: OutboxStore,
    transport: Transport,
    now: Callable[[], datetime],
    on_change: OnChange,
) -> str:
    """Send `entries` in order over one session. Returns why the batch stopped early, or "" when it ran through.

    Temporary failures wait for a retry, permanent ones fail, a connection lost after the data leaves the message
    uncertain; an authentication or TLS failure stops the batch and leaves the rest queued.
    """
    if not entries:
        return ""
    try:
        async with transport.session() as session:
            for entry in entries:
                await _mark(store, entry, OutboxState.sending, on_change, attempts=entry.attempts + 1)
                mime = await asyncio.to_thread(store.load_mime, entry.id)
                try:
                    result = await session.send(mime, sender=entry.sender, recipients=entry.recipients)
                except AuthenticationFailed:
                    await _mark(store, entry, OutboxState.queued, on_change, attempts=entry.attempts - 1)
                    raise
                except SendFailure as failure:
                    await _fail(store, entry, failure, now(), on_change)
                    continue
                refused = "; ".join(f"{rcpt}: {reply}" for rcpt, reply in result.refused.items())
                entry.sent_at = now()
                entry.last_error = f"refused by the server: {refused}" if refused else ""
                await _mark(store, entry, OutboxState.sent, on_change)
    except AuthenticationFailed as failure:
        return f"stopped, nothing more was sent: {failure}"
    except TemporaryFailure as failure:  # could not connect at all: every entry still unsent waits for a retry
        for entry in entries:
            if entry.state is OutboxState.queued:
                entry.attempts += 1
                await _fail(store, entry, failure, now(), on_change)
        return f"could not reach the server: {failure}"
    return ""


async def _fail(
    store: OutboxStore, entry: OutboxEntry, failure: SendFailure, when: datetime, on_change: OnChange
) -> None:
    entry.last_error, entry.last_code = str(failure), failure.code
    if isinstance(failure, DeliveryUncertain):
        state = OutboxState.uncertain
    elif isinstance(failure, PermanentFailure):
        state = OutboxState.failed
    else:
        entry.next_try = next_retry(entry.attempts, when)
        state = OutboxState.retry_waiting if entry.next_try else OutboxState.failed
    await _mark(store, entry, state, on_change)


async def _mark(
    store: OutboxStore, entry: OutboxEntry, state: OutboxState, on_change: OnChange, *, attempts: int | None = None
) -> None:
    entry.state = state
    if attempts is not None:
        entry.attempts = attempts
    await asyncio.to_thread(store.save, entry)
    await on_change(entry)
