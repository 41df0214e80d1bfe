"""The outbox: entries in outbox.json, the exact bytes of their messages in outbox/, and the state changes since
outbox.json was last written in outbox.journal.

The messages that `add_many` queues together go into one file, `outbox/batch-<first id>-<random>.mime`, end to end;
an entry's document says where its message is (`mime_at`: file, offset, size). One file and one fsync per batch: a
file per message cost more than building the message. A message edited later (a new address) gets its own
`outbox/<id>.eml`, as every message did before batch files; an entry without `mime_at` is read from there.

A message's bytes are on disk (fsynced) before its entry is committed. A crash in between leaves an orphan: a batch
file no entry names is removed at open; an orphan .eml is never read (an entry reads its batch file) and is
overwritten if its entry's message is edited.

A state change (queued -> sending -> sent...) happens once or twice per message: rewriting the whole outbox.json
for each would cost more the larger the outbox grows (~140 ms at 100,000 entries). So a change is appended to the
journal and fsynced instead, a few hundred bytes whatever the size. The journal is replayed over outbox.json when
the store opens, and folded into it (a full write) when it has grown as long as the outbox, and by every write that
adds or removes entries. Each full write carries a new generation number, and the journal starts with the
generation it extends: a journal left over from an older generation is never replayed.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from threading import RLock

from tinydb import TinyDB
from tinydb.table import Table

from batchmail.errors import NotFound, StoreError
from batchmail.files import sync_folder, write_atomic, write_atomic_no_dir_sync
from batchmail.sending.outbox import DUPLICATE_STATES, PENDING_STATES, OutboxEntry, OutboxState, same_recipients
from storage.atomic import Doc, decoded, put_documents, raw_documents, storage_of
from storage.journal import Journal
from storage.mail_codec import decode_outbox_entry, encode_outbox_entry

TABLE = "entries"
JOURNAL = "outbox.journal"
_GENERATION_TABLE = "journal"  # in outbox.json: {"1": {"generation": n}}, the journal generation it starts
_FOLD_AT_LEAST = 1000  # journal lines before it is folded into outbox.json (more when the outbox is larger)
_MIME_AT = "mime_at"  # in an entry's document: [batch file name, offset, size] of its message's bytes
_BATCH_FILES = "batch-*.mime"
_INTERRUPTED = "the app stopped while this message was being sent: it may have left"


class OutboxRepository:
    def __init__(self, db: TinyDB, folder: Path, lock: RLock) -> None:
        self._db = db
        self._folder = folder
        self._lock = lock
        self._journal = Journal(storage_of(db).path.with_name(JOURNAL))
        if self._journal.path.exists():  # changes made since outbox.json was written: replayed, then folded in
            self._replay()
            self._full_write(lambda: None)
        self._by_hash: dict[str, set[int]] = {}
        for key, doc in self._docs().items():
            self._by_hash.setdefault(decoded(storage_of(db).path, key, _hash_of, doc), set()).add(int(key))
        self._remove_batch_files(set(self._folder.glob(_BATCH_FILES)))  # left by a crash before their commit

    def add_many(self, entries_with_mime: Iterable[tuple[OutboxEntry, bytes]]) -> list[OutboxEntry]:
        """Queue messages: their bytes are written to one batch file and synced first, then every entry in one
        write. Returns the entries with their ids."""
        with self._lock:
            first = max(map(int, self._docs()), default=0) + 1
            pairs = [(dataclasses.replace(e, id=first + n), mime) for n, (e, mime) in enumerate(entries_with_mime)]
            if not pairs:
                return []
            batch_file = self._folder / f"batch-{first}-{secrets.token_hex(4)}.mime"
            docs: dict[int, Doc] = {}
            offset = 0
            for entry, mime in pairs:
                docs[entry.id] = {**encode_outbox_entry(entry), _MIME_AT: [batch_file.name, offset, len(mime)]}
                offset += len(mime)
            try:
                write_atomic_no_dir_sync(batch_file, b"".join(mime for _, mime in pairs))
                sync_folder(self._folder)
                self._full_write(lambda: put_documents(self._table, docs))
            except BaseException:
                with suppress(OSError):
                    batch_file.unlink()
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
        # Without the lock, so a message loads while another entry is saved: its file is written before its entry
        # exists, and a change of an entry replaces its document rather than changing it.
        doc = self._docs().get(str(entry_id))
        if doc is None:
            raise NotFound(f"outbox entry {entry_id} does not exist")
        mime_at = doc.get(_MIME_AT)
        if mime_at is None:
            path, offset, size = self._mime_path(entry_id), 0, -1
        else:
            path, offset, size = self._folder / mime_at[0], mime_at[1], mime_at[2]
        try:
            with open(path, "rb") as file:
                file.seek(offset)
                mime = file.read(size)
        except OSError as err:
            raise StoreError(path, f"the message of outbox entry {entry_id} cannot be read ({err.strerror})") from err
        if size >= 0 and len(mime) != size:
            raise StoreError(path, f"the message of outbox entry {entry_id} is cut short")
        return mime

    def save(self, entry: OutboxEntry) -> None:
        """Store the new state of an entry; on disk when this returns."""
        self.save_many([entry])

    def save_many(self, entries: Iterable[OutboxEntry]) -> None:
        """Store the new state of several entries in one append to the journal; on disk when this returns."""
        self._save_many(entries, keep_message=True)

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

    def pending_among(self, entry_ids: Iterable[int]) -> list[OutboxEntry]:
        """The entries among `entry_ids` that still wait to be sent (queued or due later), as stored now, in the
        order given; the others (sent, failed, dropped meanwhile...) are left out."""
        with self._lock:
            docs = self._docs()
            found = [(key, docs.get(key)) for key in map(str, entry_ids)]
            entries = [self._decode(key, doc) for key, doc in found if doc is not None]
        return [entry for entry in entries if entry.state in PENDING_STATES]

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

    def pieces_mailed_since(self, kind: str, since: datetime) -> set[int]:
        """The pieces that mails of `kind` written at or after `since` carry, sent, on their way or uncertain:
        what went out even if the app stopped before writing it on the pieces (the guard against a second
        reminder the same day)."""
        moment = _aware(since)
        with self._lock:
            return {
                piece_id
                for doc in self._docs().values()
                if doc.get("kind", "piece") == kind
                and doc["state"] in DUPLICATE_STATES
                and _aware(datetime.fromisoformat(doc["created_at"])) >= moment
                for piece_id in doc["piece_ids"]
            }

    def unrecorded(self) -> list[OutboxEntry]:
        """Sent entries not yet written on their pieces and contact (the app stopped in between)."""
        return self._where(lambda doc: doc["state"] == OutboxState.sent and not doc.get("recorded", True))

    def replace_message(self, entry: OutboxEntry, mime: bytes) -> None:
        """New bytes for an entry's message (an edited address) in its own file, then its new state, which reads
        them from there; each durable. Until the state is saved, the entry keeps its old bytes."""
        with self._lock:
            self.get(entry.id)
            write_atomic(self._mime_path(entry.id), mime)
            self._save_many([entry], keep_message=False)

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
            removed = {entry_id: self._docs()[str(entry_id)] for entry_id in old}
            self._full_write(lambda: self._table.remove(doc_ids=old))
            self._forget(removed)
            return len(old)

    def drop(self, entry_id: int) -> None:
        """Remove an entry and its message file."""
        with self._lock:
            doc = self._docs().get(str(entry_id))
            if doc is None:
                raise NotFound(f"outbox entry {entry_id} does not exist")
            self._full_write(lambda: self._table.remove(doc_ids=[entry_id]))
            self._forget({entry_id: doc})

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

    def _save_many(self, entries: Iterable[OutboxEntry], *, keep_message: bool) -> None:
        """The entries' new documents, appended to the journal. `keep_message`: each still reads its message where
        it did; else from its own .eml file."""
        with self._lock:
            entries = list(entries)
            docs = self._docs()
            for entry in entries:
                if str(entry.id) not in docs:
                    raise NotFound(f"outbox entry {entry.id} does not exist")
            old_hashes = {entry.id: docs[str(entry.id)]["content_hash"] for entry in entries}
            changed = {str(entry.id): encode_outbox_entry(entry) for entry in entries}
            if keep_message:
                for key, doc in changed.items():
                    if (mime_at := docs[key].get(_MIME_AT)) is not None:
                        doc[_MIME_AT] = mime_at
            self._journal.append(self._generation(), changed)
            docs.update(changed)  # memory follows the disk
            for entry in entries:
                self._by_hash.get(old_hashes[entry.id], set()).discard(entry.id)
                self._by_hash.setdefault(entry.content_hash, set()).add(entry.id)
            if self._journal.lines >= max(_FOLD_AT_LEAST, len(docs)):
                self._full_write(lambda: None)

    def _forget(self, removed: Mapping[int, Doc]) -> None:
        """After their entries left outbox.json: their hashes, their .eml files, and the batch files no entry
        names any more."""
        for entry_id, doc in removed.items():
            self._by_hash.get(doc["content_hash"], set()).discard(entry_id)
            self._mime_path(entry_id).unlink(missing_ok=True)
        self._remove_batch_files({self._folder / doc[_MIME_AT][0] for doc in removed.values() if _MIME_AT in doc})

    def _remove_batch_files(self, candidates: set[Path]) -> None:
        """Delete those of the batch files that no entry names."""
        if candidates:
            candidates -= {self._folder / doc[_MIME_AT][0] for doc in self._docs().values() if _MIME_AT in doc}
            for path in candidates:
                path.unlink(missing_ok=True)

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
