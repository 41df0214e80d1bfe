"""The filter form of the selection: what the user typed and chose, kept as plain values so it can be remembered
from one use of the app to the next, and turned into `Criteria` for the workspace service.

No NiceGUI here: the form's semantics are tested without a page.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from batchmail.domain.pieces import PieceType, Side, Status, StatusGroup
from batchmail.domain.selection import Criteria, Period
from batchmail.errors import InvalidInput

GROUP, STATUS = "group:", "status:"  # prefixes of the status filter's values: a status group or one status
PERIOD_PATTERN = re.compile(r"\d{4}(-\d{2})?")
_DAY_FIRST = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
E = TypeVar("E", Side, PieceType, Status, StatusGroup)
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass(kw_only=True, slots=True)
class FilterForm:
    side: str | None = None  # a Side value
    type: str | None = None  # a PieceType value
    status: str | None = None  # "group:unpaid" or "status:validated"
    period: str = ""  # a year (2026) or a month (2026-10)
    start: str = ""  # DD/MM/YYYY (or ISO), inclusive
    end: str = ""  # DD/MM/YYYY (or ISO), inclusive
    contact_id: int | None = None
    min_amount: str = ""  # on the total incl. tax, as typed: "1 234,50" or "1234.5"
    max_amount: str = ""
    nature: str = ""
    company: str = ""
    contact_name: str = ""
    text: str = ""  # number, names, notes
    reminders: str = ""  # one of REMINDER_CHOICES: how many payment reminders the pieces had

    def criteria(self) -> Criteria:
        """The criteria the form asks for. A period and from/to dates narrow each other. Raises InvalidInput,
        naming the field, for a period, date or amount that cannot be read."""
        statuses, group = frozenset[Status](), None
        if self.status and self.status.startswith(GROUP):
            group = _enum(StatusGroup, self.status.removeprefix(GROUP), "status")
        elif self.status:
            statuses = frozenset({_enum(Status, self.status.removeprefix(STATUS), "status")})
        start, end = parse_period(self.period)
        start = _latest(start, _date(self.start, "from"))
        end = _earliest(end, _date(self.end, "to"))
        fewest, most = _reminder_bounds(self.reminders)
        return Criteria(
            side=_enum(Side, self.side, "side") if self.side else None,
            types=frozenset({_enum(PieceType, self.type, "type")}) if self.type else frozenset(),
            statuses=statuses,
            group=group,
            start=start,
            end=end,
            contact_ids=frozenset({self.contact_id}) if self.contact_id is not None else frozenset(),
            min_amount=parse_amount(self.min_amount, "amount from"),
            max_amount=parse_amount(self.max_amount, "amount to"),
            nature=self.nature.strip(),
            company=self.company.strip(),
            contact_name=self.contact_name.strip(),
            text=self.text.strip(),
            min_reminders=fewest,
            max_reminders=most,
        )

    def to_dict(self) -> dict[str, Any]:
        """Only the fields that filter, as plain JSON values."""
        return {f.name: value for f in dataclasses.fields(self) if (value := getattr(self, f.name)) not in (None, "")}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FilterForm:
        """A form from remembered values; an unknown name or a value of the wrong kind is dropped, not fatal (the
        values were written by an older or newer app)."""
        form = cls()
        for f in dataclasses.fields(cls):
            value = values.get(f.name)
            if f.name == "contact_id":
                if isinstance(value, int) and not isinstance(value, bool):
                    form.contact_id = value
            elif isinstance(value, str):
                setattr(form, f.name, value)
        return form


# The reminder filter's choices: (fewest, most) reminders sent; the top level also takes the pieces beyond it.
REMINDER_CHOICES: dict[str, tuple[int | None, int | None]] = {
    "none": (None, 0),
    "any": (1, None),
    "1": (1, 1),
    "2": (2, 2),
    "3": (3, None),
}


def _reminder_bounds(choice: str) -> tuple[int | None, int | None]:
    if not choice:
        return None, None
    if choice not in REMINDER_CHOICES:
        raise InvalidInput(f"reminders: {choice!r} is not one of {', '.join(REMINDER_CHOICES)}")
    return REMINDER_CHOICES[choice]


def parse_period(text: str) -> tuple[date | None, date | None]:
    """(first day, last day) of a year or a month; (None, None) for an empty text."""
    text = text.strip()
    if not text:
        return None, None
    if not PERIOD_PATTERN.fullmatch(text):
        raise InvalidInput(f"period: {text!r} is not a year (2026) or a month (2026-10)")
    period = Period.parse(text)
    return period.start, period.end


def parse_amount(text: str, what: str) -> Decimal | None:
    """An amount as a French or English user types it: "1 234,50", "1,234.50", "1234.5"; None when empty."""
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "") if cleaned.rindex(".") > cleaned.rindex(",") else cleaned.replace(".", "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as err:
        raise InvalidInput(f"{what}: {text!r} is not an amount") from err
    if not amount.is_finite():
        raise InvalidInput(f"{what}: {text!r} is not an amount")
    return amount


def _date(text: str, what: str) -> date | None:
    """A date as the date picker writes it (DD/MM/YYYY, French and British alike) or in ISO form."""
    text = text.strip()
    if not text:
        return None
    try:
        if _DAY_FIRST.fullmatch(text):
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput(f"{what}: {text!r} is not a date (DD/MM/YYYY)") from err


def _enum(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value)
    except ValueError as err:
        raise InvalidInput(f"{what}: {value!r} is not one of {', '.join(kind)}") from err


def _latest(a: date | None, b: date | None) -> date | None:
    return max(a, b) if a and b else a or b


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(a, b) if a and b else a or b
