"""The dispatcher against a real aiosmtpd server that misbehaves on purpose: every mail ends sent, waiting, failed
or uncertain as it should, nothing is sent twice, and every state is on disk before the data leaves."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from batchmail.errors import NotFound
from batchmail.sending.dispatch import OutboxWriter, dispatch
from batchmail.sending.outbox import OutboxEntry, OutboxState
from batchmail.sending.pace import Pace
from batchmail.sending.transports.base import SendResult, Transport, TransportSession
from batchmail.sending.transports.smtp import SmtpTransport
from storage.stores import Stores, open_stores
from tests.sendkit import address, entry_and_mime, outbox_on_disk, received_ids
from tests.servers.smtpd import SmtpTestServer, smtp_server

NO_PACE = Pace(per_minute=None, per_day=None)


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    with open_stores(tmp_path / "data") as opened:
        yield opened


def now() -> datetime:
    return datetime.now().astimezone()


def queue(stores: Stores, numbers: range | list[int], batch_id: str = "b1") -> list[OutboxEntry]:
    return stores.outbox.add_many([entry_and_mime(n, batch_id=batch_id) for n in numbers])


async def run(
    stores: Stores, entries: list[OutboxEntry], transport: Transport, *, pace: Pace = NO_PACE, connections: int = 2
) -> str:
    async def on_change(entry: OutboxEntry) -> None:
        assert entry.state is not OutboxState.queued or entry.attempts == 0

    return await dispatch(
        entries,
        store=stores.outbox,
        writer=OutboxWriter(stores.outbox),
        transport=transport,
        pace=pace,
        now=now,
        on_change=on_change,
        connections=connections,
    )


def on_disk(stores: Stores) -> dict[int, dict[str, Any]]:
    """The outbox as the files hold it, not as memory does."""
    return outbox_on_disk(stores.data_dir)


def states(stores: Stores) -> dict[int, str]:
    return {key: str(doc["state"]) for key, doc in on_disk(stores).items()}


async def test_a_misbehaving_server_leaves_each_mail_sent_waiting_failed_or_uncertain_and_none_twice(
    server: SmtpTestServer, stores: Stores
) -> None:
    server.faults.refuse = {address(3): 450, address(4): 450, address(7): 550, address(8): 550}
    server.faults.close_after = 3  # 421 and a hang-up once a connection carried three mails
    transport = SmtpTransport(server.account(timeout_seconds=1.0), server.password)
    batch = queue(stores, range(1, 13))
    assert await run(stores, batch, transport) == ""
    assert server.connections >= 4  # each connection carried at most three, then was opened again

    by_number = {int(e.recipients[0].removeprefix("client").split("@")[0]): e for e in batch}
    disk = on_disk(stores)
    for n in (3, 4):
        entry = by_number[n]
        assert entry.state is OutboxState.retry_waiting and entry.last_code == 450
        assert entry.next_try is not None and timedelta(seconds=50) < entry.next_try - now() <= timedelta(minutes=1)
        assert "Mailbox busy" in entry.last_error
    for n in (7, 8):
        entry = by_number[n]
        assert entry.state is OutboxState.failed and entry.last_code == 550
        assert "No such user" in entry.last_error and address(n) in entry.last_error
    sent = [e for e in batch if e.state is OutboxState.sent]
    assert len(sent) == 8
    assert all(e.server_reply.startswith("250 2.0.0 OK queued as") for e in sent)
    assert {e.id: e.state.value for e in batch} == {key: doc["state"] for key, doc in disk.items()}

    # The connection dropped right after the data, then a server that never answers the data in time.
    server.faults = type(server.faults)(drop_after_data=True)
    dropped = queue(stores, [20], batch_id="b2")
    assert await run(stores, dropped, transport) == ""
    server.faults = type(server.faults)(stall_seconds=2.0)
    stalled = queue(stores, [21], batch_id="b3")
    assert await run(stores, stalled, transport) == ""
    server.faults = type(server.faults)()
    for entry, why in ((dropped[0], "the connection was lost"), (stalled[0], "no reply came in time")):
        assert entry.state is OutboxState.uncertain
        assert why in entry.last_error and "may or may not have been delivered" in entry.last_error
        assert states(stores)[entry.id] == "uncertain"

    # Later: what waits is due and goes; failed and uncertain mails are never sent again by themselves.
    due = stores.outbox.pending(now=now() + timedelta(minutes=2))
    assert sorted(e.id for e in due) == sorted(by_number[n].id for n in (3, 4))
    assert await run(stores, due, transport) == ""
    assert all(e.state is OutboxState.sent for e in due)
    assert stores.outbox.pending(now=now() + timedelta(days=1)) == []

    arrived = Counter(received_ids(server))
    assert max(arrived.values()) == 1, "a mail arrived twice"
    expected = {e.message_id for e in stores.outbox.in_state(OutboxState.sent, OutboxState.uncertain)}
    assert set(arrived) == expected


class _Probe(Transport):
    """The real SMTP transport, checking from the file on disk that each mail is `sending` when it goes out."""

    def __init__(self, inner: Transport, stores: Stores) -> None:
        self.inner, self.stores, self.name = inner, stores, inner.name
        self.seen: list[str] = []

    @asynccontextmanager
    async def session(self) -> AsyncIterator[TransportSession]:
        async with self.inner.session() as inner:
            yield _ProbeSession(inner, self)

    async def check(self) -> str:
        return await self.inner.check()


class _ProbeSession(TransportSession):
    def __init__(self, inner: TransportSession, probe: _Probe) -> None:
        self.inner, self.probe = inner, probe

    async def send(self, mime: bytes, *, sender: str, recipients: list[str], dsn: bool = False) -> SendResult:
        entries = on_disk(self.probe.stores).values()
        [state] = [doc["state"] for doc in entries if doc["recipients"] == recipients]
        self.probe.seen.append(str(state))
        return await self.inner.send(mime, sender=sender, recipients=recipients, dsn=dsn)


async def test_each_mail_is_on_disk_as_sending_before_its_data_leaves(server: SmtpTestServer, stores: Stores) -> None:
    probe = _Probe(SmtpTransport(server.account(), server.password), stores)
    batch = queue(stores, range(1, 9))
    await run(stores, batch, probe, connections=3)
    assert probe.seen == ["sending"] * 8
    assert set(states(stores).values()) == {"sent"}
    assert len(server.messages) == 8


async def test_a_refused_login_stops_the_batch_and_leaves_the_rest_queued(
    server: SmtpTestServer, stores: Stores
) -> None:
    batch = queue(stores, range(1, 6))
    stopped = await run(stores, batch, SmtpTransport(server.account(), "wrong"))
    assert "stopped, nothing more was sent" in stopped and "535" in stopped
    assert "check the user name and password" in stopped and "batchmail queue retry --due" in stopped
    assert all(e.state is OutboxState.queued and e.attempts == 0 for e in batch)
    assert set(states(stores).values()) == {"queued"}
    assert server.messages == []


async def test_a_server_out_of_reach_leaves_the_rest_waiting(server: SmtpTestServer, stores: Stores) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    batch = queue(stores, range(1, 11))
    transport = SmtpTransport(server.account(port=closed_port), server.password)
    stopped = await run(stores, batch, transport, connections=1)
    assert stopped.startswith("could not reach the server")
    tried, untried = batch[:3], batch[3:]
    assert all(e.state is OutboxState.retry_waiting and e.attempts == 1 for e in tried)
    assert all(e.state is OutboxState.retry_waiting and e.attempts == 0 for e in untried)
    assert all(e.last_error.startswith("not tried: could not reach the server") for e in untried)
    assert {e.next_try for e in untried} == {tried[-1].next_try}
    assert set(states(stores).values()) == {"retry_waiting"}


async def test_the_day_budget_spent_leaves_the_rest_waiting_until_it_frees(
    server: SmtpTestServer, stores: Stores
) -> None:
    start = now()
    pace = Pace(per_minute=None, per_day=3, recent=[start - timedelta(hours=23), start - timedelta(hours=1)])
    batch = queue(stores, range(1, 6))
    stopped = await run(stores, batch, SmtpTransport(server.account(), server.password), pace=pace)
    assert "daily limit of 3 messages is reached" in stopped
    assert [e.state for e in batch].count(OutboxState.sent) == 1
    frees = start + timedelta(hours=1)
    waiting = [e for e in batch if e.state is OutboxState.retry_waiting]
    assert len(waiting) == 4 and all(e.next_try == frees and e.attempts == 0 for e in waiting)
    assert all("daily limit" in e.last_error for e in waiting)
    assert len(server.messages) == 1


def test_the_pace_hands_out_slots_within_the_minute_and_the_day() -> None:
    t0 = datetime(2026, 11, 24, 9, 0).astimezone()
    pace = Pace(per_minute=2, per_day=5)
    slots = [pace.reserve(t0) for _ in range(5)]
    assert slots == [t0, t0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=1), t0 + timedelta(minutes=2)]
    with pytest.raises(Exception, match="daily limit of 5") as limit:
        pace.reserve(t0 + timedelta(minutes=3))
    assert limit.value.until == t0 + timedelta(days=1)  # type: ignore[attr-defined]
    assert pace.reserve(t0 + timedelta(days=1, seconds=1)) == t0 + timedelta(days=1, seconds=1)

    fresh = Pace(per_minute=30, per_day=None)
    assert fresh.expected_end(60, t0, None) == t0 + timedelta(minutes=2)  # at the pace, before any measure
    assert fresh.expected_end(60, t0, 100.0) == t0 + timedelta(minutes=2)  # the pace bounds a faster rate
    assert fresh.expected_end(60, t0, 0.25) == t0 + timedelta(minutes=4)
    assert Pace(per_minute=None, per_day=None).expected_end(10, t0, None) is None


async def test_saves_made_together_share_one_write_and_a_failed_write_reaches_its_callers(stores: Stores) -> None:
    writes: list[int] = []
    repository = stores.outbox

    class Counting:
        def save_many(self, entries: list[OutboxEntry]) -> None:
            writes.append(len(list(entries)))
            repository.save_many(entries)

        def load_mime(self, entry_id: int) -> bytes:
            return repository.load_mime(entry_id)

    writer = OutboxWriter(Counting())
    batch = queue(stores, range(1, 21))
    for entry in batch:
        entry.state = OutboxState.failed
    await asyncio.gather(*(writer.save(entry) for entry in batch))
    assert sum(writes) == 20 and len(writes) < 20
    assert set(states(stores).values()) == {"failed"}

    ghost = entry_and_mime(99)[0]
    ghost.id = 999
    with pytest.raises(NotFound):
        await writer.save(ghost)
    batch[0].state = OutboxState.sent
    await writer.save(batch[0])  # the writer goes on after a failed write
    assert states(stores)[batch[0].id] == "sent"
