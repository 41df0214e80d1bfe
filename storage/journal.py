"""An append-only journal of document changes beside a TinyDB file: each change one fsynced JSON line, replayed over
the file at open, so a change costs a few hundred bytes however large the file is."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import orjson

from batchmail.errors import StoreError
from batchmail.files import OWNER_ONLY_FILE, sync_folder
from storage.atomic import Doc


class Journal:
    """Appended state changes of existing entries, one JSON line each, after a first line naming the generation of
    outbox.json they extend. A line cut short by a crash was never acknowledged: it is ignored. The file is opened
    for each append only, so no handle outlives the store (Windows cannot remove a file that is open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self._started = False  # this generation's file exists, header written

    def append(self, generation: int, docs: Mapping[str, Doc]) -> None:
        payload = b"".join(orjson.dumps({"id": key, "doc": doc}) + b"\n" for key, doc in docs.items())
        if not self._started:
            payload = orjson.dumps({"generation": generation}) + b"\n" + payload
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if self._started else os.O_TRUNC)
        with os.fdopen(os.open(self.path, flags, OWNER_ONLY_FILE), "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        if not self._started:
            sync_folder(self.path.parent)
            self._started = True
        self.lines += len(docs)

    def read(self, generation: int) -> dict[str, Doc]:
        """The last state of each entry the journal holds, if it extends `generation`; else nothing."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        *complete, _torn = raw.split(b"\n")
        if not complete:
            return {}  # created, then the app stopped before its first line was whole
        try:
            header, *lines = [orjson.loads(line) for line in complete]
        except (orjson.JSONDecodeError, ValueError) as err:
            raise StoreError(self.path, f"a line cannot be read: {err}") from err
        if header.get("generation") != generation:
            return {}  # outbox.json was written after this journal: everything in it is there already
        return {str(line["id"]): line["doc"] for line in lines}

    def restart(self) -> None:
        """Forget the journal: outbox.json now holds everything in it."""
        self.path.unlink(missing_ok=True)
        self._started = False
        self.lines = 0
