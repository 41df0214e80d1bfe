"""The send report: counts, one row per message and the pieces that were skipped, with why."""

from __future__ import annotations

from nicegui import ui

from batchmail.report import BatchReport
from ui import i18n

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
            _skipped_table(report)


def _messages_table(report: BatchReport) -> None:
    columns = [
        {"name": "pieces", "label": i18n.t("report.pieces"), "field": "pieces", "align": "left"},
        {"name": "recipients", "label": i18n.t("report.recipients"), "field": "recipients", "align": "left"},
        {"name": "state", "label": i18n.t("report.state"), "field": "state", "align": "left"},
        {"name": "detail", "label": i18n.t("report.detail"), "field": "detail", "align": "left"},
    ]
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
    table = ui.table(columns=columns, rows=rows, row_key="id", pagination={"rowsPerPage": 10})
    table.classes("w-full").props("flat bordered dense data-testid=report-message-list")
    table.add_slot(
        "body-cell-state",
        '<q-td :props="props"><span :class="props.row.state_class">{{ props.value }}</span></q-td>',
    )


def _skipped_table(report: BatchReport) -> None:
    ui.label(i18n.t("report.skipped.title")).classes("text-base font-semibold mt-2")
    columns = [
        {"name": "piece", "label": i18n.t("report.pieces"), "field": "piece", "align": "left"},
        {"name": "contact", "label": i18n.t("report.contact"), "field": "contact", "align": "left"},
        {"name": "reason", "label": i18n.t("report.reason"), "field": "reason", "align": "left"},
    ]
    rows = [{"id": s.piece_id, "piece": s.number, "contact": s.contact, "reason": s.reason} for s in report.skipped]
    table = ui.table(columns=columns, rows=rows, row_key="id", pagination={"rowsPerPage": 10})
    table.classes("w-full").props("flat bordered dense data-testid=report-skipped-pieces")
