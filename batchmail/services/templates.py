"""Message templates kept by the user: list, read, save (checked first), duplicate, delete; which one each document
type and language uses; and a preview on a real piece."""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from batchmail.domain.contacts import Contact
from batchmail.domain.keywords import TemplateContext
from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.errors import ConfigurationError, InvalidInput
from batchmail.sending.compose import TemplateLookup
from batchmail.sending.reminder_templates import reminder_template, statement_template
from batchmail.sending.templates import (
    MessageTemplate,
    RenderedText,
    TemplateProblem,
    TemplateUse,
    default_template,
    find_problem,
    render_template,
)
from batchmail.services.repositories import CompanyRepository, ContactRepository, PieceRepository, TemplateRepository

PREVIEW_PIECES = 30  # pieces offered to preview a template on
CHECKED_ALONE = 3  # real pieces a template is written for, one by one, before it is saved
CHECKED_TOGETHER = 50  # and of one contact, together


class Origin(StrEnum):
    """Where the template a document type and language uses comes from (the order `lookup_table` tries)."""

    saved = "saved"  # a saved template for that type and language
    company_language = "company_language"  # a saved template for that type in the issuing company's language
    every_type = "every_type"  # a saved template for every type, in that language
    builtin = "builtin"  # the built-in template for that type and language


@dataclass(frozen=True, slots=True)
class Applied:
    """The template mails about `piece_type` to readers of `language` use, unless a batch forces another."""

    piece_type: PieceType
    language: Language
    template: MessageTemplate
    origin: Origin


@dataclass(frozen=True, slots=True)
class ReminderSlot:
    """The template a reminder of `level` (0: a statement) to readers of `language` uses; None when there is none
    (a level beyond the built-in ones, with no saved template): such a reminder is refused until one is written."""

    use: TemplateUse
    level: int
    language: Language
    template: MessageTemplate | None
    origin: Origin | None


@dataclass(kw_only=True, slots=True)
class TemplateOverview:
    applied: builtins.list[Applied]  # every document type and language, in PieceType then Language order
    saved: builtins.list[MessageTemplate]  # every saved template by name: each can be forced for a batch
    company_language: Language | None  # None: no issuing company yet

    def uses(self, name: str) -> builtins.list[Applied]:
        """The types and languages the saved template `name` applies to; none: it serves only when forced."""
        return [a for a in self.applied if a.origin is not Origin.builtin and a.template.name == name]


@dataclass(frozen=True, slots=True)
class PreviewPiece:
    """A piece a template can be previewed on."""

    id: int
    number: str
    type: PieceType
    date: date
    contact_name: str
    language: Language  # its contact's


@dataclass(frozen=True, slots=True)
class TemplatePreview:
    """A template rendered on a real piece, as a send would write it, or why it cannot be."""

    number: str
    language: Language  # the values are written in the template's language, as a send writes them
    rendered: RenderedText | None
    problem: TemplateProblem | None


class TemplateService:
    def __init__(
        self,
        *,
        templates: TemplateRepository,
        company: CompanyRepository,
        pieces: PieceRepository,
        contacts: ContactRepository,
    ) -> None:
        self._templates = templates
        self._company = company
        self._pieces = pieces
        self._contacts = contacts

    async def list(self) -> builtins.list[MessageTemplate]:
        """Every saved template, by name (the built-in defaults are not stored)."""
        return await asyncio.to_thread(self._templates.all)

    async def get(self, name: str) -> MessageTemplate:
        """The template of that name; raises NotFound."""
        return await asyncio.to_thread(self._templates.get, name)

    async def save(self, template: MessageTemplate, *, replacing: str | None = None) -> None:
        """Check the template, then store it under its name.

        `replacing` is the name of the saved template being edited (None: a new one); if the name changed, that
        one goes. A name another saved template already has is refused, so nothing is overwritten unasked.
        Raises InvalidInput naming the field and line of an unknown keyword, a syntax error, a construct the
        sandbox refuses or a bound the template breaks on real pieces (see `check`); nothing is stored then.
        """

        def run() -> None:
            name = template.name.strip()
            problem = self._problem(template)
            if problem is not None:
                raise InvalidInput(f"template {name!r}, {problem}")
            repository = self._templates
            names = {saved.name for saved in repository.all()}
            if name != replacing and name in names:
                raise InvalidInput(f"a message template named {name!r} already exists")
            repository.save(dataclasses.replace(template, name=name))
            if replacing is not None and replacing != name and replacing in names:
                repository.delete(replacing)

        await asyncio.to_thread(run)

    async def duplicate(self, name: str, new_name: str) -> MessageTemplate:
        """Save a copy of the template `name` as `new_name` and return it. Coming after the original by name, the
        copy serves only when forced for a batch until its type or language changes."""
        copy = dataclasses.replace(await self.get(name), name=new_name)
        await self.save(copy)
        return copy

    async def delete(self, name: str) -> None:
        """Remove the template of that name (its types and languages go back to the next fitting template, at
        worst the built-in one); raises NotFound."""
        await asyncio.to_thread(self._templates.delete, name)

    async def check(self, template: MessageTemplate) -> TemplateProblem | None:
        """What `save` would refuse, with its field, line and keyword; None if nothing. The template is written
        with every keyword set, then on real pieces (the newest of its type one by one, and a contact's pieces
        together, as a grouped mail holds them) within the bounds a send keeps, so what saves also sends."""
        return await asyncio.to_thread(self._problem, template)

    async def lookup(self, piece_type: PieceType, language: Language) -> MessageTemplate:
        """The template a mail about `piece_type` to a reader of `language` uses; see `lookup_table`."""
        return (await self.lookup_table())(piece_type, language)

    async def lookup_table(self) -> TemplateLookup:
        """Which template each document type and language uses, read once from the stores: the function a send's
        plan composes with (`SendOptions.templates`), pure from then on.

        In order: a saved template for that type and language; one for that type in the company's language; one
        for every type (no type set) in that language; the built-in default for that type and language. Among
        several saved templates that fit equally, the first by name.
        """
        saved, company_language = await asyncio.to_thread(lambda: (self._templates.all(), self._company_language()))

        def lookup(piece_type: PieceType, language: Language) -> MessageTemplate:
            return _resolve(saved, company_language, piece_type, language).template

        return lookup

    async def overview(self) -> TemplateOverview:
        """Which template every document type and language uses, and every saved template."""

        def run() -> TemplateOverview:
            saved = self._templates.all()
            company_language = self._company_language()
            applied = [
                _resolve(saved, company_language, piece_type, language)
                for piece_type in PieceType
                for language in Language
            ]
            return TemplateOverview(applied=applied, saved=saved, company_language=company_language)

        return await asyncio.to_thread(run)

    async def reminder_overview(self, levels: int) -> builtins.list[ReminderSlot]:
        """Which template the reminders of each of `levels` levels, and the statements, use in each language."""

        def run() -> builtins.list[ReminderSlot]:
            saved = self._templates.all()
            company_language = self._company_language()
            slots = []
            for level in (*range(1, levels + 1), 0):
                for language in Language:
                    try:
                        if level:
                            found = reminder_template(saved, level, language, company_language)
                        else:
                            found = statement_template(saved, language, company_language)
                    except InvalidInput:
                        slots.append(ReminderSlot(TemplateUse.reminder, level, language, None, None))
                        continue
                    origin = Origin.builtin
                    if found in saved:
                        origin = Origin.saved if found.language is language else Origin.company_language
                    use = TemplateUse.reminder if level else TemplateUse.statement
                    slots.append(ReminderSlot(use, level, language, found, origin))
            return slots

        return await asyncio.to_thread(run)

    async def preview_pieces(
        self, piece_type: PieceType | None, language: Language, *, limit: int = PREVIEW_PIECES
    ) -> builtins.list[PreviewPiece]:
        """Up to `limit` pieces of that type (any type if None) to preview a template on, newest first, those
        whose contact reads `language` before the others."""

        def run() -> builtins.list[PreviewPiece]:
            contacts = self._contacts.by_id()
            unknown = Contact(name="?")
            summaries = [s for s in self._pieces.summaries() if piece_type is None or s.type is piece_type]
            summaries.sort(key=lambda s: (s.date, s.number), reverse=True)
            summaries.sort(key=lambda s: contacts.get(s.contact_id, unknown).language is not language)
            return [
                PreviewPiece(
                    id=s.id,
                    number=s.number,
                    type=s.type,
                    date=s.date,
                    contact_name=(contact := contacts.get(s.contact_id, unknown)).display_name,
                    language=contact.language,
                )
                for s in summaries[:limit]
            ]

        return await asyncio.to_thread(run)

    async def preview(self, template: MessageTemplate, piece_id: int) -> TemplatePreview:
        """The template rendered on the piece (raises NotFound) as a send would write it: subject, text and HTML,
        values in the template's language. A template `save` would refuse gives its problem and no text."""

        def run() -> TemplatePreview:
            piece = self._pieces.get(piece_id)
            contact = self._contacts.get(piece.contact_id)
            company = self._company.get()
            if company is None:
                raise ConfigurationError("no issuing company: set it up in the settings (or load the demo data)")
            context = TemplateContext(pieces=[piece], contact=contact, company=company, language=template.language)
            problem = find_problem(template) or find_problem(template, context)
            rendered = None if problem else render_template(template, context)
            return TemplatePreview(number=piece.number, language=template.language, rendered=rendered, problem=problem)

        return await asyncio.to_thread(run)

    def _problem(self, template: MessageTemplate) -> TemplateProblem | None:
        problem = find_problem(template)
        if problem is not None:
            return problem
        for context in self._real_contexts(template):
            problem = find_problem(template, context)
            if problem is not None:
                return problem
        return None

    def _real_contexts(self, template: MessageTemplate) -> builtins.list[TemplateContext]:
        """What the template will be written for: the newest pieces of its type alone, then every piece of the
        first of their contacts together (none without an issuing company)."""
        company = self._company.get()
        if company is None:
            return []
        summaries = [s for s in self._pieces.summaries() if template.piece_type in (None, s.type)]
        summaries.sort(key=lambda s: (s.date, s.number), reverse=True)
        newest = summaries[:CHECKED_ALONE]
        if not newest:
            return []
        contacts = self._contacts.by_id()
        together = [s.id for s in summaries if s.contact_id == newest[0].contact_id][:CHECKED_TOGETHER]
        contexts = []
        for ids in [*([s.id] for s in newest), together]:
            pieces = self._pieces.get_many(ids)
            contact = contacts.get(pieces[0].contact_id) or Contact(name="?")
            contexts.append(
                TemplateContext(pieces=pieces, contact=contact, company=company, language=template.language)
            )
        return contexts

    def _company_language(self) -> Language | None:
        company = self._company.get()
        return company.language if company else None


def _resolve(
    saved: Sequence[MessageTemplate], company_language: Language | None, piece_type: PieceType, language: Language
) -> Applied:
    """The template `lookup_table` finds among `saved` (sorted by name), and where it comes from."""
    saved = [template for template in saved if template.use is TemplateUse.piece]
    tries = (
        (piece_type, language, Origin.saved),
        (piece_type, company_language or language, Origin.company_language),
        (None, language, Origin.every_type),
    )
    for wanted_type, wanted_language, origin in tries:
        found = next((t for t in saved if t.piece_type == wanted_type and t.language == wanted_language), None)
        if found is not None:
            return Applied(piece_type=piece_type, language=language, template=found, origin=origin)
    return Applied(
        piece_type=piece_type,
        language=language,
        template=default_template(piece_type, language),
        origin=Origin.builtin,
    )
