"""Where BatchMail keeps its data, and the few settings that are not stored with it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "BATCHMAIL_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the one given (``--data-dir``), else ``$BATCHMAIL_DATA_DIR``, else the user's data folder."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("BatchMail", appauthor=False)
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def mailbox_dir(root: Path) -> Path:
    """Where the test mailbox keeps the messages it pretends to send."""
    return root / "test-mailbox"
