"""Message templates kept by the user: list, read, save (checked first), delete, and the one a mail uses."""

from __future__ import annotations

import asyncio
import builtins
from typing import TYPE_CHECKING

from batchmail.contacts import Language
from batchmail.pieces import PieceType
from batchmail.templates import MessageTemplate, check_template, default_template

if TYPE_CHECKING:
    from batchmail.services import Services


class TemplateService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def list(self) -> builtins.list[MessageTemplate]:
        """Every saved template, by name (the built-in defaults are not stored)."""
        return await asyncio.to_thread(self._services.stores.templates.all)

    async def get(self, name: str) -> MessageTemplate:
        """The template of that name; raises NotFound."""
        return await asyncio.to_thread(self._services.stores.templates.get, name)

    async def save(self, template: MessageTemplate) -> None:
        """Check the template, then store it under its name (replacing one of the same name).

        Raises InvalidInput naming the field and line of an unknown keyword, a syntax error or a construct the
        sandbox refuses; nothing is stored then.
        """

        def run() -> None:
            check_template(template)
            self._services.stores.templates.save(template)

        await asyncio.to_thread(run)

    async def delete(self, name: str) -> None:
        """Remove the template of that name; raises NotFound."""
        await asyncio.to_thread(self._services.stores.templates.delete, name)

    async def lookup(self, piece_type: PieceType, language: Language) -> MessageTemplate:
        """The template a mail about `piece_type` to a reader of `language` uses; see `lookup_sync`."""
        return await asyncio.to_thread(self.lookup_sync, piece_type, language)

    def lookup_sync(self, piece_type: PieceType, language: Language) -> MessageTemplate:
        """`lookup` for a worker thread (it reads the stores), e.g. as `SendOptions.templates`.

        In order: a saved template for that type and language; one for that type in the company's language; one
        for every type (no type set) in that language; the built-in default for that type and language.
        """
        stores = self._services.stores
        saved = stores.templates.all()
        company = stores.company.get()
        fallback = company.language if company else language
        for wanted_type, wanted_language in ((piece_type, language), (piece_type, fallback), (None, language)):
            found = next((t for t in saved if t.piece_type == wanted_type and t.language == wanted_language), None)
            if found is not None:
                return found
        return default_template(piece_type, language)
