"""The outbox: message bytes on disk before their entry, due entries, stale sends made uncertain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from batchmail.errors import NotFound
from batchmail.outbox import OutboxState
from storage.stores import Stores, open_stores
from tests.storage.conftest import make_entry

MIME = b"From: shop@example.org\r\nSubject: Facture\r\n\r\nBonjour\r\n"


def test_add_many_writes_each_message_then_commits_every_entry(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        first, second = stores.outbox.add_many([(make_entry(), MIME), (make_entry(content_hash="h2"), MIME + b"2")])
        assert (first.id, second.id) == (1, 2)
        assert (tmp_path / "outbox" / "2.eml").read_bytes() == MIME + b"2"
    with open_stores(tmp_path) as stores:
        assert stores.outbox.get(1) == first
        assert stores.outbox.load_mime(2) == MIME + b"2"
        assert stores.outbox.add_many([(make_entry(), MIME)])[0].id == 3


def test_a_failed_commit_leaves_no_message_file(stores: Stores) -> None:
    broken = make_entry()
    broken.created_at = "not a date"  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        stores.outbox.add_many([(make_entry(), MIME), (broken, MIME)])
    assert list((stores.data_dir / "outbox").iterdir()) == []
    assert stores.outbox.in_state(*OutboxState) == []


def test_pending_gives_queued_and_retries_that_are_due(stores: Stores) -> None:
    now = datetime(2026, 3, 14, 12, 0)
    entries = stores.outbox.add_many(
        [(make_entry(batch_id=b, content_hash=str(n)), MIME) for n, b in enumerate("aabbb")]
    )
    queued, due, later, sent, aware_due = entries
    due.state = later.state = aware_due.state = OutboxState.retry_waiting
    due.next_try, later.next_try = now - timedelta(seconds=1), now + timedelta(minutes=5)
    aware_due.next_try = datetime(2020, 1, 1, tzinfo=UTC)
    sent.state = OutboxState.sent
    stores.outbox.save_many([due, later, sent, aware_due])
    assert [e.id for e in stores.outbox.pending(now=now)] == [queued.id, due.id, aware_due.id]
    assert [e.id for e in stores.outbox.pending(batch_id="a", now=now)] == [queued.id, due.id]
    assert [e.id for e in stores.outbox.pending(batch_id="b", now=now + timedelta(minutes=5))] == [
        later.id,
        aware_due.id,
    ]
    assert [e.id for e in stores.outbox.pending(batch_id="b", now=now)] == [aware_due.id]
    assert [e.id for e in stores.outbox.pending(batch_id="b")] == [later.id, aware_due.id]  # now: long after 2026-03
    assert [e.id for e in stores.outbox.in_state(OutboxState.sent, OutboxState.queued)] == [queued.id, sent.id]
    assert [e.id for e in stores.outbox.by_batch("b")] == [later.id, sent.id, aware_due.id]


def test_stale_sending_entries_become_uncertain_on_disk(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        sending, queued = stores.outbox.add_many([(make_entry(), MIME), (make_entry(content_hash="h2"), MIME)])
        sending.state = OutboxState.sending
        stores.outbox.save(sending)
    with open_stores(tmp_path) as stores:  # the app restarts after a crash
        assert stores.outbox.mark_stale_sending_uncertain() == 1
        assert stores.outbox.mark_stale_sending_uncertain() == 0
    on_disk = orjson.loads((tmp_path / "outbox.json").read_bytes())["entries"]
    assert on_disk[str(sending.id)]["state"] == "uncertain"
    assert "may have left" in on_disk[str(sending.id)]["last_error"]
    assert on_disk[str(queued.id)]["state"] == "queued"


def test_sent_with_hash_finds_an_exact_resend_only_once_sent(stores: Stores) -> None:
    entry = stores.outbox.add_many([(make_entry(content_hash="abc", recipient="Ana@Example.org"), MIME)])[0]
    assert stores.outbox.sent_with_hash("abc", "ana@example.org") is None
    entry.state = OutboxState.sent
    stores.outbox.save(entry)
    assert stores.outbox.sent_with_hash("abc", "ana@example.org") == entry
    assert stores.outbox.sent_with_hash("abc", "bo@example.org") is None
    assert stores.outbox.sent_with_hash("other", "ana@example.org") is None


def test_drop_removes_the_entry_and_its_message(stores: Stores) -> None:
    entry = stores.outbox.add_many([(make_entry(), MIME)])[0]
    stores.outbox.drop(entry.id)
    assert not (stores.data_dir / "outbox" / f"{entry.id}.eml").exists()
    with pytest.raises(NotFound):
        stores.outbox.get(entry.id)
    with pytest.raises(NotFound):
        stores.outbox.load_mime(entry.id)
    with pytest.raises(NotFound):
        stores.outbox.save(entry)


def test_adding_nothing_writes_nothing(stores: Stores) -> None:
    assert stores.outbox.add_many([]) == []
    assert not (stores.data_dir / "outbox.json").exists()
