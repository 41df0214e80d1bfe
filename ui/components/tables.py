"""Small read-only tables (drawers, reports, previews): columns given as (field, label key, alignment)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ui import i18n

Column = tuple[str, str, str]  # field, label key in ui/labels, "left" or "right"


def simple_table(columns: list[Column], rows: list[dict[str, Any]], test_id: str, *, per_page: int = 0) -> ui.table:
    """A dense bordered table; rows without an "id" are numbered. `per_page` 0 shows every row."""
    table = ui.table(
        columns=table_columns(columns),
        rows=rows if not rows or "id" in rows[0] else [{"id": n, **row} for n, row in enumerate(rows)],
        row_key="id",
        pagination={"rowsPerPage": per_page} if per_page else 0,
    )
    table.classes("w-full").props(f"flat bordered dense wrap-cells data-testid={test_id}")
    if not per_page:
        table.props("hide-bottom")
    return table


def table_columns(columns: list[Column]) -> list[dict[str, str]]:
    """Quasar's column definitions, labelled in the current language."""
    return [{"name": name, "label": i18n.t(key), "field": name, "align": align} for name, key, align in columns]
