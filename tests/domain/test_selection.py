"""Filter semantics: each criterion alone, combined, empty results, accents in names."""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from decimal import Decimal as D

import pytest

from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status, StatusGroup
from batchmail.domain.selection import Criteria, Period, PieceSummary, SummaryIndex, fold, select
from batchmail.errors import InvalidInput

CONTACTS = {
    1: Contact(id=1, company="L'Atelier d'Élodie", name="Élodie Lefèvre", emails=["elodie@example.fr"]),
    2: Contact(id=2, company="Müller & Fils", name="Jürgen Müller", emails=["jm@example.be"]),
    3: Contact(id=3, kind=Side.supplier, company="Ó Briain Ltd", name="Seán Ó Briain", emails=[]),
}


def piece(pid: int, ptype: PieceType, day: date, contact: int, price: str, status: Status, **extra: object) -> Piece:
    return Piece(
        id=pid,
        number=f"{ptype.prefix}-{day.year}-{pid:05d}",
        type=ptype,
        date=day,
        due_date=date.fromordinal(day.toordinal() + 30),
        contact_id=contact,
        status=status,
        lines=[Line(description="Maintenance", quantity=D(1), unit_price=D(price), vat_rate=D(20))],
        **extra,  # type: ignore[arg-type]
    )


PIECES = [
    piece(1, PieceType.invoice, date(2026, 10, 3), 1, "100", Status.validated, nature="maintenance"),
    piece(2, PieceType.invoice, date(2026, 10, 20), 2, "1000", Status.sent, notes="Chantier rue de l'Église"),
    piece(
        3,
        PieceType.invoice,
        date(2026, 9, 12),
        1,
        "50",
        Status.paid,
        payments=[Payment(date=date(2026, 9, 30), amount=D("60.00"))],
    ),
    piece(4, PieceType.quote, date(2026, 10, 5), 2, "300", Status.accepted, nature="installation"),
    piece(5, PieceType.supplier_invoice, date(2026, 10, 7), 3, "80", Status.validated),
    piece(6, PieceType.credit_note, date(2025, 12, 30), 1, "20", Status.sent),
]
SUMMARIES = [PieceSummary.of(p) for p in PIECES]


def ids(criteria: Criteria) -> list[int]:
    return sorted(s.id for s in select(SUMMARIES, criteria, CONTACTS))


def test_no_criteria_returns_everything_newest_first() -> None:
    rows = select(SUMMARIES, Criteria(), CONTACTS)
    assert [s.id for s in rows] == [2, 5, 4, 1, 3, 6]


EACH_CRITERION = [
    (Criteria(types=frozenset({PieceType.invoice})), [1, 2, 3]),
    (Criteria(side=Side.supplier), [5]),
    (Criteria(statuses=frozenset({Status.validated})), [1, 5]),
    (Criteria(group=StatusGroup.unpaid), [1, 2, 5, 6]),
    (Criteria(contact_ids=frozenset({2})), [2, 4]),
    (Criteria(min_amount=D("100"), max_amount=D("360")), [1, 4]),  # 120.00 and 360.00 incl. tax
    (Criteria(nature="MAINT"), [1]),
    (Criteria(company="muller"), [2, 4]),
    (Criteria(contact_name="elodie"), [1, 3, 6]),
    (Criteria(text="eglise"), [2]),  # in the notes, without the accent
    (Criteria(text="o briain"), [5]),  # the supplier's name, without accents
    (Criteria(text="FA-2026-00003"), [3]),
    (Criteria(numbers=frozenset({"FA-2026-00001", "AV-2025-00006"})), [1, 6]),
    (Criteria(overdue_on=date(2026, 11, 25)), [1, 2, 5]),  # not the credit note
    (Criteria(ids=frozenset({3, 4})), [3, 4]),
]


@pytest.mark.parametrize(("criteria", "expected"), EACH_CRITERION)
def test_each_criterion(criteria: Criteria, expected: list[int]) -> None:
    assert ids(criteria) == expected
    assert sorted(s.id for s in SummaryIndex(SUMMARIES).select(criteria, CONTACTS)) == expected


def test_criteria_combine() -> None:
    criteria = Criteria(types=frozenset({PieceType.invoice}), group=StatusGroup.unpaid).with_period(
        Period.parse("2026-10")
    )
    assert ids(criteria) == [1, 2]
    criteria.contact_ids = frozenset({1})
    assert ids(criteria) == [1]


def test_empty_result() -> None:
    assert ids(Criteria(types=frozenset({PieceType.order}))) == []
    assert ids(Criteria(text="nothing like this")) == []


def test_periods() -> None:
    assert Period.parse("2026") == Period(start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert Period.parse("2026-02") == Period(start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert Period.parse("2026-12") == Period(start=date(2026, 12, 1), end=date(2026, 12, 31))
    assert ids(Criteria().with_period(Period.parse("2025"))) == [6]
    with pytest.raises(InvalidInput, match="2026-13"):
        Period.parse("2026-13")


def test_fold_removes_case_and_accents() -> None:
    assert fold("L'Atelier d'Élodie") == "l'atelier d'elodie"
    assert fold("Ó Briain") == "o briain"
    assert fold("MÜLLER") == "muller"


def test_the_index_selects_as_select_does_over_many_pieces() -> None:
    """Same rows in the same order (newest first, then by number) for single and mixed criteria, periods that
    start or end between pieces, and a batch of ids."""
    rng = random.Random(5)
    pieces = []
    for pid in range(1, 401):
        ptype = rng.choice(list(PieceType))
        day = date.fromordinal(date(2024, 1, 1).toordinal() + rng.randrange(900))
        status = rng.choice(list(Status))
        pieces.append(piece(pid, ptype, day, rng.choice([1, 2, 3]), str(rng.randint(5, 900)), status))
    summaries = [PieceSummary.of(p) for p in pieces]
    index = SummaryIndex(summaries)
    year = Period.parse("2025")
    for criteria in [
        Criteria(),
        Criteria(types=frozenset({PieceType.invoice})).with_period(year),
        Criteria(types=frozenset({PieceType.quote, PieceType.order}), start=date(2024, 3, 15)),
        Criteria(side=Side.supplier, end=date(2025, 2, 10), group=StatusGroup.unpaid),
        Criteria(side=Side.customer, types=frozenset({PieceType.supplier_invoice})),  # the types win
        Criteria(start=date(2025, 6, 1), end=date(2025, 5, 1)),
        Criteria(types=frozenset({PieceType.credit_note}), company="muller", max_amount=D("300")),
        Criteria(ids=frozenset(range(3, 400, 7)), side=Side.customer, text="fa-2024"),
    ]:
        assert index.select(criteria, CONTACTS) == select(summaries, criteria, CONTACTS), criteria


def test_an_index_built_again_follows_the_pieces() -> None:
    """From the previous index: contents that changed show, and a changed date or a new piece reorders."""
    index = SummaryIndex(SUMMARIES)
    invoices = Criteria(types=frozenset({PieceType.invoice}), statuses=frozenset({Status.sent}))
    assert [s.id for s in index.select(invoices, CONTACTS)] == [2]

    paid = [dataclasses.replace(s, status=Status.sent) if s.id == 1 else s for s in SUMMARIES]
    assert not index.holds(paid)
    again = SummaryIndex(paid, previous=index)
    assert again.holds(paid)
    assert [s.id for s in again.select(invoices, CONTACTS)] == [2, 1]

    moved = [dataclasses.replace(s, date=date(2026, 12, 1)) if s.id == 3 else s for s in paid]
    assert [s.id for s in SummaryIndex(moved, previous=again).select(Criteria(), CONTACTS)] == [3, 2, 5, 4, 1, 6]
    added = [*paid, PieceSummary.of(piece(7, PieceType.invoice, date(2026, 10, 4), 2, "10", Status.sent))]
    assert [s.id for s in SummaryIndex(added, previous=again).select(invoices, CONTACTS)] == [2, 7, 1]
