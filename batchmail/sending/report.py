"""The batch report: a live view of a batch's outbox entries, the pieces that could not go, progress, the expected
end (and whether the account's pace is what sets it), and, once the batch is done, what became of each mail as the
provider reports it (delivered, opened, bounced...)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from batchmail.sending.checks import Skipped, Warning
from batchmail.sending.delivery_events import DeliveryEvent
from batchmail.sending.outbox import OutboxEntry, OutboxState

_BUSY = frozenset({OutboxState.queued, OutboxState.sending})
_AT_PACE = 0.9  # a measured rate this close to the account's per-minute pace means the pace is what holds the batch


class Phase(StrEnum):
    composing = "composing"  # rendering the PDFs and building the mails; nothing written yet
    sending = "sending"  # every mail is in the outbox; they are going out
    done = "done"  # every mail has its outcome for this run


@dataclass(frozen=True, kw_only=True, slots=True)
class Held:
    """A piece held back: the same content already went, or is on its way, to the same address."""

    piece_id: int
    number: str
    contact: str
    reason: str
    earlier_entry: int  # the outbox entry that carried (or carries) it


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportRow:
    entry_id: int
    numbers: tuple[str, ...]
    recipients: tuple[str, ...]
    subject: str
    state: OutboxState
    detail: str  # the server's answer, or why it waits or failed
    code: int | None  # the server's reply code behind a failure
    attempts: int
    next_try: datetime | None
    message_id: str
    contact_id: int | None = None
    event: DeliveryEvent | None = None  # the provider's latest news of the mail (delivered, opened, bounced...)


@dataclass(kw_only=True, slots=True)
class BatchReport:
    batch_id: str
    account: str
    test_mode: bool  # the test mailbox: nothing really left
    rows: dict[int, ReportRow] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    stopped: str = ""  # why the batch stopped before the end, and what to do
    finished: bool = False
    phase: Phase = Phase.composing
    to_compose: int = 0  # pieces asked for
    composed: int = 0  # their PDFs rendered so far
    started_at: datetime | None = None
    sending_since: datetime | None = None
    expected_end: datetime | None = None
    per_minute: int | None = None  # the account's pace, which bounds the expected end
    per_day: int | None = None
    paced: bool = False  # the account's pace, not the server's speed, is what sets the expected end
    provider_events: bool = False  # the account's provider reports what became of each mail (Brevo)
    _counts: Counter[OutboxState] = field(default_factory=Counter, repr=False)
    _handled: int = field(default=0, repr=False)  # messages the transport answered for in this run

    def update(self, entry: OutboxEntry, numbers: tuple[str, ...]) -> None:
        before = self.rows.get(entry.id)
        if before is not None:
            self._counts[before.state] -= 1
            if before.state is OutboxState.sending and entry.state is not OutboxState.sending:
                self._handled += 1
        self._counts[entry.state] += 1
        waiting = entry.state is OutboxState.retry_waiting
        self.rows[entry.id] = ReportRow(
            entry_id=entry.id,
            numbers=numbers,
            recipients=tuple(entry.recipients),
            subject=entry.subject,
            state=entry.state,
            detail=entry.last_error or entry.server_reply,
            code=entry.last_code,
            attempts=entry.attempts,
            next_try=entry.next_try if waiting else None,
            message_id=entry.message_id,
            contact_id=entry.contact_id,
            event=before.event if before else None,
        )

    def set_events(self, latest: Mapping[str, DeliveryEvent]) -> int:
        """Put on each row the latest delivery event of its message (`latest` by Message-ID); returns how many
        rows have one."""
        for entry_id, row in self.rows.items():
            event = latest.get(row.message_id)
            if event is not None and event != row.event:
                self.rows[entry_id] = replace(row, event=event)
        return sum(1 for row in self.rows.values() if row.event is not None)

    def estimate_end(self, expected_end: datetime | None, now: datetime) -> None:
        """Keep the expected end the account's pace computed, and whether the pace rather than the server's speed
        is what sets it: the measured rate near the per-minute pace, or more mails left than the day allows."""
        self.expected_end = expected_end
        rate = self.rate(now)
        if self.per_minute and (rate is None or rate * 60 >= _AT_PACE * self.per_minute):
            self.paced = True
        elif expected_end is not None and rate:
            self.paced = expected_end > now + timedelta(seconds=self.remaining / rate + 60)
        else:
            self.paced = False

    @property
    def counts(self) -> Counter[str]:
        counts: Counter[str] = Counter({state.value: n for state, n in self._counts.items() if n})
        counts["skipped"] = self.not_sent_pieces
        return counts

    @property
    def not_sent_pieces(self) -> int:
        """Pieces left out: skipped by the composition or held back as already sent."""
        return len(self.skipped) + len(self.held)

    @property
    def total(self) -> int:
        """Messages of the batch plus the pieces left out; while composing, the pieces asked for."""
        return len(self.rows) + self.not_sent_pieces if self.phase is not Phase.composing else self.to_compose

    @property
    def done(self) -> int:
        """Messages whose fate is known for this run (sent, failed, waiting, uncertain) plus the pieces left out."""
        if self.phase is Phase.composing:
            return 0
        return len(self.rows) - sum(self._counts[state] for state in _BUSY) + self.not_sent_pieces

    @property
    def remaining(self) -> int:
        """Messages still to go in this run."""
        return sum(self._counts[state] for state in _BUSY)

    @property
    def progress(self) -> float:
        """From 0 to 1 over the whole batch: rendering each piece, then each message's outcome, count alike."""
        if self.phase is Phase.done:
            return 1.0
        messages = len(self.rows) if self.phase is not Phase.composing else self.to_compose
        steps = self.to_compose + messages
        if not steps:
            return 0.0
        settled = self.done - self.not_sent_pieces if self.phase is not Phase.composing else 0
        return min(1.0, (self.composed + settled) / steps)

    def rate(self, now: datetime) -> float | None:
        """Messages a second the transport has answered for since sending began; None before there is a measure."""
        if self.sending_since is None or not self._handled:
            return None
        elapsed = (now - self.sending_since).total_seconds()
        return self._handled / elapsed if elapsed > 0 else None

    @property
    def complete(self) -> bool:
        """True when every piece asked for was sent."""
        return not self.skipped and not self.held and all(row.state is OutboxState.sent for row in self.rows.values())

    @property
    def next_retry(self) -> datetime | None:
        """The earliest next try of the messages waiting for one."""
        return min((row.next_try for row in self.rows.values() if row.next_try), default=None)

    def to_json(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "batch_id": self.batch_id,
            "account": self.account,
            "test_mode": self.test_mode,
            "phase": self.phase.value,
            "finished": self.finished,
            "complete": self.complete,
            "stopped": self.stopped,
            "started_at": _iso(self.started_at),
            "expected_end": _iso(self.expected_end),
            "pace": {"per_minute": self.per_minute, "per_day": self.per_day, "holds_the_batch": self.paced},
            "next_retry": _iso(self.next_retry),
            "progress": round(self.progress, 4),
            "counts": {state.value: counts.get(state.value, 0) for state in OutboxState}
            | {"skipped": counts["skipped"]},
            "messages": [
                {
                    "id": row.entry_id,
                    "pieces": list(row.numbers),
                    "recipients": list(row.recipients),
                    "subject": row.subject,
                    "state": row.state.value,
                    "detail": row.detail,
                    "code": row.code,
                    "attempts": row.attempts,
                    "next_try": _iso(row.next_try),
                    "message_id": row.message_id,
                    "event": _event_json(row.event),
                }
                for row in self.rows.values()
            ],
            "skipped": left_out_json(self.skipped, self.held),
        }


Progress = Callable[["BatchReport"], None]  # told of every change of a batch's report, on the event loop


def notify(on_progress: Progress | None, report: BatchReport) -> None:
    if on_progress is not None:
        on_progress(report)


def left_out_json(skipped: list[Skipped], held: list[Held]) -> list[dict[str, Any]]:
    """The pieces that will not go and why: skipped by the composition, or held back as already sent."""
    return [
        {
            "piece": s.number,
            "contact": s.contact,
            "reason": s.reason,
            "code": s.code.value,
            "warnings": [warning_json(w) for w in s.warnings],
        }
        for s in skipped
    ] + [
        {
            "piece": h.number,
            "contact": h.contact,
            "reason": h.reason,
            "code": "already_sent",
            "earlier_entry": h.earlier_entry,
        }
        for h in held
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def warning_json(warning: Warning) -> dict[str, Any]:
    return {
        "code": warning.code.value,
        "pieces": list(warning.piece_numbers),
        "detail": warning.detail,
        "blocking": warning.blocking,
        "overridden": warning.overridden,
        "sent_on": warning.sent_on.isoformat() if warning.sent_on else None,
    }


def _event_json(event: DeliveryEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"kind": event.kind.value, "at": event.at.isoformat(), "recipient": event.recipient, "reason": event.reason}
