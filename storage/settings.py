"""Small key/value settings in company.json: UI language, current user, default account, remembered filters..."""

from __future__ import annotations

from threading import RLock
from typing import Any

import orjson
from tinydb import TinyDB

from batchmail.errors import InvalidInput
from storage.atomic import put_documents, raw_documents

TABLE = "settings"
_DOC_ID = 1  # every setting is a field of one document
_PLAIN_ONLY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS  # refused, not turned into text


class SettingsRepository:
    def __init__(self, db: TinyDB, lock: RLock) -> None:
        self._db = db
        self._lock = lock

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key` (a copy: changing it changes nothing until `set`), or `default`."""
        with self._lock:
            values = raw_documents(self._db, TABLE).get(str(_DOC_ID), {})
            if key not in values:
                return default
            return orjson.loads(orjson.dumps(values[key]))

    def set(self, key: str, value: Any) -> None:
        """Store a plain JSON value (str, int, float, bool, None, lists and dicts of them); durable on return."""
        if not key:
            raise InvalidInput("setting name: empty")
        try:
            plain = orjson.loads(orjson.dumps(value, option=_PLAIN_ONLY))
        except TypeError as err:
            raise InvalidInput(f"setting {key}: {type(value).__name__} is not a plain JSON value") from err
        with self._lock:
            values = dict(raw_documents(self._db, TABLE).get(str(_DOC_ID), {}))
            values[key] = plain
            put_documents(self._db.table(TABLE), {_DOC_ID: values})
