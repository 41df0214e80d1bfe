"""The outbox: message bytes on disk before their entry, due entries, stale sends made uncertain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from batchmail.errors import NotFound, StoreError
from batchmail.sending.outbox import OutboxState
from storage.stores import Stores, open_stores
from tests.sendkit import outbox_on_disk
from tests.storage.conftest import make_entry

MIME = b"From: shop@example.org\r\nSubject: Facture\r\n\r\nBonjour\r\n"


def test_add_many_writes_the_messages_in_one_file_then_commits_every_entry(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        first, second = stores.outbox.add_many([(make_entry(), MIME), (make_entry(content_hash="h2"), MIME + b"2")])
        assert (first.id, second.id) == (1, 2)
        [batch_file] = (tmp_path / "outbox").iterdir()
        assert batch_file.read_bytes() == MIME + MIME + b"2"
    with open_stores(tmp_path) as stores:
        assert stores.outbox.get(1) == first
        assert [stores.outbox.load_mime(1), stores.outbox.load_mime(2)] == [MIME, MIME + b"2"]
        assert stores.outbox.add_many([(make_entry(), MIME + b"3")])[0].id == 3
        assert stores.outbox.load_mime(3) == MIME + b"3"
        assert len(list((tmp_path / "outbox").iterdir())) == 2


def test_a_batch_file_goes_with_the_last_entry_that_reads_from_it(stores: Stores) -> None:
    folder = stores.data_dir / "outbox"
    first, second = stores.outbox.add_many([(make_entry(content_hash=str(n)), MIME) for n in range(2)])
    [batch_file] = folder.iterdir()
    stores.outbox.drop(first.id)
    assert batch_file.exists() and stores.outbox.load_mime(second.id) == MIME
    second.state, second.sent_at = OutboxState.sent, datetime(2026, 1, 1, tzinfo=UTC)
    stores.outbox.save(second)
    assert stores.outbox.purge_sent(datetime(2026, 2, 1, tzinfo=UTC)) == 1
    assert list(folder.iterdir()) == []


def test_message_files_no_entry_reads_are_left_alone_or_removed_at_open(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        entry = stores.outbox.add_many([(make_entry(), MIME)])[0]
    folder = tmp_path / "outbox"
    (folder / f"{entry.id}.eml").write_bytes(b"an orphan from before the entry existed")
    orphan_batch = folder / "batch-7-0badc0de.mime"
    orphan_batch.write_bytes(MIME)  # written, then the app stopped before its entries were committed
    with open_stores(tmp_path) as stores:
        assert stores.outbox.load_mime(entry.id) == MIME
        assert not orphan_batch.exists()
        assert len(list(folder.glob("batch-*.mime"))) == 1


def test_entries_written_before_batch_files_read_their_own_file(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        entry = stores.outbox.add_many([(make_entry(), MIME)])[0]
    for batch_file in (tmp_path / "outbox").iterdir():
        batch_file.unlink()
    (tmp_path / "outbox" / f"{entry.id}.eml").write_bytes(MIME + b"old")
    path = tmp_path / "outbox.json"
    data = orjson.loads(path.read_bytes())
    del data["entries"][str(entry.id)]["mime_at"]
    path.write_bytes(orjson.dumps(data))
    with open_stores(tmp_path) as stores:
        assert stores.outbox.load_mime(entry.id) == MIME + b"old"
        stores.outbox.drop(entry.id)
    assert list((tmp_path / "outbox").iterdir()) == []


def test_a_batch_file_cut_short_is_reported(stores: Stores) -> None:
    first, second = stores.outbox.add_many([(make_entry(content_hash=str(n)), MIME) for n in range(2)])
    [batch_file] = (stores.data_dir / "outbox").iterdir()
    batch_file.write_bytes(MIME + MIME[:10])
    assert stores.outbox.load_mime(first.id) == MIME
    with pytest.raises(StoreError, match="cut short"):
        stores.outbox.load_mime(second.id)
    batch_file.unlink()
    with pytest.raises(StoreError, match="cannot be read"):
        stores.outbox.load_mime(first.id)


def test_a_failed_commit_leaves_no_message_file(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = make_entry()
    broken.created_at = "not a date"  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        stores.outbox.add_many([(make_entry(), MIME), (broken, MIME)])

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("storage.outbox.put_documents", disk_full)  # the messages are written, their entries not
    with pytest.raises(OSError, match="No space"):
        stores.outbox.add_many([(make_entry(), MIME)])
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
    on_disk = outbox_on_disk(tmp_path)
    assert on_disk[sending.id]["state"] == "uncertain"
    assert "may have left" in on_disk[sending.id]["last_error"]
    assert on_disk[queued.id]["state"] == "queued"


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


def test_duplicate_of_finds_the_same_content_to_the_same_recipients_unless_it_failed(stores: Stores) -> None:
    entry = stores.outbox.add_many([(make_entry(content_hash="abc", recipient="Ana@Example.org"), MIME)])[0]
    recipients = ["ana@example.org", "ARCHIVE@example.org"]
    assert stores.outbox.duplicate_of("abc", recipients) == entry  # queued: on its way
    assert stores.outbox.duplicate_of("abc", ["ana@example.org"]) is None
    assert stores.outbox.duplicate_of("other", recipients) is None
    entry.state = OutboxState.failed
    stores.outbox.save(entry)
    assert stores.outbox.duplicate_of("abc", recipients) is None
    later = stores.outbox.add_many([(make_entry(content_hash="abc", recipient="ana@example.org"), MIME)])[0]
    assert stores.outbox.duplicate_of("abc", recipients) == later
    entry.state, entry.sent_at = OutboxState.sent, datetime(2026, 3, 1, tzinfo=UTC)
    stores.outbox.save(entry)
    assert stores.outbox.duplicate_of("abc", recipients) == entry  # a sent one before one still queued


def test_sent_since_gives_the_accounts_send_times(stores: Stores) -> None:
    entries = stores.outbox.add_many([(make_entry(content_hash=str(n)), MIME) for n in range(4)])
    moments = [datetime(2026, 3, 14, 9, n, tzinfo=UTC) for n in range(4)]
    for entry, moment in zip(entries, moments, strict=True):
        entry.state, entry.sent_at = OutboxState.sent, moment
    entries[3].account = "other"
    stores.outbox.save_many(entries)
    assert stores.outbox.sent_since("test-mailbox", moments[1]) == moments[1:3]


def test_unrecorded_sent_entries_are_found_and_older_files_count_as_recorded(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        sent, old = stores.outbox.add_many([(make_entry(), MIME), (make_entry(content_hash="h2"), MIME)])
        sent.state = old.state = OutboxState.sent
        stores.outbox.save_many([sent, old])
        assert [e.id for e in stores.outbox.unrecorded()] == [sent.id, old.id]
    open_stores(tmp_path).close()  # opening folds the journal into outbox.json
    path = tmp_path / "outbox.json"
    data = orjson.loads(path.read_bytes())
    for key in ("recorded", "kind", "dsn", "server_reply"):
        del data["entries"][str(old.id)][key]  # as written before these fields existed
    path.write_bytes(orjson.dumps(data))
    with open_stores(tmp_path) as stores:
        assert [e.id for e in stores.outbox.unrecorded()] == [sent.id]
        assert stores.outbox.get(old.id).kind == "piece"


def test_purge_removes_sent_entries_older_than_the_limit_with_their_messages(stores: Stores) -> None:
    old, recent, failed = stores.outbox.add_many([(make_entry(content_hash=str(n)), MIME) for n in range(3)])
    old.state, old.sent_at = OutboxState.sent, datetime(2026, 1, 1, tzinfo=UTC)
    recent.state, recent.sent_at = OutboxState.sent, datetime(2026, 3, 1, tzinfo=UTC)
    failed.state = OutboxState.failed
    stores.outbox.save_many([old, recent, failed])
    assert stores.outbox.purge_sent(datetime(2026, 2, 1, tzinfo=UTC)) == 1
    assert [e.id for e in stores.outbox.in_state(*OutboxState)] == [recent.id, failed.id]
    assert not (stores.data_dir / "outbox" / f"{old.id}.eml").exists()
    assert stores.outbox.duplicate_of(old.content_hash, old.recipients) is None
    assert stores.outbox.purge_sent(datetime(2026, 2, 1, tzinfo=UTC)) == 0


def test_replace_message_writes_the_new_bytes_and_state(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        entry = stores.outbox.add_many([(make_entry(), MIME)])[0]
        entry.recipients, entry.content_hash = ["bo@example.org"], "new"
        stores.outbox.replace_message(entry, MIME + b"bo")
        entry.state = OutboxState.sending
        stores.outbox.save(entry)  # a later change of state keeps reading the new bytes
    open_stores(tmp_path).close()  # the journal folded into outbox.json
    with open_stores(tmp_path) as stores:
        assert stores.outbox.load_mime(entry.id) == MIME + b"bo"
        assert stores.outbox.get(entry.id).recipients == ["bo@example.org"]
        assert stores.outbox.duplicate_of("new", ["bo@example.org"]) == entry


def test_state_changes_go_to_the_journal_and_survive_a_restart(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        entries = stores.outbox.add_many([(make_entry(content_hash=str(n)), MIME) for n in range(3)])
        snapshot = (tmp_path / "outbox.json").read_bytes()
        for state, entry in zip((OutboxState.sending, OutboxState.sent, OutboxState.failed), entries, strict=True):
            entry.state = state
            stores.outbox.save(entry)
        assert (tmp_path / "outbox.json").read_bytes() == snapshot  # no full rewrite for a change of state
        assert len((tmp_path / "outbox.journal").read_bytes().splitlines()) == 4  # its generation, then 3 changes
    with open(tmp_path / "outbox.journal", "ab") as journal:
        journal.write(b'{"id": "1", "doc": {"state": "sen')  # a crash in the middle of an append
    with open_stores(tmp_path) as stores:
        assert [stores.outbox.get(e.id).state for e in entries] == [e.state for e in entries]
        assert not (tmp_path / "outbox.journal").exists()  # folded into outbox.json at open
    assert {key: doc["state"] for key, doc in outbox_on_disk(tmp_path).items()} == {
        1: "sending",
        2: "sent",
        3: "failed",
    }


def test_a_journal_cut_short_is_ignored_and_a_damaged_one_refused(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        entry = stores.outbox.add_many([(make_entry(), MIME)])[0]
    (tmp_path / "outbox.journal").write_bytes(b'{"generation"')
    with open_stores(tmp_path) as stores:
        assert stores.outbox.get(entry.id) == entry
    generation = orjson.loads((tmp_path / "outbox.json").read_bytes())["journal"]["1"]["generation"]
    (tmp_path / "outbox.journal").write_bytes(b'{"generation": %d}\n{"id": "1", "do\n{"id"' % generation)
    with pytest.raises(StoreError, match=r"outbox\.journal: a line cannot be read"):
        open_stores(tmp_path)  # a whole line that is not JSON is damage, not a crash: the user must see it


def test_a_journal_older_than_outbox_json_is_never_replayed(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        first = stores.outbox.add_many([(make_entry(), MIME)])[0]
        first.state = OutboxState.sending
        stores.outbox.save(first)
        stale = (tmp_path / "outbox.journal").read_bytes()
        first.state = OutboxState.sent
        stores.outbox.save(first)
        stores.outbox.add_many([(make_entry(content_hash="h2"), MIME)])  # a full write: a new generation
    (tmp_path / "outbox.journal").write_bytes(stale)  # as if its removal had not reached the disk
    with open_stores(tmp_path) as stores:
        assert stores.outbox.get(first.id).state is OutboxState.sent


def test_a_long_journal_is_folded_into_outbox_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storage.outbox._FOLD_AT_LEAST", 4)
    with open_stores(tmp_path) as stores:
        entry = stores.outbox.add_many([(make_entry(), MIME)])[0]
        for attempt in range(1, 4):
            entry.attempts = attempt
            stores.outbox.save(entry)
        assert (tmp_path / "outbox.journal").exists()
        entry.attempts = 4
        stores.outbox.save(entry)
        assert not (tmp_path / "outbox.journal").exists()
        assert orjson.loads((tmp_path / "outbox.json").read_bytes())["entries"]["1"]["attempts"] == 4
        entry.attempts = 5
        stores.outbox.save(entry)  # a new journal
    with open_stores(tmp_path) as stores:
        assert stores.outbox.get(entry.id).attempts == 5
