"""Money and VAT: amounts are `Decimal`, rounded to the cent half up, and VAT is computed per rate.

Rounding rule (one for the whole app, the usual French practice): each line's amount excluding tax is rounded to
the cent, half up; VAT is computed per rate on the sum of the rounded line amounts of that rate and rounded to the
cent, half up; the total including tax is the total excluding tax plus the VAT of every rate. So the VAT
breakdown printed on a document always adds up to its totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from batchmail.errors import InvalidInput

CENT = Decimal("0.01")
LARGEST_DIGITS = 12  # no quantity, price or payment of a small business reaches a thousand billion
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round an amount to the cent, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(text: str, what: str = "") -> Decimal:
    """A decimal written with a point, as in the CSV formats; raises InvalidInput naming `what` when given."""
    where = f"{what}: " if what else ""
    try:
        value = Decimal(text.strip())
    except ArithmeticError as err:
        raise InvalidInput(f"{where}{text!r} is not a number (use a point: 12.50)") from err
    if not value.is_finite():
        raise InvalidInput(f"{where}{text!r} is not a number")
    if value.adjusted() >= LARGEST_DIGITS:  # the exponent, not abs(): 1e999999999 would overflow
        raise InvalidInput(f"{where}{text[:40]!r} is too large (at most {10**LARGEST_DIGITS - 1:,})")
    return value


class Taxed(Protocol):
    """What VAT is computed on: an amount excluding tax (rounded to the cent) at a VAT rate."""

    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def amount_excl_tax(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class VatLine:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    excl_tax: Decimal
    vat: tuple[VatLine, ...]
    vat_total: Decimal
    incl_tax: Decimal

    @classmethod
    def of(cls, lines: Iterable[Taxed]) -> Totals:
        bases: defaultdict[Decimal, Decimal] = defaultdict(lambda: ZERO)
        for line in lines:
            bases[line.vat_rate] += line.amount_excl_tax
        vat = tuple(
            VatLine(rate=rate, base=base, amount=to_cents(base * rate / HUNDRED))
            for rate, base in sorted(bases.items())
        )
        excl = sum((v.base for v in vat), ZERO)
        vat_total = sum((v.amount for v in vat), ZERO)
        return cls(excl_tax=excl, vat=vat, vat_total=vat_total, incl_tax=excl + vat_total)
