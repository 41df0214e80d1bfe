"""Sending through the services and the queue: what is recorded, the duplicate guard, retrying, re-addressing,
dropping, resuming at start, purging, against a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.selection import Criteria
from batchmail.errors import InvalidAddress, InvalidInput, NotFound
from batchmail.sending.choices import SendChoices
from batchmail.sending.outbox import OutboxState, local_now
from batchmail.sending.report import BatchReport, Phase
from batchmail.wiring import App
from storage.credentials import CredentialStore
from storage.stores import Stores, open_stores
from tests.sendkit import (
    ACCOUNT,
    add_account,
    address,
    entry_and_mime,
    fill,
    received_ids,
    send,
    services,
    services_and_stores,
)
from tests.servers.smtpd import Faults, SmtpTestServer


@pytest.fixture
async def opened(tmp_path: Path, server: SmtpTestServer, renderer: PdfRenderer) -> AsyncIterator[tuple[App, Stores]]:
    fill(tmp_path, 4)
    add_account(tmp_path, server)
    app, stores = services_and_stores(tmp_path, renderer)
    yield app, stores
    app.close()


async def all_ids(app: App) -> list[int]:
    return sorted(row.summary.id for row in await app.workspace.find(Criteria()))


def by_recipient(report: BatchReport) -> dict[str, OutboxState]:
    return {row.recipients[0]: row.state for row in report.rows.values()}


async def test_a_batch_reports_each_mail_and_records_those_that_left(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(2): 550, address(3): 450}
    seen: list[tuple[Phase, int, float, bool]] = []
    report = await app.send.send(
        await app.send.plan(await all_ids(app)),
        on_progress=lambda r: seen.append((r.phase, r.composed, r.progress, bool(r.expected_end))),
    )
    assert by_recipient(report) == {
        address(1): OutboxState.sent,
        address(2): OutboxState.failed,
        address(3): OutboxState.retry_waiting,
        address(4): OutboxState.sent,
    }
    composing = [composed for phase, composed, _, _ in seen if phase is Phase.composing]
    assert composing == [0, 1, 2, 3, 4]  # the bar moves while the PDFs render
    progress = [p for _, _, p, _ in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any(phase is Phase.sending and eta for phase, _, _, eta in seen)
    assert seen[-1][0] is Phase.done and report.finished and not report.complete

    document = report.to_json()
    assert document["counts"] | {} == {
        "queued": 0,
        "sending": 0,
        "sent": 2,
        "retry_waiting": 1,
        "failed": 1,
        "uncertain": 0,
        "skipped": 0,
    }
    [waiting] = [m for m in document["messages"] if m["state"] == "retry_waiting"]
    assert waiting["code"] == 450 and waiting["next_try"] == document["next_retry"] is not None
    [failed] = [m for m in document["messages"] if m["state"] == "failed"]
    assert failed["code"] == 550 and "No such user" in failed["detail"]
    assert {m["message_id"] for m in document["messages"] if m["state"] == "sent"} == set(received_ids(server))

    for n in (1, 2, 3, 4):
        piece = stores.pieces.by_number(f"FA-{date.today().year}-{5 - n:05d}")
        assert piece is not None
        contact = stores.contacts.get(piece.contact_id)
        history = stores.history.for_contact(contact.id)
        if contact.email in (address(1), address(4)):
            assert piece.status.value == "sent" and piece.last_sent == date.today()
            [record] = history
            assert record.kind == "piece" and record.piece_ids == [piece.id] and record.account == "office"
            assert record.recipients == [contact.email] and record.attachments[0].endswith(".pdf")
        else:
            assert piece.status.value == "validated" and piece.last_sent is None and history == []
    assert await app.deliveries.record_unrecorded() == 0  # each was recorded once, as it left


async def test_the_same_mail_to_the_same_address_goes_again_only_when_asked(app: App, server: SmtpTestServer) -> None:
    ids = await all_ids(app)
    first = await send(app, ids[:2])
    assert first.complete
    again = await send(app, ids[:2], SendChoices(accept_warnings=True))
    assert again.rows == {} and len(again.held) == 2 and not again.complete
    for held in again.held:
        assert "already sent on" in held.reason and "--resend" in held.reason
    assert {h.earlier_entry for h in again.held} == set(first.rows)
    assert [s["code"] for s in again.to_json()["skipped"]] == ["already_sent"] * 2
    assert len(server.messages) == 2

    resent = await send(app, ids[:2], SendChoices(resend=True))
    assert resent.complete and len(server.messages) == 4
    assert len(set(received_ids(server))) == 4  # a new Message-ID for each mail sent again


async def test_a_failed_mail_gets_a_new_address_and_goes_on_retry(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(2): 550}
    report = await send(app, await all_ids(app))
    [failed] = await app.queue.list([OutboxState.failed])
    assert failed.entry.recipients == [address(2)] and "No such user" in failed.entry.last_error
    assert (failed.entry.last_code, failed.entry.last_answer) == (550, "5.1.1 No such user here")
    assert failed.numbers == (report.rows[failed.entry.id].numbers)

    with pytest.raises(InvalidAddress):
        await app.queue.change_address(failed.entry.id, "pas une adresse")
    changed = await app.queue.change_address(failed.entry.id, "Compta@Example.org")
    assert changed.recipients == ["Compta@example.org"] and changed.state is OutboxState.queued
    assert changed.message_id != failed.entry.message_id and changed.content_hash != failed.entry.content_hash

    retried = await app.queue.retry(failed.entry.id)
    assert retried.complete
    message = server.messages[-1]
    assert message.recipients == ["Compta@example.org"]
    assert str(message.message["Message-ID"]) == changed.message_id
    assert [a.get_filename() for a in message.message.iter_attachments()] == failed.entry.attachments
    history = stores.history.for_contact(failed.entry.contact_id or 0)
    assert [r.recipients for r in history] == [["Compta@example.org"]]
    assert await app.queue.list() == []


async def test_uncertain_mails_go_again_only_when_the_user_says_so(app: App, server: SmtpTestServer) -> None:
    server.faults.drop_after_data = True
    report = await send(app, (await all_ids(app))[:1])
    [row] = report.rows.values()
    assert row.state is OutboxState.uncertain and "may or may not have been delivered" in row.detail
    server.faults = Faults()
    assert await app.queue.resume() == []  # never by itself
    with pytest.raises(InvalidInput, match="uncertain"):
        await app.queue.retry(row.entry_id)
    assert (await app.queue.retry(row.entry_id, uncertain=True)).complete
    assert len(server.messages) == 2


async def test_waiting_mails_go_when_due_or_when_retried_and_dropped_ones_never(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(1): 450, address(2): 450, address(3): 550}
    report = await send(app, await all_ids(app))
    waiting = sorted(e for e, row in report.rows.items() if row.state is OutboxState.retry_waiting)
    [failed] = [e for e, row in report.rows.items() if row.state is OutboxState.failed]
    server.faults = Faults()
    assert await app.queue.resume() == []  # not due yet
    assert (await app.queue.retry(waiting[0])).complete  # the user does not wait

    entry = stores.outbox.get(waiting[1])
    entry.next_try = local_now() - timedelta(seconds=1)
    stores.outbox.save(entry)
    [resumed] = await app.queue.resume()
    assert resumed.complete and list(resumed.rows) == [waiting[1]]

    await app.queue.drop(failed)
    with pytest.raises(NotFound):
        stores.outbox.get(failed)
    with pytest.raises(InvalidInput, match="only mails not sent"):
        await app.queue.drop(waiting[0])
    assert await app.queue.list() == []
    assert len(server.messages) == len(set(received_ids(server))) == 3


async def test_at_start_queued_mails_resume_and_unrecorded_ones_are_recorded_once(
    tmp_path: Path, server: SmtpTestServer, renderer: PdfRenderer
) -> None:
    fill(tmp_path, 3)
    add_account(tmp_path, server)
    credentials = CredentialStore(tmp_path)
    credentials.set(f"account:{ACCOUNT}", "wrong")  # a refused login: the batch stops, the mails stay queued
    first = services(tmp_path, renderer)
    try:
        report = await send(first, await all_ids(first))
        assert "check the user name and password" in report.stopped
        assert report.counts["queued"] == 3 and server.messages == []
    finally:
        first.close()

    credentials.set(f"account:{ACCOUNT}", server.password)  # fixed
    again, stores = services_and_stores(tmp_path, renderer)
    try:
        [resumed] = await again.queue.resume()
        assert resumed.complete and len(server.messages) == 3
        entry = stores.outbox.get(next(iter(resumed.rows)))
        entry.recorded = False  # as if the app stopped between the mail leaving and its recording
        stores.outbox.save(entry)
        assert await again.queue.resume() == []
        assert len(stores.history.for_contact(entry.contact_id or 0)) == 1
        assert stores.outbox.unrecorded() == []
    finally:
        again.close()


async def test_old_sent_mails_are_purged(app: App, stores: Stores) -> None:
    report = await send(app, await all_ids(app))
    old = stores.outbox.get(next(iter(report.rows)))
    old.sent_at = local_now() - timedelta(days=40)
    stores.outbox.save(old)
    assert await app.queue.purge(timedelta(days=30)) == 1
    assert len(stores.outbox.in_state(OutboxState.sent)) == 3
    assert len(stores.history.for_contact(old.contact_id or 0)) == 1  # the history keeps it


async def test_each_mail_of_the_queue_comes_with_its_contact_and_what_its_pieces_total(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(2): 550, address(3): 450}
    await send(app, await all_ids(app))
    [no_piece] = await asyncio.to_thread(stores.outbox.add_many, [entry_and_mime(9)])
    items = {item.entry.recipients[0]: item for item in await app.queue.list()}
    assert set(items) == {address(2), address(3), address(9)}
    # fill(): contact n has one invoice of (99 + n) excl. tax at 20% VAT
    assert (items[address(2)].contact, items[address(2)].total_incl_tax) == ("Client 2", Decimal("121.20"))
    assert (items[address(3)].contact, items[address(3)].total_incl_tax) == ("Client 3", Decimal("122.40"))
    assert items[address(3)].entry.state is OutboxState.retry_waiting and items[address(3)].entry.last_code == 450
    assert items[address(9)].entry.id == no_piece.id
    assert (items[address(9)].numbers, items[address(9)].contact, items[address(9)].total_incl_tax) == ((), "", None)


async def test_several_mails_are_retried_together_or_none_is_touched(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(1): 550, address(2): 550}
    report = await send(app, await all_ids(app))
    failed = sorted(e for e, row in report.rows.items() if row.state is OutboxState.failed)
    sent = next(e for e, row in report.rows.items() if row.state is OutboxState.sent)
    server.faults = Faults()

    with pytest.raises(InvalidInput, match=f"outbox entry {sent} is sent"):
        await app.queue.retry_many([failed[0], sent])
    untouched = stores.outbox.get(failed[0])
    assert (untouched.state, untouched.attempts) == (OutboxState.failed, 1) and len(server.messages) == 2

    seen: list[int] = []
    reports = await app.queue.retry_many([*failed, failed[0]], on_progress=lambda r: seen.append(r.done))
    assert [sorted(r.rows) for r in reports] == [failed] and reports[0].complete
    assert seen[-1] == 2 and len(server.messages) == 4
    assert sorted(m.recipients[0] for m in server.messages[2:]) == [address(1), address(2)]
    assert await app.queue.list() == []


async def test_several_mails_are_dropped_together_or_none_is(app: App, stores: Stores, server: SmtpTestServer) -> None:
    server.faults.refuse = {address(1): 550, address(2): 550, address(3): 450}
    report = await send(app, await all_ids(app))
    waiting = sorted(e for e, row in report.rows.items() if row.state is not OutboxState.sent)
    sent = next(e for e, row in report.rows.items() if row.state is OutboxState.sent)

    with pytest.raises(InvalidInput, match="only mails not sent"):
        await app.queue.drop_many([waiting[0], sent])
    with pytest.raises(NotFound):
        await app.queue.drop_many([waiting[0], 999])
    assert sorted(item.entry.id for item in await app.queue.list()) == waiting

    assert await app.queue.drop_many(waiting[:2]) == 2
    assert [item.entry.id for item in await app.queue.list()] == waiting[2:]
    with pytest.raises(NotFound):
        stores.outbox.load_mime(waiting[0])


async def test_the_version_moves_with_every_change_and_only_then(app: App, server: SmtpTestServer) -> None:
    server.faults.refuse = {address(1): 550, address(2): 550}
    report = await send(app, await all_ids(app))
    failed = sorted(e for e, row in report.rows.items() if row.state is OutboxState.failed)
    server.faults = Faults()
    start = app.queue.version
    await app.queue.list()
    assert await app.queue.resume() == []  # nothing due
    assert app.queue.version == start

    await app.queue.change_address(failed[0], "compta@example.org")
    readdressed = app.queue.version
    assert readdressed > start

    seen: list[int] = []
    await app.queue.retry(failed[0], on_progress=lambda _: seen.append(app.queue.version))
    assert seen == sorted(seen) and len(set(seen)) == len(seen) and seen[0] > readdressed

    await app.queue.drop(failed[1])
    dropped = app.queue.version
    assert dropped > seen[-1]
    await app.queue.purge(timedelta(days=0))
    assert app.queue.version > dropped


async def test_each_try_is_kept_with_its_result_and_the_servers_answer(
    tmp_path: Path, app: App, server: SmtpTestServer, renderer: PdfRenderer
) -> None:
    server.faults.refuse = {address(1): 450}
    report = await send(app, await all_ids(app))
    [waiting] = [e for e, row in report.rows.items() if row.state is OutboxState.retry_waiting]
    server.faults.refuse = {address(1): 451}
    await app.queue.retry(waiting)
    server.faults = Faults()
    await app.queue.retry(waiting)
    app.close()

    with open_stores(tmp_path) as reopened:  # the tries come back from the file
        tries = reopened.outbox.get(waiting).tries
    assert [(t.state, t.code) for t in tries] == [
        (OutboxState.retry_waiting, 450),
        (OutboxState.retry_waiting, 451),
        (OutboxState.sent, None),
    ]
    assert "450" in tries[0].answer and tries[0].at <= tries[1].at <= tries[2].at


async def test_a_delivery_reads_its_entries_again_and_never_sends_a_stale_copy(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(1): 450}
    report = await send(app, await all_ids(app))
    [waiting] = [e for e, row in report.rows.items() if row.state is OutboxState.retry_waiting]
    stale = stores.outbox.get(waiting)  # as the background round read it, a moment before
    server.faults = Faults()
    await app.queue.retry(waiting)  # the user was quicker
    arrived = len(server.messages)

    late = BatchReport(batch_id="", account=ACCOUNT, test_mode=False)
    await app.deliveries.deliver([stale], await app.accounts.get(ACCOUNT), late)

    assert len(server.messages) == arrived and late.rows == {}
    assert stores.outbox.get(waiting).state is OutboxState.sent


async def test_a_mail_held_by_a_delivery_cannot_be_retried_dropped_or_readdressed(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(1): 550}
    report = await send(app, await all_ids(app))
    [failed] = [e for e, row in report.rows.items() if row.state is OutboxState.failed]

    with app.deliveries.holding([failed]):
        for action in (
            app.queue.retry(failed),
            app.queue.drop(failed),
            app.queue.change_address(failed, "compta@example.org"),
        ):
            with pytest.raises(InvalidInput, match="being sent right now"):
                await action
    assert stores.outbox.get(failed).state is OutboxState.failed
    await app.queue.drop(failed)  # released: the user may act again
