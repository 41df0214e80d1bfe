"""Opening the data directory: one TinyDB per concern, each with its lock, schema version and migrations.

The directory is owned by one BatchMail process at a time (an exclusive lock file). Inside the process, each store
has a reentrant lock that every repository method takes, so the async service may call repositories from worker
threads (`asyncio.to_thread`).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from threading import RLock
from types import TracebackType

from filelock import FileLock, Timeout
from tinydb import TinyDB

from batchmail.errors import StoreLocked
from batchmail.files import OWNER_ONLY_FILE, finish_writes, private_folder
from storage.accounts import AccountRepository
from storage.atomic import AtomicJSONStorage, Migration, remove_temp_files
from storage.company import CompanyRepository
from storage.contacts import ContactRepository
from storage.history import HistoryRepository
from storage.outbox import OutboxRepository
from storage.pieces import COMMIT_RECORD, PieceRepository
from storage.settings import SettingsRepository
from storage.templates import TemplateRepository

# The schema version each kind of file is written with. Raise one when its layout changes, and register in
# MIGRATIONS[kind][old] the function that upgrades a file from `old` to `old + 1` (in place, in memory).
SCHEMAS: dict[str, int] = {
    "contacts": 1,
    "company": 1,
    "history": 1,
    "accounts": 1,
    "outbox": 1,
    "pieces": 1,
    "templates": 1,
}
MIGRATIONS: dict[str, dict[int, Migration]] = {kind: {} for kind in SCHEMAS}

LOCK_FILE = ".lock"
PIECES_FOLDER = "pieces"
OUTBOX_FOLDER = "outbox"


def open_store_file(path: Path, kind: str) -> TinyDB:
    """One store file; raises StoreError if it cannot be used (it is then left exactly as it was)."""
    return TinyDB(path, storage=AtomicJSONStorage, schema=SCHEMAS[kind], migrations=MIGRATIONS[kind])


@dataclass(kw_only=True)
class Stores:
    data_dir: Path
    pieces: PieceRepository
    contacts: ContactRepository
    company: CompanyRepository
    settings: SettingsRepository
    history: HistoryRepository
    accounts: AccountRepository
    outbox: OutboxRepository
    templates: TemplateRepository
    _files: list[TinyDB] = field(default_factory=list, repr=False)
    _lock: FileLock | None = field(default=None, repr=False)

    def close(self) -> None:
        """Let another process open the directory. Every write is already on disk: nothing is flushed here."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Stores:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_stores(data_dir: Path) -> Stores:
    """Open every store of the data directory (created if missing).

    Raises StoreLocked if another process has it open, StoreError naming the file if a file cannot be used.
    """
    private_folder(data_dir)
    lock = FileLock(data_dir / LOCK_FILE, mode=OWNER_ONLY_FILE, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout as err:
        raise StoreLocked(data_dir, "in use by another BatchMail process") from err
    collecting = gc.isenabled()
    gc.disable()  # loading allocates millions of long-lived objects: collecting in between is wasted time
    try:
        stores = _open_all(data_dir)
    except BaseException:
        lock.release()
        raise
    finally:
        if collecting:
            gc.enable()
    # What was just loaded lives as long as the app: keep the collector from walking it again and again.
    gc.freeze()
    stores._lock = lock
    return stores


def _open_all(data_dir: Path) -> Stores:
    pieces_dir, outbox_dir = data_dir / PIECES_FOLDER, data_dir / OUTBOX_FOLDER
    finish_writes(pieces_dir / COMMIT_RECORD)  # a change cut off once committed: its year files all new
    for folder in (data_dir, pieces_dir, outbox_dir):
        remove_temp_files(folder)  # a change cut off before: its files all old, these its leftovers
    files: list[TinyDB] = []

    def db(name: str, kind: str) -> TinyDB:
        files.append(open_store_file(data_dir / name, kind))
        return files[-1]

    company_db, company_lock = db("company.json", "company"), RLock()
    return Stores(
        data_dir=data_dir,
        pieces=PieceRepository(pieces_dir, RLock(), lambda path: open_store_file(path, "pieces")),
        contacts=ContactRepository(db("contacts.json", "contacts"), RLock()),
        company=CompanyRepository(company_db, company_lock),
        settings=SettingsRepository(company_db, company_lock),
        history=HistoryRepository(db("history.json", "history"), RLock()),
        accounts=AccountRepository(db("accounts.json", "accounts"), RLock()),
        outbox=OutboxRepository(db("outbox.json", "outbox"), outbox_dir, RLock()),
        templates=TemplateRepository(db("templates.json", "templates"), RLock()),
        _files=files,
    )
