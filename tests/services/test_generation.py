"""The generation service over a real store in a temporary folder: previews that write nothing and name the
numbers to come, pieces created with their origins in one commit, chronological numbering, and a failure in the
middle of the write that leaves neither a half-made piece nor a gap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

import storage.pieces
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.generation import GenerationRequest, GenerationSettings, Mode, Transformation
from batchmail.domain.pieces import Line, Piece, PieceType, Status
from batchmail.errors import InvalidInput, StoreError
from batchmail.services.generation import GenerationReport
from batchmail.wiring import App, open_app

T = PieceType
DAY = date(2026, 12, 1)


def order(contact: int, day: date, price: str = "100", piece_type: PieceType = T.order) -> Piece:
    return Piece(
        type=piece_type,
        date=day,
        contact_id=contact,
        status=Status.validated,
        lines=[Line(description="Pose", quantity=D(2), unit_price=D(price), vat_rate=D(20))],
    )


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    opened = open_app(tmp_path / "data")
    stores = opened._stores
    stores.company.save(IssuingCompany(name="Atelier", payment_terms_days=45))
    stores.contacts.add_many(
        [Contact(id=1, name="Élodie Lefèvre", company="L'Atelier"), Contact(id=2, name="Jürgen Müller")]
    )
    stores.pieces.add_many(
        [
            order(1, date(2026, 11, 3)),  # CO-2026-00001
            order(2, date(2026, 10, 28)),  # CO-2026-00002
            order(1, date(2026, 11, 20), "35.10"),  # CO-2026-00003
            order(2, date(2026, 11, 1), piece_type=T.invoice),  # FA-2026-00001
        ]
    )
    yield opened
    opened.close()


def ids(app: App, *numbers: str) -> list[int]:
    found = [app._stores.pieces.by_number(number) for number in numbers]
    return [piece.id for piece in found if piece is not None]


def transform(into: PieceType = T.invoice, **extra: Any) -> GenerationRequest:
    return GenerationRequest(mode=Mode.transform, day=DAY, into=into, **extra)


async def test_a_preview_names_the_numbers_to_come_and_writes_nothing(app: App) -> None:
    chosen = ids(app, "CO-2026-00003", "CO-2026-00001", "CO-2026-00002")
    before = app._stores.pieces.count()

    preview = await app.generation.preview(chosen, transform())
    made = await app.generation.generate(chosen, transform())

    assert preview.dry_run and app._stores.pieces.count() == before + 3
    assert [p.number for p in preview.created] == ["FA-2026-00002", "FA-2026-00003", "FA-2026-00004"]
    assert [(p.number, p.origins, p.incl_tax) for p in made.created] == [
        (p.number, p.origins, p.incl_tax) for p in preview.created
    ]
    assert [p.origins for p in made.created] == [("CO-2026-00001",), ("CO-2026-00002",), ("CO-2026-00003",)]
    assert [p.incl_tax for p in made.created] == [D("240.00"), D("240.00"), D("84.24")]
    assert [p.contact for p in made.created][:2] == ["Élodie Lefèvre (L'Atelier)", "Jürgen Müller"]


async def test_transformed_pieces_and_their_origins_name_each_other(app: App) -> None:
    [origin_id] = ids(app, "CO-2026-00001")

    report = await app.generation.generate([origin_id], transform(validate=True))

    [made] = report.created
    pieces = app._stores.pieces
    new, origin = pieces.get(made.id), pieces.get(origin_id)
    assert (new.type, new.status, new.date, new.due_date) == (T.invoice, Status.validated, DAY, date(2027, 1, 15))
    assert new.origin_ids == [origin_id] and origin.derived_ids == [made.id]
    assert origin.status is Status.converted
    view = await app.workspace.piece_view(made.id)
    assert [r.number for r in view.origins] == ["CO-2026-00001"]
    back = await app.workspace.piece_view(origin_id)
    assert [r.number for r in back.derived] == [made.number]

    again = await app.generation.generate([origin_id], transform())
    assert again.created == [] and again.refused[0].reason.startswith("already transformed")
    forced = await app.generation.generate([origin_id], transform(force=True))
    assert pieces.get(origin_id).derived_ids == [made.id, forced.created[0].id]


async def test_the_settings_decide_what_is_enabled_and_the_starting_status(app: App) -> None:
    await app.generation.save_settings(
        GenerationSettings(enabled=frozenset({Transformation(T.order, T.delivery_note)}), start_as_draft=False)
    )
    chosen = ids(app, "CO-2026-00001")

    refused = await app.generation.generate(chosen, transform())
    made = await app.generation.generate(chosen, transform(T.delivery_note))

    assert refused.refused[0].reason == "order to invoice is not enabled in the settings"
    assert made.created[0].status is Status.validated and made.created[0].number == "BL-2026-00001"
    assert (await app.generation.settings()).start_as_draft is False


async def test_an_invoice_cannot_be_numbered_before_a_later_dated_one(app: App) -> None:
    chosen = ids(app, "CO-2026-00001", "CO-2026-00002")
    early = GenerationRequest(mode=Mode.transform, day=date(2026, 10, 30), into=T.invoice)

    report = await app.generation.generate(chosen, early)

    assert report.created == [] and len(report.refused) == 2
    assert report.refused[0].reason == (
        "invoice numbers follow their dates: FA-2026-00001 is dated 01/11/2026, a new one cannot be 30/10/2026"
    )
    assert app._stores.pieces.get(chosen[0]).status is Status.validated


async def test_consolidated_totals_add_up_and_a_rounding_difference_is_named(app: App) -> None:
    pieces = app._stores.pieces
    cents = pieces.add_many([order(2, date(2026, 11, 5), "0.015", T.delivery_note) for _ in range(2)])
    request = GenerationRequest(mode=Mode.consolidate, day=DAY, into=T.invoice)

    both = await app.generation.generate(ids(app, "CO-2026-00001", "CO-2026-00003"), request)
    tiny = await app.generation.generate([p.id for p in cents], request)

    [consolidated] = both.created
    assert consolidated.incl_tax == D("240.00") + D("84.24") and consolidated.rounding_note == ""
    # 2 x 0.03 at 20 %: VAT 0.01 on each origin, 0.01 (not 0.02) on their base of 0.06
    assert tiny.created[0].vat == D("0.01")
    assert tiny.created[0].rounding_note == "VAT 20%: 0.01 on the total base, -0.01 vs the origins' sum"
    invoice = pieces.get(consolidated.id)
    assert [line.description for line in invoice.lines if line.heading] == [
        "Commande CO-2026-00001 du 03/11/2026",
        "Commande CO-2026-00003 du 20/11/2026",
    ]


async def test_an_empty_selection_is_refused(app: App) -> None:
    with pytest.raises(InvalidInput, match="no piece selected"):
        await app.generation.preview([], transform())


async def test_a_failed_write_leaves_no_piece_and_no_gap(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = app._stores.pieces
    [old_order] = pieces.add_many([order(1, date(2025, 12, 15))])  # in the 2025 file: the commit writes two files
    chosen = [old_order.id, *ids(app, "CO-2026-00001")]
    real_put = storage.pieces.put_documents
    calls: list[int] = []

    def failing_put(table: Any, docs: Any) -> None:
        calls.append(len(docs))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_put(table, docs)

    monkeypatch.setattr(storage.pieces, "put_documents", failing_put)
    with pytest.raises((OSError, StoreError)):
        await app.generation.generate(chosen, transform())
    monkeypatch.setattr(storage.pieces, "put_documents", real_put)
    data_dir = app.data_dir
    app.close()

    reopened = open_app(data_dir)
    try:
        after = reopened._stores.pieces
        assert [s.number for s in after.summaries() if s.type is T.invoice] == ["FA-2026-00001"]
        assert {p.status for p in after.get_many(chosen)} == {Status.validated}
        report: GenerationReport = await reopened.generation.generate(chosen, transform())
        assert [p.number for p in report.created] == ["FA-2026-00002", "FA-2026-00003"]
    finally:
        reopened.close()
