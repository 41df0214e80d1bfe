"""Where BatchMail keeps its data, and the few settings that are not stored with it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from batchmail.files import OWNER_ONLY_FOLDER, private_folder

DATA_DIR_ENV = "BATCHMAIL_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the one given (``--data-dir``), else ``$BATCHMAIL_DATA_DIR``, else the user's data folder."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("BatchMail", appauthor=False)
    path = private_folder(Path(chosen).expanduser().resolve())
    if path.stat().st_mode & 0o077:  # made by a version that left it open to others
        path.chmod(OWNER_ONLY_FOLDER)
    return path


def mailbox_dir(root: Path) -> Path:
    """Where the test mailbox keeps the messages it pretends to send."""
    return root / "test-mailbox"
