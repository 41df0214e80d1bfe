"""Contacts (customers and suppliers), decoded once when the store opens and kept current in memory."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from threading import RLock
from types import MappingProxyType

from tinydb import TinyDB

from batchmail.domain.contacts import Contact
from batchmail.errors import InvalidInput, NotFound, StoreError
from storage.atomic import decoded, put_documents, raw_documents, storage_of
from storage.codec import decode_contact, encode_contact

TABLE = "contacts"


class ContactRepository:
    """`all()` and `by_id()` hand out the shared objects held in memory: read them, never change them; `get()`
    returns a copy to edit and give back to `update()`.

    `by_id()` is a read-only snapshot, rebuilt after a change: a filter may iterate it in one thread while another
    adds contacts."""

    def __init__(self, db: TinyDB, lock: RLock) -> None:
        self._db = db
        self._lock = lock
        path = storage_of(db).path
        self._contacts: dict[int, Contact] = {}
        for key, doc in raw_documents(db, TABLE).items():
            contact = decoded(path, key, decode_contact, doc)
            if str(contact.id) != key:  # two documents holding one id would make one contact two
                raise StoreError(path, f"document {key} holds contact {contact.id}")
            self._contacts[contact.id] = contact
        self._snapshot: Mapping[int, Contact] | None = None

    def add(self, contact: Contact) -> Contact:
        return self.add_many([contact])[0]

    def add_many(self, contacts: Iterable[Contact]) -> list[Contact]:
        """Store new contacts in one write. A contact with an id keeps it (an imported file's own ids, which its
        pieces refer to); one already in use is refused and nothing is stored. The others get the next ids."""
        with self._lock:
            contacts = list(contacts)
            given = Counter(c.id for c in contacts if c.id)
            taken = sorted(i for i, n in given.items() if n > 1 or i in self._contacts)
            if taken:
                shown = ", ".join(map(str, taken[:20]))
                raise InvalidInput(f"contact id(s) already in use: {shown}; nothing was added")
            next_id = max([*self._contacts, *given], default=0) + 1
            added = []
            for contact in contacts:
                contact_id = contact.id
                if not contact_id:
                    contact_id, next_id = next_id, next_id + 1
                added.append(dataclasses.replace(contact, id=contact_id, emails=list(contact.emails)))
            self._put(added)
            return [_copy(contact) for contact in added]

    def get(self, contact_id: int) -> Contact:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None:
                raise NotFound(f"contact {contact_id} does not exist")
            return _copy(contact)

    def all(self) -> list[Contact]:
        with self._lock:
            return list(self._contacts.values())

    def by_id(self) -> Mapping[int, Contact]:
        """Every contact by id, as of now."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = MappingProxyType(dict(self._contacts))
            return self._snapshot

    def update(self, contact: Contact) -> None:
        with self._lock:
            if contact.id not in self._contacts:
                raise NotFound(f"contact {contact.id} does not exist")
            self._put([_copy(contact)])

    def count(self) -> int:
        with self._lock:
            return len(self._contacts)

    def _put(self, contacts: list[Contact]) -> None:
        put_documents(self._db.table(TABLE), {c.id: encode_contact(c) for c in contacts})
        for contact in contacts:
            self._contacts[contact.id] = contact
        self._snapshot = None


def _copy(contact: Contact) -> Contact:
    return dataclasses.replace(contact, emails=list(contact.emails))
