"""A TinyDB storage that keeps the data in memory and replaces its file atomically on every write.

Stock `JSONStorage` re-reads the whole file on every read and rewrites it in place on every write: slow at scale,
and a crash mid-write tears the file. Here the file is read once, `read()` hands TinyDB the dict held in memory,
and `write()` dumps it to a temporary file in the same folder, fsyncs it, renames it over the old one and fsyncs
the folder: a crash at any moment leaves either the old file or the new one, whole.

A file that cannot be used raises `StoreError` and is never written: the user must see it and decide.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from batchmail.errors import StoreError
from batchmail.files import TEMP_SUFFIX, write_atomic, write_atomic_together

Doc = dict[str, Any]
T = TypeVar("T")
Tables = dict[str, dict[str, Doc]]
Migration = Callable[[Tables], None]  # upgrades the tables in place from one schema version to the next

META_TABLE = "_meta"
_META_KEY = "1"


class AtomicJSONStorage(Storage):
    """One JSON file, held in memory, with a schema version in its `_meta` table.

    `migrations[n]` upgrades a file of schema `n` to `n + 1`; they run in memory when the file is opened, and the
    upgraded data reaches the disk with the next write (opening never writes).
    """

    def __init__(self, path: str | Path, *, schema: int = 1, migrations: Mapping[int, Migration] | None = None) -> None:
        self.path = Path(path)
        self.schema = schema
        self._migrations = dict(migrations or {})
        self._batch_depth = 0
        self._pending = False
        self._data = self._load()

    def read(self) -> Tables:
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        if self._batch_depth:
            self._pending = True
        else:
            self._flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every write inside the block becomes a single write when the outermost block ends.

        If the block raises, nothing is written and memory is reloaded from the file, which still holds the state
        from before the block.
        """
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._batch_depth -= 1
            if not self._batch_depth:
                self._pending = False
                self.reload()
            raise
        self._batch_depth -= 1
        if not self._batch_depth and self._pending:
            self._pending = False
            self._flush()

    def reload(self) -> None:
        """Forget what is in memory and read the file again."""
        self._data = self._load()

    def payload(self) -> bytes:
        """The file's bytes as the next write would make them."""
        self._data[META_TABLE] = {_META_KEY: {"schema": self.schema}}
        return orjson.dumps(self._data)

    def _flush(self) -> None:
        try:
            write_atomic(self.path, self.payload())
        except BaseException:
            # TinyDB changed the dict in memory before calling write(): put it back to what the disk holds.
            self.reload()
            raise

    def _load(self) -> Tables:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise StoreError(self.path, f"cannot be read ({err.strerror or err})") from err
        if not raw.strip():
            raise StoreError(self.path, "the file is empty")
        collecting = gc.isenabled()
        gc.disable()  # the parse allocates millions of objects that all stay: collecting meanwhile doubles its time
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise StoreError(self.path, f"not valid JSON: {err}") from err
        finally:
            if collecting:
                gc.enable()
        return self._migrate(_checked(self.path, data))

    def _migrate(self, data: Tables) -> Tables:
        version = _schema_of(self.path, data)
        if version > self.schema:
            raise StoreError(
                self.path,
                f"written by a newer BatchMail (schema {version}; this version reads up to {self.schema})",
            )
        while version < self.schema:
            migration = self._migrations.get(version)
            if migration is None:
                raise StoreError(self.path, f"no migration from schema {version} to {version + 1}")
            try:
                migration(data)
            except (KeyError, ValueError, TypeError) as err:
                raise StoreError(self.path, f"migration from schema {version} failed: {err!r}") from err
            version += 1
        return data


def _checked(path: Path, data: object) -> Tables:
    """The parsed file if it has TinyDB's shape: tables of documents, each a JSON object."""
    if not isinstance(data, dict):
        raise StoreError(path, f"expected a JSON object of tables, found {type(data).__name__}")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreError(path, f"table {name!r} is a {type(table).__name__}, not an object of documents")
        for key, doc in table.items():
            if not isinstance(doc, dict):
                raise StoreError(path, f"document {key!r} of table {name!r} is not an object")
    return cast(Tables, data)


def _schema_of(path: Path, data: Tables) -> int:
    try:
        version = data[META_TABLE][_META_KEY]["schema"]
    except KeyError as err:
        raise StoreError(path, "no schema version (_meta table): not a BatchMail file") from err
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(path, f"schema version {version!r} is not a positive integer")
    return version


@contextmanager
def committed_together(storages: Sequence[AtomicJSONStorage], *, record: Path) -> Iterator[None]:
    """Every write to these storages inside the block reaches the disk when it ends, in every file or in none,
    whenever a crash comes (`write_atomic_together`; `finish_writes(record)` at the next open). If the block
    raises, or the write fails, nothing is written and memory is read back from the files."""
    unique = list(dict.fromkeys(storages))
    for storage in unique:
        storage._batch_depth += 1
    try:
        yield
    except BaseException:
        _end_batches(unique, reload=True)
        raise
    dirty = _end_batches(unique, reload=False)
    try:
        write_atomic_together({storage.path: storage.payload() for storage in dirty}, record=record)
    except BaseException:
        for storage in dirty:
            storage.reload()
        raise


def _end_batches(storages: Sequence[AtomicJSONStorage], *, reload: bool) -> list[AtomicJSONStorage]:
    """Leave the batch each storage entered; the ones now out of every batch with writes pending."""
    dirty = []
    for storage in storages:
        storage._batch_depth -= 1
        if storage._batch_depth:
            continue
        if storage._pending and not reload:
            dirty.append(storage)
        elif reload:
            storage.reload()
        storage._pending = False
    return dirty


def remove_temp_files(folder: Path) -> None:
    """Delete the temporary files a killed writer left behind (only called while holding the data lock)."""
    for leftover in folder.glob(f".*{TEMP_SUFFIX}"):
        with suppress(OSError):
            leftover.unlink()


# Helpers the repositories share


def storage_of(db: TinyDB) -> AtomicJSONStorage:
    return cast(AtomicJSONStorage, db.storage)


def raw_documents(db: TinyDB, table: str) -> dict[str, Doc]:
    """The documents of a table as held in memory, keyed by their id as a string. Read them, never change them."""
    return storage_of(db).read().get(table, {})


def put_documents(table: Table, docs: Mapping[int, Doc]) -> None:
    """Insert or replace documents by id, in a single write of the file."""
    present = cast(AtomicJSONStorage, table.storage).read().get(table.name, {})
    # TinyDB hands the update callable the stored dict itself, so the object's identity tells which one it is.
    replaced = {id(present[str(doc_id)]): doc for doc_id, doc in docs.items() if str(doc_id) in present}
    replaced_ids = [doc_id for doc_id in docs if str(doc_id) in present]
    added = [Document(doc, doc_id=doc_id) for doc_id, doc in docs.items() if str(doc_id) not in present]
    with cast(AtomicJSONStorage, table.storage).batch():
        if replaced_ids:
            table.update(_replace_from(replaced), doc_ids=replaced_ids)
        if added:
            table.insert_multiple(added)


def _replace_from(new_docs: Mapping[int, Doc]) -> Callable[[MutableMapping[str, Any]], None]:
    def replace(doc: MutableMapping[str, Any]) -> None:
        new = new_docs[id(doc)]
        doc.clear()
        doc.update(new)

    return replace


def decoded(path: Path, key: str, decode: Callable[[Doc], T], doc: Doc) -> T:
    """`decode(doc)`, with a malformed document reported as a StoreError naming the file and the document."""
    try:
        return decode(doc)
    except (KeyError, ValueError, TypeError, ArithmeticError) as err:
        raise StoreError(path, f"document {key} is malformed: {err!r}") from err
