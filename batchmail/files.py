"""Writing files so a crash never leaves half of one: temporary file in the same folder, fsync, rename, and an
fsync of the folder so the rename itself survives a power cut."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload`: temporary file in the same folder, fsync, rename, fsync of the folder."""
    write_atomic_no_dir_sync(path, payload)
    sync_folder(path.parent)


def write_atomic_no_dir_sync(path: Path, payload: bytes) -> None:
    """`write_atomic` without the folder fsync, for writing several files and syncing their folder once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); Windows has no folder handles to sync."""
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
