"""Sending accounts, by name, in accounts.json. Their secrets live in the keyring, never here."""

from __future__ import annotations

from threading import RLock

from tinydb import TinyDB

from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.accounts import Account
from storage.atomic import Doc, decoded, put_documents, raw_documents, storage_of
from storage.mail_codec import decode_account, encode_account

TABLE = "accounts"


class AccountRepository:
    def __init__(self, db: TinyDB, lock: RLock) -> None:
        self._db = db
        self._lock = lock

    def add(self, account: Account) -> None:
        with self._lock:
            if self._find(account.name) is not None:
                raise InvalidInput(f"account {account.name!r} already exists")
            new_id = max(map(int, self._docs()), default=0) + 1
            put_documents(self._db.table(TABLE), {new_id: encode_account(account)})

    def get(self, name: str) -> Account:
        with self._lock:
            found = self._find(name)
            if found is None:
                raise NotFound(f"account {name!r} does not exist")
            return self._decode(*found)

    def all(self) -> list[Account]:
        """Every account, by name."""
        with self._lock:
            accounts = [self._decode(key, doc) for key, doc in self._docs().items()]
            return sorted(accounts, key=lambda account: account.name.casefold())

    def update(self, account: Account) -> None:
        """Store the new settings of the account of that name."""
        with self._lock:
            found = self._find(account.name)
            if found is None:
                raise NotFound(f"account {account.name!r} does not exist")
            put_documents(self._db.table(TABLE), {int(found[0]): encode_account(account)})

    def remove(self, name: str) -> None:
        with self._lock:
            found = self._find(name)
            if found is None:
                raise NotFound(f"account {name!r} does not exist")
            self._db.table(TABLE).remove(doc_ids=[int(found[0])])

    def _docs(self) -> dict[str, Doc]:
        return raw_documents(self._db, TABLE)

    def _find(self, name: str) -> tuple[str, Doc] | None:
        return next(((key, doc) for key, doc in self._docs().items() if doc.get("name") == name), None)

    def _decode(self, key: str, doc: Doc) -> Account:
        return decoded(storage_of(self._db).path, key, decode_account, doc)
