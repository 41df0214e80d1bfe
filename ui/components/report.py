"""The send report: counts, one row per message and the pieces that were skipped, with why."""

from __future__ import annotations

from nicegui import ui

from batchmail.compose import Skipped
from batchmail.report import BatchReport
from ui import i18n
from ui.components.tables import simple_table

ROWS_PER_PAGE = 10

# (label key, test id, chip colour); the counts come from `counts_of`.
_COUNTS = (
    ("report.sent", "sent", "positive"),
    ("report.waiting", "waiting", "orange-8"),
    ("report.failed", "failed", "negative"),
    ("report.uncertain", "uncertain", "deep-purple-6"),
    ("report.skipped", "skipped", "grey-7"),
)
_STATE_COLOURS = {
    "sent": "text-positive",
    "failed": "text-negative",
    "uncertain": "text-deep-purple-6",
    "retry_waiting": "text-orange-8",
}


def counts_of(report: BatchReport) -> dict[str, int]:
    counts = report.counts
    return {
        "sent": counts["sent"],
        "waiting": counts["queued"] + counts["sending"] + counts["retry_waiting"],
        "failed": counts["failed"],
        "uncertain": counts["uncertain"],
        "skipped": counts["skipped"],
    }


def show_report(report: BatchReport) -> None:
    """Draw the report in the current container."""
    counts = counts_of(report)
    with ui.card().classes("w-full gap-3").props("flat bordered data-testid=report"):
        ui.label(i18n.t("report.title")).classes("text-lg font-semibold")
        if report.test_mode:
            ui.label(i18n.t("report.test")).classes("text-sm text-orange-9")
        with ui.row().classes("gap-2 items-center"):
            for key, name, colour in _COUNTS:
                with ui.element("div").classes("flex items-baseline gap-1 px-3 py-1 rounded-full bg-grey-2"):
                    ui.label(str(counts[name])).classes(f"text-base font-semibold text-{colour}").props(
                        f"data-testid=report-{name}"
                    )
                    ui.label(i18n.t(key)).classes("text-sm text-grey-8")
        if report.stopped:
            ui.label(report.stopped).classes("text-negative").props("data-testid=report-stopped")
        if report.rows:
            _messages_table(report)
        if report.skipped:
            skipped_table(report.skipped)


def _messages_table(report: BatchReport) -> None:
    rows = [
        {
            "id": row.entry_id,
            "pieces": ", ".join(row.numbers),
            "recipients": ", ".join(row.recipients),
            "state": i18n.state(row.state),
            "state_class": _STATE_COLOURS.get(row.state.value, ""),
            "detail": row.detail + (f" ({i18n.day(row.next_try.date())} {row.next_try:%H:%M})" if row.next_try else ""),
        }
        for row in report.rows.values()
    ]
    columns = [
        ("pieces", "report.pieces", "left"),
        ("recipients", "report.recipients", "left"),
        ("state", "report.state", "left"),
        ("detail", "report.detail", "left"),
    ]
    table = simple_table(columns, rows, "report-message-list", per_page=ROWS_PER_PAGE)
    table.add_slot(
        "body-cell-state",
        '<q-td :props="props"><span :class="props.row.state_class">{{ props.value }}</span></q-td>',
    )


def skipped_table(skipped: list[Skipped]) -> None:
    """The pieces that were (or would be) left out, with why."""
    ui.label(i18n.t("report.skipped.title")).classes("text-base font-semibold mt-2")
    columns = [
        ("piece", "report.pieces", "left"),
        ("contact", "report.contact", "left"),
        ("reason", "report.reason", "left"),
    ]
    rows = [{"id": s.piece_id, "piece": s.number, "contact": s.contact, "reason": s.reason} for s in skipped]
    simple_table(columns, rows, "report-skipped-pieces", per_page=ROWS_PER_PAGE)
