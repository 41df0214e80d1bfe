"""Writing files so a crash never leaves half of one: temporary file in the same folder, fsync, rename, and an
fsync of the folder so the rename itself survives a power cut; and several files so a crash leaves all of them old
or all of them new (`write_atomic_together`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

import orjson

TEMP_SUFFIX = ".tmp"
OWNER_ONLY_FILE, OWNER_ONLY_FOLDER = 0o600, 0o700  # the data directory holds every customer's data


def private_folder(path: Path) -> Path:
    """`path`, made if missing, that its owner alone may enter (its parents too, when this makes them)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        with suppress(FileExistsError):
            folder.mkdir(mode=OWNER_ONLY_FOLDER)
    return path


def write_atomic(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload`: temporary file in the same folder, fsync, rename, fsync of the folder."""
    write_atomic_no_dir_sync(path, payload)
    sync_folder(path.parent)


def write_atomic_no_dir_sync(path: Path, payload: bytes) -> None:
    """`write_atomic` without the folder fsync, for writing several files and syncing their folder once."""
    temp = _synced_temp(path, payload)
    try:
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise


def write_atomic_together(files: Mapping[Path, bytes], *, record: Path) -> None:
    """Replace several files, all or none, whenever a crash comes: each is written to a temporary file beside it
    and synced; then `record` names them (written atomically: the commit point); then each is renamed into place,
    and the record goes. After a crash, `finish_writes(record)` renames what the record names, so the files are
    all new; without a record the temporary files are leftovers (`remove` them) and the files all old."""
    temps: dict[Path, Path] = {}
    try:
        for path, payload in files.items():
            temps[path] = _synced_temp(path, payload)
        for folder in {temp.parent for temp in temps.values()}:
            sync_folder(folder)
        base = record.parent
        names = [[str(temp.relative_to(base)), str(path.relative_to(base))] for path, temp in temps.items()]
        write_atomic(record, orjson.dumps(names))
    except BaseException:
        for temp in temps.values():
            with suppress(OSError):
                temp.unlink()
        raise
    finish_writes(record)


def finish_writes(record: Path) -> None:
    """Finish the renames a `write_atomic_together` committed to before it was cut off; nothing without a record.
    Call it before temporary files are cleaned away."""
    try:
        names = orjson.loads(record.read_bytes())
    except FileNotFoundError:
        return
    base = record.parent
    folders = set()
    for temp, path in names:
        if (base / temp).exists():
            os.replace(base / temp, base / path)
        folders.add((base / path).parent)
    for folder in folders:
        sync_folder(folder)
    record.unlink()
    sync_folder(base)


def _synced_temp(path: Path, payload: bytes) -> Path:
    """`payload` in a new temporary file beside `path`, readable by its owner alone, on disk when this returns."""
    private_folder(path.parent)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    return Path(temp)


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); Windows has no folder handles to sync."""
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
