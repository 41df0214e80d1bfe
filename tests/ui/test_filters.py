"""The filter form of the main screen: each field into criteria, combinations, what is remembered, bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from batchmail.domain.pieces import PieceType, Side, Status, StatusGroup
from batchmail.domain.selection import Criteria, PieceSummary, select
from batchmail.errors import InvalidInput
from ui.filters import FilterForm, parse_amount


def test_an_empty_form_filters_nothing() -> None:
    assert FilterForm().criteria() == Criteria()
    assert FilterForm().to_dict() == {}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (FilterForm(side="supplier"), Criteria(side=Side.supplier)),
        (FilterForm(type="credit_note"), Criteria(types=frozenset({PieceType.credit_note}))),
        (FilterForm(status="status:paid"), Criteria(statuses=frozenset({Status.paid}))),
        (FilterForm(status="group:unpaid"), Criteria(group=StatusGroup.unpaid)),
        (FilterForm(period="2026"), Criteria(start=date(2026, 1, 1), end=date(2026, 12, 31))),
        (FilterForm(period="2024-02"), Criteria(start=date(2024, 2, 1), end=date(2024, 2, 29))),
        (FilterForm(start="05/10/2026"), Criteria(start=date(2026, 10, 5))),
        (FilterForm(end="2026-10-31"), Criteria(end=date(2026, 10, 31))),
        (FilterForm(contact_id=7), Criteria(contact_ids=frozenset({7}))),
        (FilterForm(min_amount="1 234,50"), Criteria(min_amount=Decimal("1234.50"))),
        (FilterForm(max_amount="1,234.5"), Criteria(max_amount=Decimal("1234.5"))),
        (FilterForm(max_amount="1.234,5"), Criteria(max_amount=Decimal("1234.5"))),
        (FilterForm(nature=" dépannage "), Criteria(nature="dépannage")),
        (FilterForm(company="Müller"), Criteria(company="Müller")),
        (FilterForm(contact_name="Élodie"), Criteria(contact_name="Élodie")),
        (FilterForm(text=" FA-2026 "), Criteria(text="FA-2026")),
    ],
)
def test_each_field(form: FilterForm, expected: Criteria) -> None:
    assert form.criteria() == expected


def test_a_period_and_dates_narrow_each_other() -> None:
    criteria = FilterForm(period="2026-10", start="10/10/2026", end="15/11/2026").criteria()
    assert (criteria.start, criteria.end) == (date(2026, 10, 10), date(2026, 10, 31))
    criteria = FilterForm(period="2026", start="01/01/2025").criteria()
    assert (criteria.start, criteria.end) == (date(2026, 1, 1), date(2026, 12, 31))


def test_fields_combine() -> None:
    form = FilterForm(type="invoice", status="group:unpaid", period="2026-10", contact_id=3, min_amount="100")
    assert form.criteria() == Criteria(
        types=frozenset({PieceType.invoice}),
        group=StatusGroup.unpaid,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        contact_ids=frozenset({3}),
        min_amount=Decimal(100),
    )


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (FilterForm(period="10/2026"), "period"),
        (FilterForm(period="2026-13"), "period"),
        (FilterForm(start="31/02/2026"), "from"),
        (FilterForm(end="tomorrow"), "to"),
        (FilterForm(min_amount="12 €"), "amount from"),
        (FilterForm(max_amount="Infinity"), "amount to"),
        (FilterForm(type="bill"), "type"),
        (FilterForm(status="status:lost"), "status"),
    ],
)
def test_bad_input_names_the_field(form: FilterForm, field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        form.criteria()


def test_remembered_values_round_trip_and_odd_ones_are_dropped() -> None:
    form = FilterForm(type="invoice", status="group:open", contact_id=4, text="Éric", min_amount="10,5")
    assert FilterForm.from_dict(form.to_dict()) == form
    odd = FilterForm.from_dict({"type": 3, "contact_id": "4", "unknown": "x", "period": "2026", "side": None})
    assert odd == FilterForm(period="2026")
    assert FilterForm.from_dict({"contact_id": True}) == FilterForm()


def test_amounts() -> None:
    assert parse_amount("", "x") is None
    assert parse_amount("\u202f1\u202f000,00", "x") == Decimal("1000.00")
    assert parse_amount("-20", "x") == Decimal(-20)


def test_the_reminder_filter_narrows_on_the_reminders_sent() -> None:
    summaries = [
        PieceSummary(
            id=n,
            number=f"FA-2026-{n:05d}",
            type=PieceType.invoice,
            status=Status.sent,
            date=date(2026, 10, 1),
            due_date=date(2026, 10, 31),
            contact_id=1,
            total_incl_tax=Decimal(100),
            balance=Decimal(100),
            nature="",
            last_sent=None,
            search_text="",
            reminders=n,
        )
        for n in range(5)
    ]

    def kept(choice: str) -> list[int]:
        return [s.reminders for s in select(summaries, FilterForm(reminders=choice).criteria(), {})]

    assert (kept(""), kept("none"), kept("any")) == ([4, 3, 2, 1, 0], [0], [4, 3, 2, 1])
    assert (kept("1"), kept("2"), kept("3")) == ([1], [2], [4, 3])
    with pytest.raises(InvalidInput, match="reminders: 'often'"):
        FilterForm(reminders="often").criteria()
