"""What was sent, one record per message that left, in history.json."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from threading import RLock

from tinydb import TinyDB

from batchmail.sending.delivery_events import DeliveryEvent
from batchmail.sending.history import SendRecord
from storage.atomic import Doc, decoded, put_documents, raw_documents, storage_of
from storage.mail_codec import decode_send_record, encode_send_record

TABLE = "history"


class HistoryRepository:
    def __init__(self, db: TinyDB, lock: RLock) -> None:
        self._db = db
        self._lock = lock

    def add(self, record: SendRecord) -> SendRecord:
        """Store a record with the next id; on disk when this returns."""
        return self.add_many([record])[0]

    def add_many(self, records: list[SendRecord]) -> list[SendRecord]:
        """Store several records in one write."""
        with self._lock:
            first = max(map(int, raw_documents(self._db, TABLE)), default=0) + 1
            added = [dataclasses.replace(r, id=first + n) for n, r in enumerate(records)]
            put_documents(self._db.table(TABLE), {r.id: encode_send_record(r) for r in added})
            return added

    def add_events(self, events: Iterable[DeliveryEvent]) -> int:
        """Attach each event to the record of the message it names (by the provider's message id), once; in one
        write. Returns how many were new; events of messages not in the history are left out."""
        by_message: dict[str, list[DeliveryEvent]] = {}
        for event in events:
            if event.provider_message_id:
                by_message.setdefault(event.provider_message_id, []).append(event)
        with self._lock:
            path = storage_of(self._db).path
            changed: dict[int, Doc] = {}
            added = 0
            for key, doc in raw_documents(self._db, TABLE).items():
                news = by_message.get(doc.get("provider_message_id", ""))
                if not news:
                    continue
                record = decoded(path, key, decode_send_record, doc)
                fresh = list(dict.fromkeys(e for e in news if e not in record.events))
                if fresh:
                    record.events = sorted([*record.events, *fresh], key=lambda e: e.at)
                    changed[int(key)] = encode_send_record(record)
                    added += len(fresh)
            if changed:
                put_documents(self._db.table(TABLE), changed)
            return added

    def for_contact(self, contact_id: int) -> list[SendRecord]:
        """The contact's records, newest first."""
        return self._where(lambda doc: doc["contact_id"] == contact_id)

    def for_piece(self, piece_id: int) -> list[SendRecord]:
        """The records of the messages that carried the piece, newest first."""
        return self._where(lambda doc: piece_id in doc["piece_ids"])

    def _where(self, keep: Callable[[Doc], bool]) -> list[SendRecord]:
        with self._lock:
            path = storage_of(self._db).path
            found = [
                decoded(path, key, decode_send_record, doc)
                for key, doc in raw_documents(self._db, TABLE).items()
                if decoded(path, key, keep, doc)
            ]
            found.sort(key=lambda record: (record.sent_at, record.id), reverse=True)
            return found
