"""The issuing company and the users, in company.json (which also holds the settings table)."""

from __future__ import annotations

from pathlib import Path
from threading import RLock

from tinydb import TinyDB

from batchmail.domain.company import IssuingCompany, User
from batchmail.errors import NotFound
from storage.atomic import decoded, put_documents, raw_documents, storage_of
from storage.codec import decode_company, decode_user, encode_company, encode_user

COMPANY_TABLE = "company"
USERS_TABLE = "users"
_COMPANY_ID = 1


class CompanyRepository:
    def __init__(self, db: TinyDB, lock: RLock) -> None:
        self._db = db
        self._lock = lock

    def get(self) -> IssuingCompany | None:
        """The issuing company, or None before the user has filled it in."""
        with self._lock:
            doc = raw_documents(self._db, COMPANY_TABLE).get(str(_COMPANY_ID))
            if doc is None:
                return None
            company = decoded(self._path, str(_COMPANY_ID), decode_company, doc)
            if company.logo_path:
                company.logo_path = str(self._logo_path(Path(company.logo_path)))
            return company

    def save(self, company: IssuingCompany) -> None:
        """Store the company; a logo inside the data directory is kept relative to it, so a data directory moved
        or reached by another path still finds its logo."""
        doc = encode_company(company)
        if company.logo_path:
            folder, logo = self._path.parent.resolve(), Path(company.logo_path).resolve()
            if logo.is_relative_to(folder):
                doc["logo_path"] = logo.relative_to(folder).as_posix()
        with self._lock:
            put_documents(self._db.table(COMPANY_TABLE), {_COMPANY_ID: doc})

    def users(self) -> list[User]:
        with self._lock:
            docs = raw_documents(self._db, USERS_TABLE)
            return sorted((decoded(self._path, key, decode_user, doc) for key, doc in docs.items()), key=_by_id)

    def add_user(self, user: User) -> User:
        """Store a new user with the next id; returns it with its id."""
        with self._lock:
            new_id = max(map(int, raw_documents(self._db, USERS_TABLE)), default=0) + 1
            doc = encode_user(user)
            doc["id"] = new_id
            put_documents(self._db.table(USERS_TABLE), {new_id: doc})
            return decode_user(doc)

    def update_user(self, user: User) -> None:
        with self._lock:
            if str(user.id) not in raw_documents(self._db, USERS_TABLE):
                raise NotFound(f"user {user.id} does not exist")
            put_documents(self._db.table(USERS_TABLE), {user.id: encode_user(user)})

    def _logo_path(self, stored: Path) -> Path:
        """The logo's path from what company.json says: relative to the data directory; an absolute path written
        before paths were relative that no longer exists is looked for in the data directory (moved since)."""
        folder = self._path.parent
        if not stored.is_absolute():
            return folder / stored
        moved = folder / stored.parent.name / stored.name
        return moved if not stored.exists() and moved.is_file() else stored

    @property
    def _path(self) -> Path:
        return storage_of(self._db).path


def _by_id(user: User) -> int:
    return user.id
