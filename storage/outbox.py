"""The outbox: entries in outbox.json, the exact bytes of each message in outbox/<id>.eml.

A message's bytes are on disk (fsynced) before its entry is committed, so an entry never points at a missing file.
A crash between the two leaves only an orphan .eml, which the next message with that id overwrites.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from threading import RLock

from tinydb import TinyDB
from tinydb.table import Table

from batchmail.errors import NotFound, StoreError
from batchmail.outbox import OutboxEntry, OutboxState
from storage.atomic import Doc, decoded, put_documents, raw_documents, storage_of, sync_folder, write_atomic_no_dir_sync
from storage.codec import decode_outbox_entry, encode_outbox_entry

TABLE = "entries"
_INTERRUPTED = "the app stopped while this message was being sent: it may have left"


class OutboxRepository:
    def __init__(self, db: TinyDB, folder: Path, lock: RLock) -> None:
        self._db = db
        self._folder = folder
        self._lock = lock
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
            written: list[Path] = []
            try:
                for entry, mime in pairs:
                    written.append(self._mime_path(entry.id))
                    write_atomic_no_dir_sync(written[-1], mime)
                sync_folder(self._folder)
                put_documents(self._table, {entry.id: encode_outbox_entry(entry) for entry, _ in pairs})
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
        self.get(entry_id)
        path = self._mime_path(entry_id)
        try:
            return path.read_bytes()
        except OSError as err:
            raise StoreError(path, f"the message of outbox entry {entry_id} cannot be read ({err.strerror})") from err

    def save(self, entry: OutboxEntry) -> None:
        """Store the new state of an entry; on disk when this returns."""
        self.save_many([entry])

    def save_many(self, entries: Iterable[OutboxEntry]) -> None:
        """Store the new state of several entries in one write."""
        with self._lock:
            entries = list(entries)
            docs = self._docs()
            for entry in entries:
                if str(entry.id) not in docs:
                    raise NotFound(f"outbox entry {entry.id} does not exist")
            old_hashes = {entry.id: docs[str(entry.id)]["content_hash"] for entry in entries}
            put_documents(self._table, {entry.id: encode_outbox_entry(entry) for entry in entries})
            for entry in entries:
                self._by_hash.get(old_hashes[entry.id], set()).discard(entry.id)
                self._by_hash.setdefault(entry.content_hash, set()).add(entry.id)

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

    def sent_with_hash(self, content_hash: str, recipient: str) -> OutboxEntry | None:
        """An entry already sent with exactly this content to this recipient (compared without case), if any."""
        wanted = recipient.casefold()
        with self._lock:
            docs = self._docs()
            for entry_id in sorted(self._by_hash.get(content_hash, ())):
                doc = docs[str(entry_id)]
                if doc["state"] == OutboxState.sent and wanted in {r.casefold() for r in doc["recipients"]}:
                    return self._decode(str(entry_id), doc)
            return None

    def drop(self, entry_id: int) -> None:
        """Remove an entry and its message file."""
        with self._lock:
            doc = self._docs().get(str(entry_id))
            if doc is None:
                raise NotFound(f"outbox entry {entry_id} does not exist")
            content_hash = doc["content_hash"]
            self._table.remove(doc_ids=[entry_id])
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
