from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from batchmail.domain.formatting import (
    format_date,
    format_money,
    format_percent,
    format_quantity,
    language_of,
    plain_spaces,
)
from batchmail.domain.language import Language
from batchmail.errors import InvalidInput


@pytest.mark.parametrize(
    ("language", "amount", "expected"),
    [
        ("fr", "1234.56", "1 234,56 €"),
        ("en", "1234.56", "€1,234.56"),
        ("nl", "1234.56", "€ 1.234,56"),
        ("fr", "-1234.5", "-1 234,50 €"),
        ("fr", "0", "0,00 €"),
        ("en", "1234567.891", "€1,234,567.89"),
        ("nl", "40", "€ 40,00"),
    ],
)
def test_money_is_written_the_way_the_language_writes_it(language: str, amount: str, expected: str) -> None:
    assert plain_spaces(format_money(Decimal(amount), language)) == expected


def test_french_money_keeps_babels_no_break_spaces() -> None:
    raw = format_money(Decimal("1234.56"), Language.fr)

    assert raw == "1\u202f234,56\u00a0€"
    assert " " not in raw


def test_another_currency_is_named() -> None:
    assert format_money(Decimal("10"), "en", currency="USD") == "US$10.00"


@pytest.mark.parametrize(
    ("language", "day", "expected"),
    [
        ("fr", date(2026, 11, 23), "23/11/2026"),
        ("en", date(2026, 11, 23), "23/11/2026"),
        ("nl", date(2026, 11, 23), "23/11/2026"),
        ("fr", date(2026, 3, 3), "03/03/2026"),
        ("en", date(2026, 3, 3), "03/03/2026"),
        ("nl", date(2026, 3, 3), "3/03/2026"),
    ],
)
def test_dates_use_the_short_numeric_form(language: str, day: date, expected: str) -> None:
    assert format_date(day, language) == expected


@pytest.mark.parametrize(
    ("language", "rate", "expected"),
    [
        ("fr", "20", "20 %"),
        ("fr", "20.00", "20 %"),
        ("fr", "5.5", "5,5 %"),
        ("fr", "2.10", "2,1 %"),
        ("en", "5.5", "5.5%"),
        ("nl", "5.5", "5,5%"),
        ("nl", "21", "21%"),
        ("fr", "0", "0 %"),
    ],
)
def test_vat_rates_show_only_the_decimals_they_have(language: str, rate: str, expected: str) -> None:
    assert plain_spaces(format_percent(Decimal(rate), language)) == expected


@pytest.mark.parametrize(
    ("language", "quantity", "expected"),
    [
        ("fr", "3.00", "3"),
        ("fr", "2.50", "2,5"),
        ("fr", "100", "100"),
        ("fr", "1500.250", "1 500,25"),
        ("en", "1500.25", "1,500.25"),
        ("nl", "0.125", "0,125"),
    ],
)
def test_quantities_drop_trailing_zeros(language: str, quantity: str, expected: str) -> None:
    assert plain_spaces(format_quantity(Decimal(quantity), language)) == expected


def test_plain_spaces_replaces_both_no_break_spaces() -> None:
    assert plain_spaces("1\u202f234,56\u00a0€") == "1 234,56 €"


@pytest.mark.parametrize("call", [format_money, format_percent, format_quantity])
def test_an_unknown_language_is_refused(call: object) -> None:
    with pytest.raises(InvalidInput, match="'de'"):
        call(Decimal(1), "de")  # type: ignore[operator]


def test_language_of_accepts_the_enum_and_its_values() -> None:
    assert language_of("nl") is Language.nl
    assert language_of(Language.en) is Language.en
    with pytest.raises(InvalidInput):
        language_of("fr_FR")
