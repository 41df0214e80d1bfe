"""New pieces from pieces: duplicated at a date, transformed along the chain (quote -> order -> delivery note ->
invoice...), or consolidated into one piece per contact.

Pure: given the pieces, their contacts' languages and the settings, each function gives the pieces to create (not
yet numbered or stored) with the origins each comes from, and the pieces it refuses with the reason. The service
stores the new pieces and marks the origins in one commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple

from batchmail.domain.formatting import format_date
from batchmail.domain.language import Language
from batchmail.domain.numbering import natural_key
from batchmail.domain.pieces import Line, Piece, PieceType, Status
from batchmail.domain.type_names import document_type_name
from batchmail.errors import InvalidInput

_T = PieceType


class Transformation(NamedTuple):
    source: PieceType
    target: PieceType

    @property
    def key(self) -> str:
        """As the settings and the command line write it: "quote>invoice"."""
        return f"{self.source.value}>{self.target.value}"


TRANSFORMATIONS: tuple[Transformation, ...] = (
    Transformation(_T.quote, _T.order),
    Transformation(_T.quote, _T.invoice),
    Transformation(_T.order, _T.delivery_note),
    Transformation(_T.order, _T.invoice),
    Transformation(_T.delivery_note, _T.invoice),
    Transformation(_T.invoice, _T.credit_note),
    Transformation(_T.purchase_request, _T.purchase_order),
    Transformation(_T.purchase_order, _T.goods_receipt),
    Transformation(_T.goods_receipt, _T.supplier_invoice),
)
_BY_KEY = {t.key: t for t in TRANSFORMATIONS}
NOT_TRANSFORMABLE = frozenset({Status.draft, Status.cancelled, Status.refused})


@dataclass(frozen=True, kw_only=True, slots=True)
class GenerationSettings:
    """What the settings say of generation: the transformations the company uses, and whether what is generated
    starts as a draft (to be checked and validated) or validated (ready to send)."""

    enabled: frozenset[Transformation] = frozenset(TRANSFORMATIONS)
    start_as_draft: bool = True

    def to_json(self) -> dict[str, Any]:
        enabled = [t.key for t in TRANSFORMATIONS if t in self.enabled]
        return {"enabled": enabled, "start_as_draft": self.start_as_draft}

    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> GenerationSettings:
        keys = saved.get("enabled")
        enabled = frozenset(TRANSFORMATIONS)
        if isinstance(keys, list):
            enabled = frozenset(_BY_KEY[key] for key in keys if key in _BY_KEY)
        return cls(enabled=enabled, start_as_draft=bool(saved.get("start_as_draft", True)))


class Mode(StrEnum):
    duplicate = "duplicate"
    transform = "transform"
    consolidate = "consolidate"


@dataclass(frozen=True, kw_only=True, slots=True)
class GenerationRequest:
    """What the user asked for. `day` is the new pieces' date; `into` the type of a transformation (for a
    consolidation, None keeps the pieces' own type); `validate` None follows the settings."""

    mode: Mode
    day: datetime.date
    into: PieceType | None = None
    keep_notes: bool = False
    keep_annotations: bool = False
    keep_files: bool = False
    per_recipient: bool = False  # duplicate: one new piece per contact with the lines of all its pieces
    validate: bool | None = None
    force: bool = False  # transform a piece already transformed into that type


@dataclass(frozen=True, kw_only=True, slots=True)
class Proposal:
    """One piece to create, and the pieces it comes from."""

    piece: Piece  # unnumbered, no id yet
    origins: tuple[Piece, ...]
    links: bool  # the origins are marked converted and linked to it (a transformation, a consolidation)


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    piece_id: int
    number: str
    contact_id: int
    reason: str


@dataclass(kw_only=True, slots=True)
class Outcome:
    proposals: list[Proposal] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def refuse(self, piece: Piece, reason: str) -> None:
        refusal = Refusal(piece_id=piece.id, number=piece.number, contact_id=piece.contact_id, reason=reason)
        self.refusals.append(refusal)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Run:
    """One generation's request and what it needs besides the pieces."""

    request: GenerationRequest
    settings: GenerationSettings
    status: Status  # of the new pieces
    terms: int  # the company's payment terms, in days
    language_of: Callable[[int], Language]  # a contact's language, for the titles of consolidated lines


def generate(
    pieces: Sequence[Piece],
    request: GenerationRequest,
    settings: GenerationSettings,
    *,
    language_of: Callable[[int], Language],
    payment_terms_days: int,
) -> Outcome:
    """The pieces `request` makes of `pieces`, in the order they are to be numbered (by date, then origin).
    Raises InvalidInput for a transformation without its target type."""
    if request.mode is Mode.transform and request.into is None:
        raise InvalidInput("transform: say which type to transform into")
    validate = request.validate if request.validate is not None else not settings.start_as_draft
    run = _Run(
        request=request,
        settings=settings,
        status=Status.validated if validate else Status.draft,
        terms=payment_terms_days,
        language_of=language_of,
    )
    making = {Mode.duplicate: _duplicate, Mode.transform: _transform, Mode.consolidate: _consolidate}
    outcome = making[request.mode](pieces, run)
    outcome.proposals.sort(key=lambda p: (p.piece.date, natural_key(p.origins[0].number)))
    return outcome


def _duplicate(pieces: Sequence[Piece], run: _Run) -> Outcome:
    outcome, request = Outcome(), run.request
    kept = []
    for piece in pieces:
        if piece.status is Status.cancelled:
            outcome.refuse(piece, "cancelled: a cancelled piece is not duplicated")
        else:
            kept.append(piece)
    groups = _by_contact_and_type(kept) if request.per_recipient else [[piece] for piece in kept]
    for group in groups:
        first = group[0]
        term = first.due_date - first.date if first.due_date else None
        copy = Piece(
            type=first.type,
            date=request.day,
            due_date=request.day + term if term is not None else None,
            contact_id=first.contact_id,
            status=run.status,
            lines=[replace(line) for piece in group for line in piece.lines],
            nature=_common(p.nature for p in group),
            reference=_common(p.reference for p in group),
            notes="\n".join(p.notes for p in group if p.notes) if request.keep_notes else "",
            annotations="\n".join(p.annotations for p in group if p.annotations) if request.keep_annotations else "",
            linked_files=[f for p in group for f in p.linked_files] if request.keep_files else [],
        )
        outcome.proposals.append(Proposal(piece=copy, origins=tuple(group), links=False))
    return outcome


def _transform(pieces: Sequence[Piece], run: _Run) -> Outcome:
    outcome, request = Outcome(), run.request
    into = request.into
    assert into is not None  # generate() checked
    for piece in pieces:
        problem = transformation_problem(piece, into, run.settings, force=request.force)
        if problem:
            outcome.refuse(piece, problem)
            continue
        new = Piece(
            type=into,
            date=request.day,
            due_date=_due_date(into, request.day, run.terms),
            contact_id=piece.contact_id,
            status=run.status,
            lines=[replace(line) for line in piece.lines],
            nature=piece.nature,
            reference=piece.reference,
            notes=piece.notes,
            origin_ids=[piece.id],
        )
        outcome.proposals.append(Proposal(piece=new, origins=(piece,), links=True))
    return outcome


def _consolidate(pieces: Sequence[Piece], run: _Run) -> Outcome:
    outcome, request = Outcome(), run.request
    by_contact: dict[int, list[Piece]] = {}
    for piece in pieces:
        by_contact.setdefault(piece.contact_id, []).append(piece)
    for contact_id, group in by_contact.items():
        group.sort(key=lambda p: (p.date, natural_key(p.number)))
        types = {piece.type for piece in group}
        into = request.into or (types.pop() if len(types) == 1 else None)
        if into is None:
            for piece in group:
                outcome.refuse(piece, "its contact's pieces are of several types: say which type to consolidate into")
            continue
        problems = {piece.id: consolidation_problem(piece, into, run.settings, force=request.force) for piece in group}
        for piece in group:
            if problems[piece.id]:
                outcome.refuse(piece, problems[piece.id])
        kept = [piece for piece in group if not problems[piece.id]]
        if not kept:
            continue
        language = run.language_of(contact_id)
        lines = []
        for piece in kept:
            lines.append(Line(description=origin_heading(piece, language), heading=True))
            lines += [replace(line) for line in piece.lines]
        new = Piece(
            type=into,
            date=request.day,
            due_date=_due_date(into, request.day, run.terms),
            contact_id=contact_id,
            status=run.status,
            lines=lines,
            nature=_common(p.nature for p in kept),
            reference=_common(p.reference for p in kept),
            origin_ids=[piece.id for piece in kept],
        )
        outcome.proposals.append(Proposal(piece=new, origins=tuple(kept), links=True))
    return outcome


def transformation_problem(piece: Piece, into: PieceType, settings: GenerationSettings, *, force: bool) -> str:
    """Why `piece` cannot become a piece of type `into`, or "" when it can."""
    step = Transformation(piece.type, into)
    if step not in TRANSFORMATIONS:
        possible = [t.target.value for t in TRANSFORMATIONS if t.source is piece.type]
        into_what = f"it can become: {', '.join(possible)}" if possible else "it is the end of its chain"
        return f"{_a(piece.type.value)} cannot become {_a(into.value)} ({into_what})"
    if step not in settings.enabled:
        return f"{piece.type.value} to {into.value} is not enabled in the settings"
    if piece.status in NOT_TRANSFORMABLE:
        return f"{piece.status.value}: only a piece in force is transformed"
    if piece.status is Status.converted and not force:
        return "already transformed (say so to transform it again)"
    return ""


def consolidation_problem(piece: Piece, into: PieceType, settings: GenerationSettings, *, force: bool) -> str:
    """Why `piece` cannot go into a consolidated piece of type `into`, or "" when it can."""
    if piece.type is into:
        if piece.status in NOT_TRANSFORMABLE:
            return f"{piece.status.value}: only a piece in force is consolidated"
        if piece.status is Status.converted and not force:
            return "already transformed or consolidated (say so to use it again)"
        if piece.type.is_billing and piece.payments:
            return "it has payments: consolidate only invoices nothing was paid on"
        return ""
    return transformation_problem(piece, into, settings, force=force)


def origin_heading(piece: Piece, language: Language) -> str:
    """The title over an origin's lines in a consolidated piece: "Bon de livraison BL-2026-00012 du 12/10/2026"."""
    return HEADINGS[language].format(
        type=document_type_name(piece.type, language), number=piece.number, date=format_date(piece.date, language)
    )


HEADINGS = {
    Language.fr: "{type} {number} du {date}",
    Language.en: "{type} {number} of {date}",
    Language.nl: "{type} {number} van {date}",
}


def linked_origin(origin: Piece, derived_id: int) -> Piece:
    """`origin` as a generation leaves it: converted, and naming the piece generated from it."""
    return replace(origin, status=Status.converted, derived_ids=[*origin.derived_ids, derived_id])


def _due_date(piece_type: PieceType, day: datetime.date, terms: int) -> datetime.date | None:
    """What a billing piece is due by (the company's payment terms); other pieces have no due date."""
    return day + datetime.timedelta(days=terms) if piece_type.is_billing and piece_type.sign > 0 else None


def _by_contact_and_type(pieces: Sequence[Piece]) -> list[list[Piece]]:
    groups: dict[tuple[int, PieceType], list[Piece]] = {}
    for piece in pieces:
        groups.setdefault((piece.contact_id, piece.type), []).append(piece)
    return [sorted(group, key=lambda p: (p.date, natural_key(p.number))) for group in groups.values()]


def _a(word: str) -> str:
    """The word with its indefinite article: "a quote", "an invoice"."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _common(values: Any) -> str:
    """The one value every piece gives, else "" (the natures or references of consolidated pieces)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else ""
