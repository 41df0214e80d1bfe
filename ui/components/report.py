"""The send report, live: a progress bar, the counts, one row per message with its state and the server's answer,
the expected end; once the batch is done, what was sent, what failed and why, what will be retried and when, and
the provider's news of each mail (delivered, opened, bounced...).

Built once and redrawn from the report as it changes; the message rows, the heaviest part, at most once a second.
The card's test id is `report-running` while the batch runs and `report` once it is done.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from batchmail.sending.checks import Skipped, Warning, WarningCode
from batchmail.sending.outbox import OutboxState
from batchmail.sending.report import BatchReport, Held, Phase, ReportRow
from ui import i18n
from ui.components.tables import Column, simple_table, table_columns

ROWS_PER_PAGE = 10
_ROWS_EVERY = 1.0  # seconds between two redraws of the message rows while the batch runs
_SHOWN_FAILURES = 20  # failed mails listed by name in the closing summary

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
_MESSAGE_COLUMNS: list[Column] = [
    ("pieces", "report.pieces", "left"),
    ("recipients", "report.recipients", "left"),
    ("state", "report.state", "left"),
    ("detail", "report.detail", "left"),
    ("event", "report.event", "left"),
]
_DETAILED = frozenset({WarningCode.template_error, WarningCode.invalid_address})  # the detail says what to fix


def counts_of(report: BatchReport) -> dict[str, int]:
    counts = report.counts
    return {
        "sent": counts["sent"],
        "waiting": counts["queued"] + counts["sending"] + counts["retry_waiting"],
        "failed": counts["failed"],
        "uncertain": counts["uncertain"],
        "skipped": counts["skipped"],
    }


class ReportView:
    def __init__(self, *, on_refresh_events: Callable[[], Awaitable[None]]) -> None:
        self._drawn: tuple[Any, ...] | None = None
        self._rows_at = 0.0
        with ui.card().classes("w-full gap-3").props("flat bordered data-testid=report-running") as self.card:
            with ui.row().classes("w-full items-center"):
                ui.label(i18n.t("report.title")).classes("text-lg font-semibold")
                ui.space()
                self.refresh = ui.button(i18n.t("report.events.refresh"), icon="refresh", on_click=on_refresh_events)
                self.refresh.props("flat no-caps data-testid=report-refresh-events")
            self.test_label = ui.label(i18n.t("report.test")).classes("text-sm text-orange-9")
            self.progress = ui.linear_progress(value=0, show_value=False, size="8px").classes("w-full")
            self.progress.props("rounded data-testid=send-progress")
            self.progress_label = ui.label().classes("text-sm text-grey-8").props("data-testid=send-progress-text")
            with ui.row().classes("gap-2 items-center"):
                self.counts: dict[str, ui.label] = {}
                for key, name, colour in _COUNTS:
                    with ui.element("div").classes("flex items-baseline gap-1 px-3 py-1 rounded-full bg-grey-2"):
                        self.counts[name] = ui.label("0").classes(f"text-base font-semibold text-{colour}")
                        self.counts[name].props(f"data-testid=report-{name}")
                        ui.label(i18n.t(key)).classes("text-sm text-grey-8")
            self.end_label = ui.label().classes("text-sm").props("data-testid=report-expected-end")
            self.stopped = ui.label().classes("text-negative").props("data-testid=report-stopped")
            self.summary = ui.column().classes("gap-1 text-sm").props("data-testid=report-summary")
            self.events_label = ui.label().classes("text-sm text-grey-8").props("data-testid=report-events")
            self.table = _messages_table()
            self.left_out = ui.column().classes("w-full gap-2")
        self.card.set_visibility(False)

    def show(self, report: BatchReport, *, force: bool = False) -> None:
        """Redraw what changed since the last call."""
        counts = counts_of(report)
        events = sum(1 for row in report.rows.values() if row.event is not None)
        drawn = (report.phase, report.composed, tuple(counts.values()), report.expected_end, report.stopped, events)
        if drawn == self._drawn and not force:
            return
        self._drawn = drawn
        self.card.set_visibility(True)
        self.card.props(f"data-testid={'report' if report.finished else 'report-running'}")
        self.test_label.set_visibility(report.test_mode)
        self.progress.value = report.progress
        self.progress.set_visibility(not report.finished)
        self.progress_label.text = _progress_text(report)
        self.progress_label.set_visibility(not report.finished)
        for name, label in self.counts.items():
            label.text = i18n.number(counts[name])
        self.end_label.text = _end_text(report)
        self.end_label.set_visibility(bool(self.end_label.text))
        self.stopped.text = report.stopped
        self.stopped.set_visibility(bool(report.stopped))
        self.refresh.set_visibility(report.finished and report.provider_events)
        self.events_label.text = i18n.t("report.events.count", count=i18n.number(events)) if events else ""
        self.events_label.set_visibility(bool(events))
        now = time.monotonic()
        if report.finished or force or now - self._rows_at >= _ROWS_EVERY:
            self._rows_at = now
            self.table.columns = _columns(report.provider_events)
            self.table.rows = [_row(row) for row in report.rows.values()]
            self.table.set_visibility(bool(report.rows))
        if report.finished:
            self._summary(report, counts)
            self._left_out(report.skipped, report.held)

    def halt(self) -> None:
        """The run ended without a report of its end (an error): no more progress to show."""
        self.progress.set_visibility(False)
        self.progress_label.set_visibility(False)

    def _summary(self, report: BatchReport, counts: dict[str, int]) -> None:
        self.summary.clear()
        rows = list(report.rows.values())
        with self.summary:
            if counts["sent"]:
                ui.label(i18n.t("report.done.sent", count=i18n.number(counts["sent"]))).classes("text-positive")
            failed = [row for row in rows if row.state is OutboxState.failed]
            if failed:
                ui.label(i18n.t("report.done.failed", count=i18n.number(len(failed)))).classes("text-negative")
                for row in failed[:_SHOWN_FAILURES]:
                    ui.label(f"{', '.join(row.numbers)} → {', '.join(row.recipients)} : {row.detail}")
            if counts["waiting"] and report.next_retry:
                when = i18n.moment(report.next_retry)
                ui.label(i18n.t("report.done.retry", count=i18n.number(counts["waiting"]), when=when))
            if counts["uncertain"]:
                ui.label(i18n.t("report.done.uncertain", count=i18n.number(counts["uncertain"])))

    def _left_out(self, skipped: list[Skipped], held: list[Held]) -> None:
        self.left_out.clear()
        with self.left_out:
            if skipped:
                skipped_table(skipped)
            if held:
                held_table(held)


def warning_text(warning: Warning) -> str:
    """A warning in the user's language (the detail, in English, only where it says what to fix), flagged when the
    user accepted it."""
    text = i18n.t(f"preview.warning.{warning.code.value}", day=i18n.day(warning.sent_on))
    text = f"{text} : {warning.detail}" if warning.code in _DETAILED else text
    return f"{text} ({i18n.t('preview.overridden')})" if warning.overridden else text


def skipped_table(skipped: list[Skipped]) -> None:
    """The pieces that were (or would be) left out, with the warnings that keep them."""
    rows = [
        {
            "id": s.piece_id,
            "piece": s.number,
            "contact": s.contact,
            "reason": " ; ".join(warning_text(w) for w in s.warnings) or s.reason,
        }
        for s in skipped
    ]
    _left_out_table("report.skipped.title", rows, "report-skipped-pieces")


def held_table(held: list[Held]) -> None:
    """The pieces held back because the same mail already went (or is on its way) to the same address."""
    rows = [{"id": h.piece_id, "piece": h.number, "contact": h.contact, "reason": h.reason} for h in held]
    _left_out_table("preview.held.title", rows, "report-held-pieces")


def _left_out_table(title_key: str, rows: list[dict[str, Any]], test_id: str) -> None:
    ui.label(i18n.t(title_key)).classes("text-base font-semibold mt-2")
    columns = [
        ("piece", "report.pieces", "left"),
        ("contact", "report.contact", "left"),
        ("reason", "report.reason", "left"),
    ]
    simple_table(columns, rows, test_id, per_page=ROWS_PER_PAGE)


def _messages_table() -> ui.table:
    table = simple_table(_MESSAGE_COLUMNS, [], "report-message-list", per_page=ROWS_PER_PAGE)
    table.add_slot(
        "body-cell-state",
        '<q-td :props="props"><span :class="props.row.state_class">{{ props.value }}</span></q-td>',
    )
    return table


def _columns(with_events: bool) -> list[dict[str, str]]:
    """The message table's columns; the provider's tracking only for an account whose provider reports it."""
    return table_columns(_MESSAGE_COLUMNS if with_events else [c for c in _MESSAGE_COLUMNS if c[0] != "event"])


def _row(row: ReportRow) -> dict[str, Any]:
    when = f" ({i18n.moment(row.next_try)})" if row.next_try else ""
    event = ""
    if row.event is not None:
        event = f"{i18n.t(f'report.event.{row.event.kind.value}')} {i18n.moment(row.event.at)}"
    return {
        "id": row.entry_id,
        "pieces": ", ".join(row.numbers),
        "recipients": ", ".join(row.recipients),
        "state": i18n.state(row.state),
        "state_class": _STATE_COLOURS.get(row.state.value, ""),
        "detail": row.detail + when,
        "event": event,
    }


def _progress_text(report: BatchReport) -> str:
    if report.phase is Phase.composing:
        return i18n.t("send.preparing")
    return i18n.t("send.running", done=i18n.number(report.done), total=i18n.number(report.total))


def _end_text(report: BatchReport) -> str:
    if report.finished or report.expected_end is None:
        return ""
    text = i18n.t("report.expected_end", when=i18n.moment(report.expected_end))
    if report.paced and report.per_minute:
        text += f", {i18n.t('report.paced', count=i18n.number(report.per_minute))}"
    elif report.paced and report.per_day:
        text += f", {i18n.t('report.paced.day', count=i18n.number(report.per_day))}"
    return text
