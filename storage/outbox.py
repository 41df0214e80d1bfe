"""The outbox: entries in outbox.json, the exact bytes of each message in outbox/<id>.eml, and the state changes
since outbox.json was last written in outbox.journal.

A message's bytes are on disk (fsynced) before its entry is committed, so an entry never points at a missing file.
A crash between the two leaves only an orphan .eml, which the next message with that id overwrites.

A state change (queued -> sending -> sent...) happens once or twice per message: rewriting the whole outbox.json
for each would cost more the larger the outbox grows (~140 ms at 100,000 entries). So a change is appended to the
journal and fsynced instead, a few hundred bytes whatever the size. The journal is replayed over outbox.json when
the store opens, and folded into it (a full write) when it has grown as long as the outbox, and by every write that
adds or removes entries. Each full write carries a new generation number, and the journal starts with the
generation it extends: a journal left over from an older generation is never replayed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from threading import RLock

import orjson
from tinydb import TinyDB
from tinydb.table import Table

from batchmail.errors import NotFound, StoreError
from batchmail.files import write_atomic
from batchmail.outbox import DUPLICATE_STATES, OutboxEntry, OutboxState, same_recipients
from storage.atomic import Doc, decoded, put_documents, raw_documents, storage_of, sync_folder, write_atomic_no_dir_sync
from storage.codec import decode_outbox_entry, encode_outbox_entry

TABLE = "entries"
JOURNAL = "outbox.journal"
_GENERATION_TABLE = "journal"  # in outbox.json: {"1": {"generation": n}}, the journal generation it starts
_FOLD_AT_LEAST = 1000  # journal lines before it is folded into outbox.json (more when the outbox is larger)
_WRITERS = 8  # threads writing a batch's message files
_INTERRUPTED = "the app stopped while this message was being sent: it may have left"


class OutboxRepository:
    def __init__(self, db: TinyDB, folder: Path, lock: RLock) -> None:
        self._db = db
        self._folder = folder
        self._lock = lock
        self._journal = _Journal(storage_of(db).path.with_name(JOURNAL))
        if self._journal.path.exists():  # changes made since outbox.json was written: replayed, then folded in
            self._replay()
            self._full_write(lambda: None)
        self._by_hash: dict[str, set[int]] = {}
        for key, doc in self._docs().items():
            self._by_hash.setdefault(decoded(storage_of(db).path, key, _hash_of, doc), set()).add(int(key))

    def add_many(self, entries_with_mime: Iterable[tuple[OutboxEntry, bytes]]) -> list[OutboxEntry]:
        """Queue messages: their .eml files are written and synced first, then every entry in one write.
        Returns the entries with their ids."""
        with self._lock:
            first = max(map(int, self._docs()), default=0) + 1
            pairs = [(dataclasses.replace(e, id=first + n), mime) for n, (e, mime) in enumerate(entries_with_mime)]
            if not pairs:
                return []
            written = [self._mime_path(entry.id) for entry, _ in pairs]
            try:
                # Several files at once: their fsyncs wait on the disk together rather than one after the other.
                with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
                    list(pool.map(write_atomic_no_dir_sync, written, [mime for _, mime in pairs]))
                sync_folder(self._folder)
                docs = {entry.id: encode_outbox_entry(entry) for entry, _ in pairs}
                self._full_write(lambda: put_documents(self._table, docs))
            except BaseException:
                for path in written:
                    with suppress(OSError):
                        path.unlink()
                raise
            for entry, _ in pairs:
                self._by_hash.setdefault(entry.content_hash, set()).add(entry.id)
            return [entry for entry, _ in pairs]

    def get(self, entry_id: int) -> OutboxEntry:
        with self._lock:
            doc = self._docs().get(str(entry_id))
            if doc is None:
                raise NotFound(f"outbox entry {entry_id} does not exist")
            return self._decode(str(entry_id), doc)

    def load_mime(self, entry_id: int) -> bytes:
        """The exact bytes of the message, as they will be handed to the transport."""
        path = self._mime_path(entry_id)
        try:
            return path.read_bytes()  # without the lock: a file is written before its entry exists
        except OSError as err:
            self.get(entry_id)  # NotFound for an entry that was dropped
            raise StoreError(path, f"the message of outbox entry {entry_id} cannot be read ({err.strerror})") from err

    def save(self, entry: OutboxEntry) -> None:
        """Store the new state of an entry; on disk when this returns."""
        self.save_many([entry])

    def save_many(self, entries: Iterable[OutboxEntry]) -> None:
        """Store the new state of several entries in one append to the journal; on disk when this returns."""
        with self._lock:
            entries = list(entries)
            docs = self._docs()
            for entry in entries:
                if str(entry.id) not in docs:
                    raise NotFound(f"outbox entry {entry.id} does not exist")
            old_hashes = {entry.id: docs[str(entry.id)]["content_hash"] for entry in entries}
            changed = {str(entry.id): encode_outbox_entry(entry) for entry in entries}
            self._journal.append(self._generation(), changed)
            docs.update(changed)  # memory follows the disk
            for entry in entries:
                self._by_hash.get(old_hashes[entry.id], set()).discard(entry.id)
                self._by_hash.setdefault(entry.content_hash, set()).add(entry.id)
            if self._journal.lines >= max(_FOLD_AT_LEAST, len(docs)):
                self._full_write(lambda: None)

    def pending(self, batch_id: str | None = None, now: datetime | None = None) -> list[OutboxEntry]:
        """What is due for sending, oldest first: queued entries, and retry_waiting ones whose next try has come.
        `now` defaults to the present; a naive date-time (here or in an entry) is taken as local time."""
        moment = _aware(now or datetime.now(UTC))

        def due(doc: Doc) -> bool:
            if batch_id is not None and doc["batch_id"] != batch_id:
                return False
            if doc["state"] == OutboxState.queued:
                return True
            if doc["state"] != OutboxState.retry_waiting:
                return False
            if doc["next_try"] is None:
                return True
            return _aware(datetime.fromisoformat(doc["next_try"])) <= moment

        return self._where(due)

    def in_state(self, *states: OutboxState) -> list[OutboxEntry]:
        wanted = {state.value for state in states}
        return self._where(lambda doc: doc["state"] in wanted)

    def by_batch(self, batch_id: str) -> list[OutboxEntry]:
        return self._where(lambda doc: doc["batch_id"] == batch_id)

    def duplicate_of(self, content_hash: str, recipients: list[str]) -> OutboxEntry | None:
        """An entry with exactly this content for the same recipients (compared without case) that is sent, on its
        way or uncertain, if any: the most recently sent one first, else the newest."""
        with self._lock:
            docs = self._docs()
            found = [
                self._decode(str(entry_id), doc)
                for entry_id in self._by_hash.get(content_hash, ())
                if (doc := docs[str(entry_id)])["state"] in DUPLICATE_STATES
                and same_recipients(doc["recipients"], recipients)
            ]
        if not found:
            return None
        return max(found, key=lambda e: (e.state is OutboxState.sent, e.sent_at or e.created_at, e.id))

    def sent_since(self, account: str, since: datetime) -> list[datetime]:
        """When the account's messages sent at or after `since` left, oldest first (a pace's memory)."""
        moment = _aware(since)
        with self._lock:
            times = [
                sent_at
                for doc in self._docs().values()
                if doc["state"] == OutboxState.sent
                and doc["account"] == account
                and doc["sent_at"] is not None
                and (sent_at := _aware(datetime.fromisoformat(doc["sent_at"]))) >= moment
            ]
        return sorted(times)

    def unrecorded(self) -> list[OutboxEntry]:
        """Sent entries not yet written on their pieces and contact (the app stopped in between)."""
        return self._where(lambda doc: doc["state"] == OutboxState.sent and not doc.get("recorded", True))

    def replace_message(self, entry: OutboxEntry, mime: bytes) -> None:
        """New bytes for an entry's message (an edited address), then its new state; each durable."""
        with self._lock:
            self.get(entry.id)
            write_atomic(self._mime_path(entry.id), mime)
            self.save(entry)

    def purge_sent(self, before: datetime) -> int:
        """Remove the sent entries that left before `before`, with their message files. Returns how many."""
        moment = _aware(before)
        with self._lock:
            old = [
                int(key)
                for key, doc in self._docs().items()
                if doc["state"] == OutboxState.sent
                and doc["sent_at"] is not None
                and _aware(datetime.fromisoformat(doc["sent_at"])) < moment
            ]
            if not old:
                return 0
            hashes = {entry_id: self._docs()[str(entry_id)]["content_hash"] for entry_id in old}
            self._full_write(lambda: self._table.remove(doc_ids=old))
            for entry_id in old:
                self._by_hash.get(hashes[entry_id], set()).discard(entry_id)
                self._mime_path(entry_id).unlink(missing_ok=True)
            return len(old)

    def drop(self, entry_id: int) -> None:
        """Remove an entry and its message file."""
        with self._lock:
            doc = self._docs().get(str(entry_id))
            if doc is None:
                raise NotFound(f"outbox entry {entry_id} does not exist")
            content_hash = doc["content_hash"]
            self._full_write(lambda: self._table.remove(doc_ids=[entry_id]))
            self._by_hash.get(content_hash, set()).discard(entry_id)
            self._mime_path(entry_id).unlink(missing_ok=True)

    def mark_stale_sending_uncertain(self) -> int:
        """At start-up: a message still marked `sending` was cut off by a crash and may have left. It becomes
        `uncertain`, so it is never resent without the user's say. Returns how many were changed."""
        with self._lock:
            stale = self.in_state(OutboxState.sending)
            for entry in stale:
                entry.state = OutboxState.uncertain
                entry.last_error = _INTERRUPTED
            if stale:
                self.save_many(stale)
            return len(stale)

    def _generation(self) -> int:
        generation: int = raw_documents(self._db, _GENERATION_TABLE).get("1", {}).get("generation", 0)
        return generation

    def _full_write(self, change: Callable[[], object]) -> None:
        """`change` (or nothing) and every change of the journal, in one write of outbox.json that starts a new
        journal generation; then the old journal goes."""
        generation = self._generation() + 1
        try:
            with storage_of(self._db).batch():
                change()
                put_documents(self._db.table(_GENERATION_TABLE), {1: {"generation": generation}})
        except BaseException:
            self._replay()  # the failed write reloaded outbox.json into memory: the journal's changes go back on
            raise
        self._journal.restart()

    def _replay(self) -> None:
        docs = self._docs() if TABLE in storage_of(self._db).read() else None
        changes = self._journal.read(self._generation())
        if changes and docs is None:
            raise StoreError(self._journal.path, "changes to an outbox that has no entries")
        if docs is not None:
            docs.update((key, doc) for key, doc in changes.items() if key in docs)

    @property
    def _table(self) -> Table:
        return self._db.table(TABLE)

    def _docs(self) -> dict[str, Doc]:
        return raw_documents(self._db, TABLE)

    def _mime_path(self, entry_id: int) -> Path:
        return self._folder / f"{entry_id}.eml"

    def _decode(self, key: str, doc: Doc) -> OutboxEntry:
        return decoded(storage_of(self._db).path, key, decode_outbox_entry, doc)

    def _where(self, keep: Callable[[Doc], bool]) -> list[OutboxEntry]:
        with self._lock:
            path = storage_of(self._db).path
            found = [self._decode(key, doc) for key, doc in self._docs().items() if decoded(path, key, keep, doc)]
            found.sort(key=lambda entry: entry.id)
            return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


def _hash_of(doc: Doc) -> str:
    content_hash = doc["content_hash"]
    if not isinstance(content_hash, str):
        raise TypeError(f"content_hash is a {type(content_hash).__name__}")
    return content_hash


class _Journal:
    """Appended state changes of existing entries, one JSON line each, after a first line naming the generation of
    outbox.json they extend. A line cut short by a crash was never acknowledged: it is ignored. The file is opened
    for each append only, so no handle outlives the store (Windows cannot remove a file that is open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self._started = False  # this generation's file exists, header written

    def append(self, generation: int, docs: Mapping[str, Doc]) -> None:
        payload = b"".join(orjson.dumps({"id": key, "doc": doc}) + b"\n" for key, doc in docs.items())
        if not self._started:
            payload = orjson.dumps({"generation": generation}) + b"\n" + payload
        with open(self.path, "ab" if self._started else "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        if not self._started:
            sync_folder(self.path.parent)
            self._started = True
        self.lines += len(docs)

    def read(self, generation: int) -> dict[str, Doc]:
        """The last state of each entry the journal holds, if it extends `generation`; else nothing."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        *complete, _torn = raw.split(b"\n")
        if not complete:
            return {}  # created, then the app stopped before its first line was whole
        try:
            header, *lines = [orjson.loads(line) for line in complete]
        except (orjson.JSONDecodeError, ValueError) as err:
            raise StoreError(self.path, f"a line cannot be read: {err}") from err
        if header.get("generation") != generation:
            return {}  # outbox.json was written after this journal: everything in it is there already
        return {str(line["id"]): line["doc"] for line in lines}

    def restart(self) -> None:
        """Forget the journal: outbox.json now holds everything in it."""
        self.path.unlink(missing_ok=True)
        self._started = False
        self.lines = 0
