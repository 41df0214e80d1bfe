"""A date field with its picker, as the treatments' parameters use it, and the date it holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from nicegui import ui

from batchmail.errors import InvalidInput
from ui import i18n

DATE_MASK = "DD/MM/YYYY"  # what French and English (en_GB) both write, as in the filter bar
FIELD_PROPS = "outlined dense options-dense hide-bottom-space stack-label"


def date_field(
    label_key: str, value: date | None, test_id: str, on_change: Callable[..., Any] | None = None
) -> ui.input:
    field = ui.input(i18n.t(label_key), value=i18n.day(value), placeholder=DATE_MASK.lower(), on_change=on_change)
    field.classes("w-[150px]").props(f"{FIELD_PROPS} debounce=300 data-testid={test_id}")
    with field.add_slot("append"), ui.icon("event", size="xs").classes("cursor-pointer"), ui.menu() as menu:
        ui.date(mask=DATE_MASK, on_change=menu.close).bind_value(field).props("minimal")
    return field


def field_day(field: ui.input, label_key: str) -> date | None:
    """The date of a field as the picker writes it; None when empty. InvalidInput names the field and the text."""
    text = str(field.value or "").strip()
    try:
        return datetime.strptime(text, "%d/%m/%Y").date() if text else None
    except ValueError as err:
        raise InvalidInput(i18n.t("field.error.date", field=i18n.t(label_key), value=text)) from err
