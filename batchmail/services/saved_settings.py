"""One entry of the settings store that holds a settings record (the generation settings, the dunning levels):
read with its defaults when absent or unreadable, saved as plain JSON, both off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Generic, Protocol, Self, TypeVar

from batchmail.services.repositories import SettingsRepository


class Record(Protocol):
    def __init__(self) -> None: ...
    def to_json(self) -> dict[str, Any]: ...
    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> Self: ...


R = TypeVar("R", bound=Record)


class SavedSettings(Generic[R]):
    def __init__(self, store: SettingsRepository, key: str, kind: type[R]) -> None:
        self._store = store
        self._key = key
        self._kind = kind

    def read(self) -> R:
        """The record saved, or the defaults when none is (blocking: call it in a thread)."""
        saved = self._store.get(self._key)
        return self._kind.from_json(saved) if isinstance(saved, dict) else self._kind()

    async def get(self) -> R:
        return await asyncio.to_thread(self.read)

    async def save(self, record: R) -> None:
        await asyncio.to_thread(self._store.set, self._key, record.to_json())
