"""Money, dates, percentages and quantities written the way the recipient's language writes them (Babel, CLDR).

Babel's output is kept as it is, including its no-break spaces (U+00A0 and the narrow U+202F that French uses
between thousands and before "€" or "%"): they keep an amount on one line in a PDF or a mail. `plain_spaces`
turns them into ordinary spaces for comparisons and for text where they do not matter.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as _babel_percent

from batchmail.domain.language import Language
from batchmail.errors import InvalidInput

LOCALES: dict[Language, str] = {
    Language.fr: "fr_FR",
    Language.en: "en_GB",
    Language.nl: "nl_BE",
}

_NO_BREAK_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})
_HUNDRED = Decimal(100)


def language_of(value: str) -> Language:
    """`value` as one of BatchMail's languages; raises InvalidInput for any other."""
    try:
        return Language(value)
    except ValueError as err:
        raise InvalidInput(f"language {value!r} is not one of {', '.join(Language)}") from err


def locale_of(language: str) -> Locale:
    """The Babel locale for one of BatchMail's languages; raises InvalidInput for any other."""
    return _locale(language_of(language))


def format_money(amount: Decimal, language: str, currency: str = "EUR") -> str:
    """An amount with its currency: fr "1 234,56 €", en "€1,234.56", nl "€ 1.234,56"."""
    return format_currency(amount, currency, locale=locale_of(language))


def format_date(d: date, language: str) -> str:
    """A date in the locale's short numeric form: fr and en "23/11/2026", nl (Belgium) "23/11/2026", "3/03/2026"."""
    return _babel_date(d, format="short", locale=locale_of(language))


def format_percent(rate: Decimal, language: str) -> str:
    """A rate given in percent (20, 5.5) as written in the language: fr "5,5 %", en "5.5%", nl "5,5%"."""
    return _babel_percent(rate / _HUNDRED, locale=locale_of(language), decimal_quantization=False)


def format_quantity(quantity: Decimal, language: str) -> str:
    """A quantity with only the decimals it needs: "3", "2,5", "1 500,25" (fr)."""
    return format_decimal(_without_trailing_zeros(quantity), locale=locale_of(language), decimal_quantization=False)


def plain_spaces(text: str) -> str:
    """`text` with Babel's no-break spaces (U+00A0, U+202F) replaced by ordinary spaces."""
    return text.translate(_NO_BREAK_SPACES)


@cache
def _locale(language: Language) -> Locale:
    return Locale.parse(LOCALES[language])


def _without_trailing_zeros(value: Decimal) -> Decimal:
    """3.00 -> 3 and 2.50 -> 2.5, without the exponent form `normalize()` gives to 100 (1E+2)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
