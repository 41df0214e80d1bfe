"""French and English labels for the UI, and numbers, money and dates written the way the chosen language
writes them (Babel, through batchmail.formatting).

The language is an app preference kept in `app.storage.general` (one user per desktop install), so it survives
a restart and needs no browser cookie. French is the default. The words themselves are in ui/labels/.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from nicegui import app

from batchmail.domain.formatting import format_date, format_money, format_percent, format_quantity
from batchmail.domain.pieces import PieceType, Side, Status, StatusGroup
from batchmail.sending.outbox import OutboxState
from ui.labels import ENGLISH, FRENCH

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
_KEY = "language"

LABELS: dict[str, dict[str, str]] = {"fr": FRENCH, "en": ENGLISH}


def language() -> str:
    chosen = app.storage.general.get(_KEY, DEFAULT_LANGUAGE)
    return chosen if chosen in LABELS else DEFAULT_LANGUAGE


def set_language(code: str) -> None:
    if code not in LABELS:
        raise ValueError(f"language {code!r} is not one of {', '.join(LANGUAGES)}")
    app.storage.general[_KEY] = code


def t(key: str, **values: Any) -> str:
    """The label for `key` in the current language, with `values` filled in; a missing key shows itself."""
    text = LABELS[language()].get(key) or FRENCH.get(key) or key
    return text.format(**values) if values else text


def money(amount: Decimal) -> str:
    return format_money(amount, language())


def number(value: int | Decimal) -> str:
    """A count or quantity with the language's digit grouping: fr "20 000", en "20,000"."""
    return format_quantity(Decimal(value), language())


def percent(rate: Decimal) -> str:
    return format_percent(rate, language())


def day(d: date | None) -> str:
    return format_date(d, language()) if d else ""


def reminder(level: int, last: date | None) -> str:
    """A piece's dunning as the grid shows it: "2 · 14/11/2026"; "" for a piece never reminded."""
    return f"{number(level)} · {day(last)}" if level and last else (number(level) if level else "")


def moment(when: datetime) -> str:
    """A date and time of day, in local time: "23/11/2026 14:05"."""
    return f"{day(when.date())} {when.astimezone():%H:%M}"


def count_of(key: str, count: int, **values: Any) -> str:
    """A count sentence: `key`.one for one, `key` otherwise, with the count written for the language."""
    return t(f"{key}.one" if count == 1 else key, count=number(count), **values)


def piece_type(value: PieceType) -> str:
    return t(f"type.{value.value}")


def status(value: Status) -> str:
    return t(f"status.{value.value}")


def side(value: Side) -> str:
    return t(f"side.{value.value}")


def group(value: StatusGroup) -> str:
    return t(f"group.{value.value}")


def state(value: OutboxState) -> str:
    return t(f"state.{value.value}")
