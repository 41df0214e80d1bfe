"""The queue's table: one row per mail not sent, its state coloured, why it waits or failed, and per-row actions;
rows are ticked for the actions on several at once, and a click on a row opens its detail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum
from html import escape
from typing import Any

from nicegui import events, ui

from batchmail.sending.outbox import OutboxState
from batchmail.services.queue import QueueItem
from ui import i18n

RowAction = Callable[[int], Awaitable[None]]


class QueueFilter(StrEnum):
    all = "all"  # every mail of the queue
    waiting = "waiting"  # queued, being sent, or waiting for its next try
    failed = "failed"  # refused for good
    uncertain = "uncertain"  # may have arrived: the user decides


FILTER_STATES: dict[QueueFilter, frozenset[OutboxState]] = {
    QueueFilter.all: frozenset(OutboxState) - {OutboxState.sent},
    QueueFilter.waiting: frozenset({OutboxState.queued, OutboxState.sending, OutboxState.retry_waiting}),
    QueueFilter.failed: frozenset({OutboxState.failed}),
    QueueFilter.uncertain: frozenset({OutboxState.uncertain}),
}
STATE_COLOURS = {
    OutboxState.queued: "blue-grey-6",
    OutboxState.sending: "primary",
    OutboxState.retry_waiting: "orange-8",
    OutboxState.failed: "negative",
    OutboxState.uncertain: "deep-purple-6",
}
# (column, label key, alignment)
_COLUMNS = (
    ("pieces", "queue.col.pieces", "left"),
    ("contact", "queue.col.contact", "left"),
    ("subject", "queue.col.subject", "left"),
    ("account", "queue.col.account", "left"),
    ("amount", "queue.col.amount", "right"),
    ("state", "queue.col.state", "left"),
    ("reason", "queue.col.reason", "left"),
    ("attempts", "queue.col.attempts", "right"),
    ("created", "queue.col.created", "left"),
    ("next_try", "queue.col.next_try", "left"),
)
_ROW = """
<q-tr :props="props" class="cursor-pointer" :data-testid="'queue-row-' + props.row.id"
      @click="$parent.$emit('open_row', props.row.id)">
  <q-td auto-width @click.stop>
    <q-checkbox v-model="props.selected" dense :data-testid="'queue-tick-' + props.row.id" />
  </q-td>
  <q-td key="pieces" :props="props" class="whitespace-nowrap">{{ props.row.pieces }}</q-td>
  <q-td key="contact" :props="props">
    <div>{{ props.row.contact }}</div>
    <div class="text-xs text-grey-8" :data-testid="'queue-recipients-' + props.row.id">{{ props.row.recipients }}</div>
  </q-td>
  <q-td key="subject" :props="props" class="min-w-[160px]">{{ props.row.subject }}</q-td>
  <q-td key="account" :props="props">{{ props.row.account }}</q-td>
  <q-td key="amount" :props="props">{{ props.row.amount }}</q-td>
  <q-td key="state" :props="props">
    <q-badge :color="props.row.colour" :label="props.row.state" :data-testid="'queue-state-' + props.row.id" />
  </q-td>
  <q-td key="reason" :props="props" class="min-w-[300px]" :data-testid="'queue-reason-' + props.row.id">
    <div class="text-xs">{{ props.row.why }}</div>
    <div class="text-xs text-grey-8 break-words">{{ props.row.reason }}</div>
  </q-td>
  <q-td key="attempts" :props="props">{{ props.row.attempts }}</q-td>
  <q-td key="created" :props="props">{{ props.row.created }}</q-td>
  <q-td key="next_try" :props="props">{{ props.row.next_try }}</q-td>
  <q-td key="actions" auto-width @click.stop>
    <div class="row no-wrap" v-if="props.row.actionable">
      @BUTTONS@
    </div>
  </q-td>
</q-tr>
"""
_BUTTON = """<q-btn flat dense round size="sm" icon="{icon}" color="{colour}"
        :data-testid="'queue-{event}-' + props.row.id" @click="$parent.$emit('{event}_row', props.row.id)">
  <q-tooltip>{label}</q-tooltip>
</q-btn>"""
# (event, icon, colour, label key)
_ACTIONS = (
    ("retry", "send", "primary", "queue.retry"),
    ("address", "alternate_email", "grey-8", "queue.address"),
    ("drop", "delete", "negative", "queue.drop"),
)


def reason_of(item: QueueItem) -> str:
    """Why the mail is where it is, in the user's words (the server's own answer is shown beside it)."""
    entry = item.entry
    when = i18n.moment(entry.next_try) if entry.next_try else ""
    return i18n.t(f"queue.why.{entry.state.value}", when=when)


class QueueTable:
    def __init__(self, *, on_open: RowAction, on_retry: RowAction, on_address: RowAction, on_drop: RowAction) -> None:
        columns = [{"name": name, "label": i18n.t(key), "field": name, "align": align} for name, key, align in _COLUMNS]
        columns.append({"name": "actions", "label": "", "field": "id", "align": "right"})
        self.table = ui.table(columns=columns, rows=[], row_key="id", selection="multiple", pagination=25)
        self.table.classes("w-full").props("flat bordered dense wrap-cells data-testid=queue-table")
        buttons = "\n".join(
            _BUTTON.format(icon=icon, colour=colour, event=event, label=escape(i18n.t(key)))
            for event, icon, colour, key in _ACTIONS
        )
        self.table.add_slot("body", _ROW.replace("@BUTTONS@", buttons))
        for event, action in (("open", on_open), ("retry", on_retry), ("address", on_address), ("drop", on_drop)):
            self.table.on(f"{event}_row", _by_id(action))

    def show(self, items: Iterable[QueueItem]) -> None:
        """Show these mails; ticked rows stay ticked while they are still shown."""
        rows = [_row(item) for item in items]
        shown = {row["id"] for row in rows}
        self.table.selected[:] = [row for row in self.table.selected if row["id"] in shown]
        self.table.rows = rows
        self.table.update()

    @property
    def ticked(self) -> list[int]:
        return [int(row["id"]) for row in self.table.selected]

    def untick(self) -> None:
        self.table.selected.clear()
        self.table.update()


def _by_id(action: RowAction) -> Callable[[events.GenericEventArguments], Awaitable[None]]:
    async def handle(event: events.GenericEventArguments) -> None:
        await action(int(event.args))

    return handle


def _row(item: QueueItem) -> dict[str, Any]:
    entry = item.entry
    return {
        "id": entry.id,
        "pieces": ", ".join(item.numbers),
        "contact": item.contact,
        "recipients": ", ".join(entry.recipients),
        "subject": entry.subject,
        "account": entry.account,
        "amount": i18n.money(item.total_incl_tax) if item.total_incl_tax is not None else "",
        "state": i18n.state(entry.state),
        "colour": STATE_COLOURS[entry.state],
        "why": reason_of(item),
        "reason": entry.last_error,  # the server's answer, its code included
        "attempts": i18n.number(entry.attempts),
        "created": i18n.moment(entry.created_at),
        "next_try": i18n.moment(entry.next_try) if entry.next_try else "",
        "actionable": entry.state is not OutboxState.sending,
    }
