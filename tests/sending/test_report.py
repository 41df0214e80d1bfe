"""The report beyond the states: the provider's news of each mail of a finished batch (polled from a local Brevo
server, kept on the history, the latest shown per row), and whether the account's pace is what sets the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.selection import Criteria
from batchmail.sending.delivery_events import DeliveryEventKind, provider_message_id
from batchmail.sending.outbox import OutboxEntry, OutboxState, local_now
from batchmail.sending.report import BatchReport
from batchmail.wiring import App
from storage.stores import Stores
from tests.sendkit import SENDER, address, fill, send, services_and_stores, store_account
from tests.servers.brevo import API_KEY, SEND_PATH, BrevoServer, brevo_server
from tests.servers.httpd import Reply


@pytest.fixture
def brevo() -> Iterator[BrevoServer]:
    with brevo_server() as server:
        yield server


@pytest.fixture
async def opened(tmp_path: Path, brevo: BrevoServer, renderer: PdfRenderer) -> AsyncIterator[tuple[App, Stores]]:
    await asyncio.to_thread(fill, tmp_path, 3)
    await asyncio.to_thread(
        store_account, tmp_path, brevo.account(name="brevo", per_minute=600, from_address=SENDER), API_KEY
    )
    app, stores = services_and_stores(tmp_path, renderer)
    yield app, stores
    app.close()


async def test_a_finished_batch_shows_the_providers_latest_news_of_each_mail(
    opened: tuple[App, Stores], brevo: BrevoServer
) -> None:
    app, stores = opened
    ids = [row.summary.id for row in await app.workspace.find(Criteria())]
    report = await send(app, ids)
    assert report.complete and report.provider_events
    assert (report.per_minute, report.to_json()["pace"]["per_minute"]) == (600, 600)
    by_recipient = {row.recipients[0]: row for row in report.rows.values()}
    sent_as = {
        recipient: provider_message_id((await asyncio.to_thread(stores.outbox.get, row.entry_id)).server_reply)
        for recipient, row in by_recipient.items()
    }
    assert sorted(sent_as.values()) == sorted(m.message_id for m in brevo.accepted)
    now = datetime.now().astimezone()
    brevo.add_event(sent_as[address(1)], address(1), "delivered", at=now + timedelta(seconds=1))
    brevo.add_event(sent_as[address(1)], address(1), "opened", at=now + timedelta(seconds=2))
    bounce = "no such user"
    brevo.add_event(sent_as[address(2)], address(2), "hardBounces", at=now + timedelta(seconds=1), reason=bounce)

    assert await app.send.delivery_events(report) == 3
    events = {recipient: report.rows[row.entry_id].event for recipient, row in by_recipient.items()}
    assert {recipient: event.kind if event else None for recipient, event in events.items()} == {
        address(1): DeliveryEventKind.opened,
        address(2): DeliveryEventKind.hard_bounce,
        address(3): DeliveryEventKind.accepted,  # Brevo's "requests": taken, nothing since
    }
    bounced = events[address(2)]
    assert bounced is not None and bounced.reason == bounce
    rows = {m["recipients"][0]: m for m in report.to_json()["messages"]}
    assert rows[address(1)]["event"]["kind"] == "opened"
    assert rows[address(2)]["event"]["reason"] == bounce

    # Without polling, the news comes from the history, where the poll kept it.
    fresh = BatchReport(batch_id="again", account="brevo", test_mode=False)
    for row in report.rows.values():
        fresh.update(await asyncio.to_thread(stores.outbox.get, row.entry_id), row.numbers)
    assert await app.send.delivery_events(fresh, poll=False) == 3


def entry(n: int) -> OutboxEntry:
    return OutboxEntry(
        id=n,
        batch_id="b",
        account="office",
        message_id=f"<{n}@x>",
        content_hash=str(n),
        sender="a@b.fr",
        recipients=[address(n)],
        subject="s",
        created_at=local_now(),
    )


def report_at(per_minute: int | None, per_day: int | None, *, handled: int, seconds: float) -> BatchReport:
    """A report of 10 mails, `handled` of them answered for over the last `seconds`."""
    report = BatchReport(batch_id="b", account="office", test_mode=False, per_minute=per_minute, per_day=per_day)
    entries = [entry(n) for n in range(1, 11)]
    for queued in entries:
        report.update(queued, ("FA",))
    report.sending_since = local_now() - timedelta(seconds=seconds)
    for done in entries[:handled]:
        done.state = OutboxState.sending
        report.update(done, ("FA",))
        done.state = OutboxState.sent
        report.update(done, ("FA",))
    return report


@pytest.mark.parametrize(
    ("per_minute", "per_day", "handled", "end_in", "paced"),
    [
        (30, None, 0, timedelta(seconds=20), True),  # nothing measured yet: the pace is all there is to go by
        (6, None, 2, timedelta(seconds=80), True),  # 2 in 20 s = 6 a minute: going at the pace
        (30, None, 2, timedelta(seconds=80), False),  # 6 a minute against 30 allowed: the server is the limit
        (None, 5, 2, timedelta(hours=23), True),  # more left than the day allows: waits for tomorrow
        (None, None, 2, timedelta(seconds=80), False),
    ],
)
def test_the_report_says_when_the_accounts_pace_sets_the_end(
    per_minute: int | None, per_day: int | None, handled: int, end_in: timedelta, paced: bool
) -> None:
    report = report_at(per_minute, per_day, handled=handled, seconds=20)
    now = local_now()
    report.estimate_end(now + end_in, now)
    assert report.paced is paced
    assert report.to_json()["pace"] == {"per_minute": per_minute, "per_day": per_day, "holds_the_batch": paced}


async def test_a_mail_brevo_asks_to_hold_waits_as_long_as_asked_and_keeps_the_answer(
    opened: tuple[App, Stores], brevo: BrevoServer
) -> None:
    app, stores = opened
    brevo.fail_next(
        SEND_PATH,
        Reply(status=429, body={"code": "too_many_requests", "message": "Slow down"}, headers={"Retry-After": "3600"}),
    )
    before = local_now()
    report = await send(app, (await app.workspace.matching_ids(Criteria()))[:1])
    [row] = report.rows.values()
    assert row.state is OutboxState.retry_waiting and row.code == 429
    assert row.next_try is not None and row.next_try >= before + timedelta(hours=1)
    entry = stores.outbox.get(row.entry_id)
    assert (entry.last_code, entry.last_answer) == (429, "Slow down")
    assert "asks to wait 3600 s" in entry.last_error
    [queued] = await app.queue.list()
    assert queued.entry.last_answer == "Slow down"  # what the queue's detail shows as the server's words
