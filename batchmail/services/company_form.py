"""The issuing company as a settings form edits it: the text of each field, and that text read back into a company
with every problem found, each naming its field, so a screen can show all of them at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from batchmail.documents.piece_html import accent_color
from batchmail.domain.addresses import parse_address
from batchmail.domain.company import IssuingCompany
from batchmail.domain.language import Language
from batchmail.domain.money import HUNDRED
from batchmail.errors import InvalidAddress, InvalidInput

FOOTER_MAX_CHARS = 300
MAX_PAYMENT_DAYS = 365

# Every field of IssuingCompany but the logo, which only `save(logo=...)` changes.
EDITABLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(IssuingCompany) if f.name != "logo_path")
_COLOR = re.compile(r"#(?:[0-9a-f]{3}){1,2}")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


class Problem(StrEnum):
    required = "required"  # the field may not be empty
    too_long = "too_long"  # more characters than the documents have room for
    email = "email"  # not an email address
    iban = "iban"  # not an IBAN, or its check digits are wrong
    bic = "bic"  # not 8 or 11 letters and digits shaped as a BIC
    color = "color"  # not "#rrggbb" (or "#rgb")
    siren = "siren"  # not 9 digits
    siret = "siret"  # not 14 digits
    siret_siren = "siret_siren"  # the SIRET does not begin with the SIREN
    days = "days"  # not a whole number of days from 0 to MAX_PAYMENT_DAYS
    rate = "rate"  # not a percentage from 0 to 100
    amount = "amount"  # not an amount of zero or more
    language = "language"  # not one of the documents' languages


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldError:
    """One problem with one field: `field` is the IssuingCompany attribute, `detail` an English sentence."""

    field: str
    problem: Problem
    detail: str

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


def company_form(company: IssuingCompany) -> dict[str, str]:
    """The text of every editable field, as a form shows it and `parse_company` reads it back."""
    return {name: str(getattr(company, name)) for name in EDITABLE_FIELDS}


def parse_company(values: Mapping[str, str], *, base: IssuingCompany) -> tuple[IssuingCompany, list[FieldError]]:
    """`base` with the fields in `values` replaced by their parsed, normalised value (emails as email-validator
    writes them, IBAN and BIC upper case without spaces, colours "#rrggbb"), and every problem found. A field with
    a problem keeps its `base` value in the returned company. Unknown field names are refused."""
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"issuing company: no field named {', '.join(unknown)}")
    changes: dict[str, object] = {}
    errors: list[FieldError] = []
    for name, text in values.items():
        try:
            changes[name] = _PARSERS.get(name, _text)(text.strip())
        except _Refused as refused:
            errors.append(FieldError(field=name, problem=refused.problem, detail=refused.detail))
    company = replace(base, **changes)  # type: ignore[arg-type]  # values checked by the parsers above
    if not company.name:
        errors.append(FieldError(field="name", problem=Problem.required, detail="the company needs a name"))
    edited = {"siren", "siret"} & set(changes)  # stored values that were not edited are not judged again
    if edited and company.siren and company.siret and not company.siret.startswith(company.siren):
        errors.append(
            FieldError(field="siret", problem=Problem.siret_siren, detail=f"does not begin with {company.siren}")
        )
    return company, errors


class _Refused(InvalidInput):
    """One field of the company form refused, with the problem the form shows under it."""

    def __init__(self, problem: Problem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


def _text(value: str) -> str:
    return value


def _footer(value: str) -> str:
    if len(value) > FOOTER_MAX_CHARS:
        raise _Refused(Problem.too_long, f"{len(value)} characters, at most {FOOTER_MAX_CHARS}")
    return value


def _email(value: str) -> str:
    if not value:
        return ""
    try:
        return parse_address(value)
    except InvalidAddress as err:
        raise _Refused(Problem.email, f"{value!r} is not an email address ({err.reason})") from err


def hex_color(value: str) -> str | None:
    """`value` as "#rrggbb" when it is "#rgb" or "#rrggbb" (any case, spaces around), else None."""
    value = value.strip()
    return accent_color(value) if _COLOR.fullmatch(value.lower()) else None


def _color(value: str) -> str:
    color = hex_color(value)
    if color is None:
        raise _Refused(Problem.color, f"{value!r} is not a colour written #rrggbb")
    return color


def _iban(value: str) -> str:
    """Upper case without spaces, its ISO 13616 check digits verified (mod 97 of the rearranged number is 1)."""
    compact = re.sub(r"\s+", "", value).upper()
    if not compact:
        return ""
    if not _IBAN.fullmatch(compact):
        raise _Refused(Problem.iban, f"{value!r} is not shaped as an IBAN (country, 2 check digits, account)")
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    if int(digits) % 97 != 1:
        raise _Refused(Problem.iban, f"{value!r}: the check digits do not match, a character is wrong")
    return compact


def _bic(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    if compact and not _BIC.fullmatch(compact):
        raise _Refused(Problem.bic, f"{value!r} is not a BIC (8 or 11 letters and digits)")
    return compact


def _digits(count: int, problem: Problem) -> Callable[[str], str]:
    def parse(value: str) -> str:
        compact = re.sub(r"[\s.]+", "", value)
        if compact and not (compact.isascii() and compact.isdigit() and len(compact) == count):
            raise _Refused(problem, f"{value!r} is not {count} digits")
        return compact

    return parse


def _days(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_PAYMENT_DAYS:
        raise _Refused(Problem.days, f"{value!r} is not a whole number of days from 0 to {MAX_PAYMENT_DAYS}")
    return int(value)


def _decimal(value: str) -> Decimal | None:
    """A number written with a comma or a point, or None when it is not one."""
    try:
        number = Decimal(value.replace(",", ".").replace(" ", "").replace("\u202f", "").replace("\xa0", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _rate(value: str) -> Decimal:
    rate = _decimal(value.removesuffix("%").strip())
    if rate is None or not 0 <= rate <= HUNDRED:
        raise _Refused(Problem.rate, f"{value!r} is not a percentage from 0 to 100")
    return rate


def _amount(value: str) -> Decimal:
    amount = _decimal(value.removesuffix("€").strip())
    if amount is None or amount < 0:
        raise _Refused(Problem.amount, f"{value!r} is not an amount of zero or more")
    return amount


def _language(value: str) -> Language:
    try:
        return Language(value)
    except ValueError as err:
        known = ", ".join(language.value for language in Language)
        raise _Refused(Problem.language, f"{value!r} is not one of {known}") from err


_PARSERS: dict[str, Callable[[str], object]] = {
    "footer_text": _footer,
    "email": _email,
    "archive_bcc": _email,
    "accent_color": _color,
    "iban": _iban,
    "bic": _bic,
    "siren": _digits(9, Problem.siren),
    "siret": _digits(14, Problem.siret),
    "payment_terms_days": _days,
    "late_penalty_rate": _rate,
    "recovery_indemnity": _amount,
    "language": _language,
}
