"""Generation: duplicate, transform or consolidate the pieces of a batch, previewed first, then created in one
commit with the origins they convert.

`preview` says what `generate` would create, with the numbers the pieces would get; `generate` computes it again
from the pieces as they are then (a piece converted meanwhile is refused, not converted twice) and stores the new
pieces and their origins together: a failure leaves neither a half-made piece nor a gap in the numbering. Reading,
computing and writing run in a thread.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from batchmail.domain import generation
from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_date
from batchmail.domain.generation import GenerationRequest, GenerationSettings, Outcome, Proposal, Refusal
from batchmail.domain.language import Language
from batchmail.domain.money import ZERO, Totals
from batchmail.domain.numbering import format_number
from batchmail.domain.pieces import Piece, PieceType, Status
from batchmail.errors import InvalidInput
from batchmail.services.repositories import CompanyRepository, ContactRepository, PieceRepository, SettingsRepository
from batchmail.services.saved_settings import SavedSettings

SETTINGS_KEY = "generation"

# Our invoices and credit notes are numbered in date order (art. 242 nonies A, annexe II CGI): a new one may not be
# dated before the latest of its series.
CHRONOLOGICAL = frozenset({PieceType.invoice, PieceType.credit_note})


@dataclass(frozen=True, kw_only=True, slots=True)
class GeneratedPiece:
    """A piece a generation creates (or, in a preview, would create)."""

    id: int  # 0 in a preview
    number: str  # in a preview, the number it would get
    type: PieceType
    status: Status
    date: date
    contact_id: int
    contact: str
    origins: tuple[str, ...]  # the numbers of the pieces it comes from
    excl_tax: Decimal
    vat: Decimal
    incl_tax: Decimal
    # Set when VAT computed on the piece's own bases (the rule for an invoice) differs from the sum of its origins'
    # VAT, each rounded on its own: the bases per rate always add up, the VAT may differ by a cent per origin.
    rounding_note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "type": self.type.value,
            "status": self.status.value,
            "date": self.date.isoformat(),
            "contact_id": self.contact_id,
            "contact": self.contact,
            "origins": list(self.origins),
            "excl_tax": str(self.excl_tax),
            "vat": str(self.vat),
            "incl_tax": str(self.incl_tax),
            "rounding_note": self.rounding_note,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class RefusedPiece:
    piece_id: int
    number: str
    contact: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.piece_id, "number": self.number, "contact": self.contact, "reason": self.reason}


@dataclass(kw_only=True, slots=True)
class GenerationReport:
    """What a generation created (or, `dry_run`, would create) and what it refused, piece by piece."""

    dry_run: bool
    created: list[GeneratedPiece] = field(default_factory=list)
    refused: list[RefusedPiece] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.refused

    @property
    def created_ids(self) -> list[int]:
        return [piece.id for piece in self.created]

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": [piece.to_json() for piece in self.created],
            "refused": [piece.to_json() for piece in self.refused],
            "complete": self.complete,
        }


class GenerationService:
    def __init__(
        self,
        *,
        pieces: PieceRepository,
        contacts: ContactRepository,
        company: CompanyRepository,
        settings: SettingsRepository,
    ) -> None:
        self._pieces = pieces
        self._contacts = contacts
        self._company = company
        self._settings = SavedSettings(settings, SETTINGS_KEY, GenerationSettings)

    async def settings(self) -> GenerationSettings:
        return await self._settings.get()

    async def save_settings(self, settings: GenerationSettings) -> None:
        await self._settings.save(settings)

    async def preview(self, piece_ids: Sequence[int], request: GenerationRequest) -> GenerationReport:
        """What `generate` would create from these pieces, numbers included; nothing is written."""
        return await asyncio.to_thread(self._run, piece_ids, request, dry_run=True)

    async def generate(self, piece_ids: Sequence[int], request: GenerationRequest) -> GenerationReport:
        """Create the pieces `request` makes of `piece_ids`, and convert and link their origins, in one commit."""
        return await asyncio.to_thread(self._run, piece_ids, request, dry_run=False)

    # Internals

    def _run(self, piece_ids: Sequence[int], request: GenerationRequest, *, dry_run: bool) -> GenerationReport:
        if not piece_ids:
            raise InvalidInput("no piece selected: select the pieces to generate from")
        pieces = self._pieces.get_many(dict.fromkeys(piece_ids))
        contacts = self._contacts.by_id()
        company = self._company.get()
        outcome = generation.generate(
            pieces,
            request,
            self._settings.read(),
            language_of=lambda contact_id: _language(contacts.get(contact_id)),
            payment_terms_days=company.payment_terms_days if company else 30,
        )
        self._refuse_out_of_order(outcome, contacts)
        report = GenerationReport(dry_run=dry_run)
        report.refused = [_refused(refusal, contacts) for refusal in outcome.refusals]
        if not outcome.proposals:
            return report
        if dry_run:
            numbers = self._next_numbers(outcome.proposals)
            planned = zip(outcome.proposals, numbers, strict=True)
            report.created = [_generated(proposal, proposal.piece, contacts, number) for proposal, number in planned]
            return report
        seen = {origin.id: origin.status for proposal in outcome.proposals for origin in proposal.origins}
        made = self._pieces.add_many(
            [proposal.piece for proposal in outcome.proposals],
            then=lambda added: self._linked_origins(outcome.proposals, added, seen),
        )
        stored = zip(outcome.proposals, made, strict=True)
        report.created = [_generated(proposal, piece, contacts, piece.number) for proposal, piece in stored]
        return report

    def _linked_origins(
        self, proposals: Sequence[Proposal], added: Sequence[Piece], seen: Mapping[int, Status]
    ) -> list[Piece]:
        """The origins as the generation leaves them, read again inside the store's commit: one that changed
        since it was read stops the whole generation rather than be converted on stale grounds."""
        made = zip(proposals, added, strict=True)
        derived = {origin.id: piece.id for proposal, piece in made if proposal.links for origin in proposal.origins}
        fresh = self._pieces.get_many(derived)
        for origin in fresh:
            if origin.status is not seen[origin.id]:
                raise InvalidInput(f"{origin.number} changed while generating ({origin.status.value}): run it again")
        return [generation.linked_origin(origin, derived[origin.id]) for origin in fresh]

    def _refuse_out_of_order(self, outcome: Outcome, contacts: Mapping[int, Contact]) -> None:
        """Refuse the new invoices and credit notes that would be numbered after a piece of their series dated
        later: their origins are named with the reason."""
        latest: dict[tuple[PieceType, int], tuple[date, str]] = {}
        wanted = {(p.piece.type, p.piece.date.year) for p in outcome.proposals if p.piece.type in CHRONOLOGICAL}
        if not wanted:
            return
        for summary in self._pieces.summaries():
            key = (summary.type, summary.date.year)
            if key in wanted and summary.date > latest.get(key, (date.min, ""))[0]:
                latest[key] = (summary.date, summary.number)
        kept = []
        for proposal in outcome.proposals:
            piece = proposal.piece
            last = latest.get((piece.type, piece.date.year))
            if last is None or last[0] <= piece.date:
                kept.append(proposal)
                continue
            day, new_day = format_date(last[0], Language.en), format_date(piece.date, Language.en)
            series = f"{piece.type.value} numbers follow their dates"
            reason = f"{series}: {last[1]} is dated {day}, a new one cannot be {new_day}"
            for origin in proposal.origins:
                outcome.refuse(origin, reason)
        outcome.proposals = kept

    def _next_numbers(self, proposals: Sequence[Proposal]) -> list[str]:
        """The numbers the store will give the new pieces, in order: after the highest of their type and year."""
        used: Counter[tuple[PieceType, int]] = Counter()
        numbers = []
        for proposal in proposals:
            key = (proposal.piece.type, proposal.piece.date.year)
            used[key] += 1
            numbers.append(format_number(key[0], key[1], self._pieces.max_sequence(*key) + used[key]))
        return numbers


def _language(contact: Contact | None) -> Language:
    return contact.language if contact else Language.fr


def _name(contact_id: int, contacts: Mapping[int, Contact]) -> str:
    contact = contacts.get(contact_id)
    return contact.display_name if contact else f"contact {contact_id} (unknown)"


def _refused(refusal: Refusal, contacts: Mapping[int, Contact]) -> RefusedPiece:
    return RefusedPiece(
        piece_id=refusal.piece_id,
        number=refusal.number,
        contact=_name(refusal.contact_id, contacts),
        reason=refusal.reason,
    )


def _generated(proposal: Proposal, piece: Piece, contacts: Mapping[int, Contact], number: str) -> GeneratedPiece:
    totals = piece.totals
    return GeneratedPiece(
        id=piece.id,
        number=number,
        type=piece.type,
        status=piece.status,
        date=piece.date,
        contact_id=piece.contact_id,
        contact=_name(piece.contact_id, contacts),
        origins=tuple(origin.number for origin in proposal.origins),
        excl_tax=totals.excl_tax,
        vat=totals.vat_total,
        incl_tax=totals.incl_tax,
        rounding_note=_rounding_note(totals, (origin.totals for origin in proposal.origins)),
    )


def _rounding_note(totals: Totals, origins: Iterable[Totals]) -> str:
    """Where the VAT of a piece made of several differs from the sum of its origins' VAT (see GeneratedPiece)."""
    summed: defaultdict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for origin in origins:
        for line in origin.vat:
            summed[line.rate] += line.amount
    notes = []
    for line in totals.vat:
        if line.amount != summed[line.rate]:
            difference = line.amount - summed[line.rate]
            notes.append(f"VAT {line.rate}%: {line.amount} on the total base, {difference:+} vs the origins' sum")
    return "; ".join(notes)
