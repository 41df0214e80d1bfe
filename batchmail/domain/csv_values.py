"""How a cell of an imported file is read: each reader takes the cell's text and gives the value, or raises
InvalidInput saying what is wrong with it (the import names the line and the column)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from batchmail.domain.addresses import parse_address
from batchmail.domain.language import Language
from batchmail.domain.money import HUNDRED, parse_decimal
from batchmail.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_RE = re.compile(r"\d+")
_ID_DIGITS = 9  # ids of a billion and more are no one's customer codes
_YES = {"yes", "y", "true", "1", "oui", "o", "ja", "j"}
_NO = {"no", "n", "false", "0", "non", "nee"}


def required(text: str) -> str:
    if not text:
        raise InvalidInput("empty, a value is required")
    return text


def positive_int(text: str) -> int:
    digits = text.lstrip("0") if _INT_RE.fullmatch(text) else ""
    if not digits:
        raise InvalidInput(f"{text[:40]!r} is not a whole number of 1 or more")
    if len(digits) > _ID_DIGITS:
        raise InvalidInput(f"{text[:40]!r} is too large (at most {_ID_DIGITS} digits)")
    return int(digits)


def day(text: str) -> date:
    if not text:
        raise InvalidInput("empty, a date is expected (YYYY-MM-DD)")
    try:
        if _DATE_RE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass  # the shape is right but the day does not exist: same message
    raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)")


def optional_date(text: str) -> date | None:
    return day(text) if text else None


def decimal(text: str) -> Decimal:
    if not text:
        raise InvalidInput("empty, a number is expected (use a point: 12.50)")
    return parse_decimal(text)


def amount(text: str) -> Decimal:
    value = decimal(text)
    if value <= 0:
        raise InvalidInput(f"{text!r} must be more than 0")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"{text!r} has more than two decimals")
    return value


def vat_rate(text: str) -> Decimal:
    rate = decimal(text)
    if not 0 <= rate < HUNDRED:
        raise InvalidInput(f"{text!r} is not a percentage from 0 to 100 (20 for 20 %)")
    return rate


def discount(text: str) -> Decimal | None:
    if not text:
        return None
    value = decimal(text)
    if not 0 <= value <= HUNDRED:
        raise InvalidInput(f"{text!r} is not a percentage from 0 to 100 (10 for 10 %)")
    return value


def choice(enum: type[E]) -> Callable[[str], E]:
    def parse(text: str) -> E:
        try:
            return enum(text.lower())
        except ValueError as err:
            allowed = "|".join(member.value for member in enum)
            raise InvalidInput(f"{text!r} is not one of {allowed}") from err

    return parse


def language(text: str) -> Language:
    return choice(Language)(text) if text else Language.fr


def yes_no(text: str) -> bool:
    if not text or text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    raise InvalidInput(f"{text!r} is not yes or no (empty means yes)")


def emails(text: str) -> list[str]:
    """Addresses separated by ";", each parsed as every address of BatchMail is."""
    return [parse_address(address) for address in (part.strip() for part in text.split(";")) if address]
