"""Duplicate, transform and consolidate, on pieces built by hand: what each makes, and what each refuses and why."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from batchmail.domain.generation import (
    TRANSFORMATIONS,
    GenerationRequest,
    GenerationSettings,
    Mode,
    Outcome,
    Transformation,
    generate,
    linked_origin,
)
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.errors import InvalidInput

DAY = date(2026, 12, 1)
T = PieceType


def piece(
    piece_type: PieceType = T.order,
    *,
    id: int = 1,
    contact: int = 1,
    day: date = date(2026, 11, 5),
    status: Status = Status.validated,
    price: str = "100",
    vat: str = "20",
    **extra: object,
) -> Piece:
    return Piece(
        id=id,
        number=f"{piece_type.prefix}-2026-{id:05d}",
        type=piece_type,
        date=day,
        contact_id=contact,
        status=status,
        lines=[Line(description=f"Article {id}", quantity=D(2), unit_price=D(price), vat_rate=D(vat))],
        **extra,  # type: ignore[arg-type]
    )


def run(pieces: list[Piece], mode: Mode, settings: GenerationSettings | None = None, **request: object) -> Outcome:
    return generate(
        pieces,
        GenerationRequest(mode=mode, day=DAY, **request),  # type: ignore[arg-type]
        settings or GenerationSettings(),
        language_of=lambda contact_id: Language.en if contact_id == 2 else Language.fr,
        payment_terms_days=30,
    )


@pytest.mark.parametrize("step", TRANSFORMATIONS, ids=lambda t: t.key)
def test_every_transformation_makes_its_target_from_the_origin(step: Transformation) -> None:
    origin = piece(step.source, reference="PO-77", notes="Livrer le matin")

    outcome = run([origin], Mode.transform, into=step.target)

    assert outcome.refusals == []
    [proposal] = outcome.proposals
    new = proposal.piece
    assert (new.type, new.date, new.contact_id, new.status) == (step.target, DAY, 1, Status.draft)
    assert new.origin_ids == [origin.id] and new.number == "" and new.id == 0
    assert [(x.description, x.quantity, x.unit_price) for x in new.lines] == [("Article 1", 2, 100)]
    assert (new.reference, new.notes) == ("PO-77", "Livrer le matin")
    assert new.totals == origin.totals
    assert proposal.links and proposal.origins == (origin,)
    billed = step.target in (T.invoice, T.supplier_invoice)
    assert new.due_date == (DAY + timedelta(days=30) if billed else None)


def test_a_transformation_refuses_what_it_cannot_make_and_says_why() -> None:
    pieces = [
        piece(T.order, id=1),
        piece(T.quote, id=2),
        piece(T.order, id=3, status=Status.draft),
        piece(T.order, id=4, status=Status.converted),
        piece(T.order, id=5, status=Status.cancelled),
        piece(T.credit_note, id=6),
    ]

    outcome = run(pieces, Mode.transform, into=T.delivery_note)

    assert [p.origins[0].id for p in outcome.proposals] == [1]
    reasons = {r.number: r.reason for r in outcome.refusals}
    assert reasons == {
        "DE-2026-00002": "a quote cannot become a delivery_note (it can become: order, invoice)",
        "CO-2026-00003": "draft: only a piece in force is transformed",
        "CO-2026-00004": "already transformed (say so to transform it again)",
        "CO-2026-00005": "cancelled: only a piece in force is transformed",
        "AV-2026-00006": "a credit_note cannot become a delivery_note (it is the end of its chain)",
    }
    forced = run(pieces[3:4], Mode.transform, into=T.delivery_note, force=True)
    assert len(forced.proposals) == 1 and forced.refusals == []


def test_a_transformation_not_enabled_in_the_settings_is_refused() -> None:
    settings = GenerationSettings(enabled=frozenset({Transformation(T.order, T.invoice)}))

    outcome = run([piece(T.quote)], Mode.transform, settings, into=T.order)

    assert outcome.proposals == []
    assert outcome.refusals[0].reason == "quote to order is not enabled in the settings"
    with pytest.raises(InvalidInput, match="say which type"):
        run([piece()], Mode.transform)


def test_settings_round_trip_and_choose_the_status() -> None:
    settings = GenerationSettings(enabled=frozenset(TRANSFORMATIONS[:2]), start_as_draft=False)
    assert GenerationSettings.from_json(settings.to_json()) == settings
    assert GenerationSettings.from_json({"enabled": ["quote>order", "nonsense"]}).enabled == {TRANSFORMATIONS[0]}
    assert GenerationSettings.from_json({}) == GenerationSettings()

    validated = run([piece()], Mode.transform, GenerationSettings(start_as_draft=False), into=T.invoice)
    assert validated.proposals[0].piece.status is Status.validated
    drafted = run([piece()], Mode.transform, GenerationSettings(start_as_draft=False), into=T.invoice, validate=False)
    assert drafted.proposals[0].piece.status is Status.draft


def test_duplicate_moves_the_due_date_by_the_same_term_and_keeps_what_it_is_told() -> None:
    origin = piece(
        T.invoice,
        due_date=date(2026, 11, 20),  # 15 days after its date
        notes="Abonnement",
        annotations="client fidèle",
        linked_files=["contrat.pdf"],
        payments=[Payment(date=date(2026, 11, 10), amount=D(240))],
        status=Status.paid,
    )

    bare = run([origin], Mode.duplicate).proposals[0].piece
    full = run([origin], Mode.duplicate, keep_notes=True, keep_annotations=True, keep_files=True).proposals[0].piece

    assert (bare.date, bare.due_date, bare.type, bare.status) == (
        DAY,
        DAY + timedelta(days=15),
        T.invoice,
        Status.draft,
    )
    assert (bare.notes, bare.annotations, bare.linked_files, bare.payments) == ("", "", [], [])
    assert (full.notes, full.annotations, full.linked_files) == ("Abonnement", "client fidèle", ["contrat.pdf"])
    assert bare.origin_ids == [] and bare.totals == origin.totals
    assert not run([origin], Mode.duplicate).proposals[0].links  # a copy converts nothing
    cancelled = run([piece(status=Status.cancelled)], Mode.duplicate)
    assert cancelled.proposals == [] and "cancelled" in cancelled.refusals[0].reason


def test_duplicate_per_recipient_makes_one_piece_per_contact_and_type() -> None:
    pieces = [
        piece(T.invoice, id=1, contact=1, day=date(2026, 11, 9)),
        piece(T.invoice, id=2, contact=2),
        piece(T.invoice, id=3, contact=1, day=date(2026, 11, 2)),
        piece(T.quote, id=4, contact=1),
    ]

    outcome = run(pieces, Mode.duplicate, per_recipient=True)

    made = {(p.piece.contact_id, p.piece.type): [o.id for o in p.origins] for p in outcome.proposals}
    assert made == {(1, T.invoice): [3, 1], (2, T.invoice): [2], (1, T.quote): [4]}
    both = next(p.piece for p in outcome.proposals if len(p.origins) == 2)
    assert [x.description for x in both.lines] == ["Article 3", "Article 1"]


def test_consolidate_makes_one_piece_per_contact_with_a_heading_per_origin() -> None:
    pieces = [
        piece(T.delivery_note, id=1, contact=1, price="19.99", vat="20"),
        piece(T.delivery_note, id=2, contact=2, price="7.25", vat="5.5"),
        piece(T.delivery_note, id=3, contact=1, price="7.25", vat="5.5", day=date(2026, 11, 2)),
        piece(T.delivery_note, id=4, contact=1, price="0.35", vat="20", day=date(2026, 11, 30)),
    ]

    outcome = run(pieces, Mode.consolidate, into=T.invoice)

    assert outcome.refusals == []
    by_contact = {p.piece.contact_id: p for p in outcome.proposals}
    first = by_contact[1].piece
    assert first.origin_ids == [3, 1, 4] and first.type is T.invoice
    assert [(x.heading, x.description) for x in first.lines] == [
        (True, "Bon de livraison BL-2026-00003 du 02/11/2026"),
        (False, "Article 3"),
        (True, "Bon de livraison BL-2026-00001 du 05/11/2026"),
        (False, "Article 1"),
        (True, "Bon de livraison BL-2026-00004 du 30/11/2026"),
        (False, "Article 4"),
    ]
    assert by_contact[2].piece.lines[0].description == "Delivery note BL-2026-00002 of 05/11/2026"
    for proposal in outcome.proposals:
        new, origins = proposal.piece.totals, [o.totals for o in proposal.origins]
        by_rate = {v.rate: (v.base, v.amount) for v in new.vat}
        for rate, (base, amount) in by_rate.items():
            assert base == sum(v.base for o in origins for v in o.vat if v.rate == rate)
            assert amount == sum(v.amount for o in origins for v in o.vat if v.rate == rate)
        assert new.incl_tax == sum(o.incl_tax for o in origins)


def test_consolidate_refuses_mixed_types_without_a_target_and_paid_invoices() -> None:
    mixed = [piece(T.order, id=1), piece(T.delivery_note, id=2)]
    refused = run(mixed, Mode.consolidate)
    assert refused.proposals == [] and len(refused.refusals) == 2
    assert "several types" in refused.refusals[0].reason

    into_invoice = run(mixed, Mode.consolidate, into=T.invoice)
    assert [o.id for o in into_invoice.proposals[0].origins] == [2, 1]  # same day: BL before CO

    paid = piece(T.invoice, id=3, payments=[Payment(date=DAY, amount=D(10))])
    invoices = run([piece(T.invoice, id=4), paid], Mode.consolidate)
    assert [o.id for o in invoices.proposals[0].origins] == [4]
    assert invoices.refusals[0].number == "FA-2026-00003" and "payments" in invoices.refusals[0].reason


def test_proposals_come_in_numbering_order_and_a_linked_origin_is_converted() -> None:
    pieces = [piece(T.order, id=i, contact=i, day=date(2026, 11, 30 - i)) for i in (10, 2, 9)]
    outcome = run(pieces, Mode.transform, into=T.invoice)
    assert [p.origins[0].number for p in outcome.proposals] == ["CO-2026-00002", "CO-2026-00009", "CO-2026-00010"]

    origin = piece(T.order, derived_ids=[40])
    linked = linked_origin(origin, 41)
    assert (linked.status, linked.derived_ids, origin.status) == (Status.converted, [40, 41], Status.validated)
