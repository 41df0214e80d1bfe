"""The batch report: a live view of a batch's outbox entries plus the pieces that could not be sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from batchmail.compose import Skipped
from batchmail.outbox import OutboxEntry, OutboxState


@dataclass(frozen=True, slots=True)
class ReportRow:
    entry_id: int
    numbers: tuple[str, ...]
    recipients: tuple[str, ...]
    subject: str
    state: OutboxState
    detail: str  # the server's answer or why it failed
    next_try: datetime | None


@dataclass(kw_only=True, slots=True)
class BatchReport:
    batch_id: str
    account: str
    test_mode: bool  # the test mailbox: nothing really left
    rows: dict[int, ReportRow] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    stopped: str = ""  # why the batch stopped before the end
    finished: bool = False

    def update(self, entry: OutboxEntry, numbers: tuple[str, ...]) -> None:
        self.rows[entry.id] = ReportRow(
            entry_id=entry.id,
            numbers=numbers,
            recipients=tuple(entry.recipients),
            subject=entry.subject,
            state=entry.state,
            detail=entry.last_error,
            next_try=entry.next_try if entry.state is OutboxState.retry_waiting else None,
        )

    @property
    def counts(self) -> Counter[str]:
        counts: Counter[str] = Counter(row.state.value for row in self.rows.values())
        counts["skipped"] = len(self.skipped)
        return counts

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.skipped)

    @property
    def done(self) -> int:
        """Messages whose fate is known for this run (sent, failed, waiting, uncertain) plus skipped pieces."""
        busy = (OutboxState.queued, OutboxState.sending)
        return sum(1 for row in self.rows.values() if row.state not in busy) + len(self.skipped)

    @property
    def complete(self) -> bool:
        """True when every piece asked for was sent."""
        return not self.skipped and all(row.state is OutboxState.sent for row in self.rows.values())

    def to_json(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "batch_id": self.batch_id,
            "account": self.account,
            "test_mode": self.test_mode,
            "complete": self.complete,
            "stopped": self.stopped,
            "counts": {state.value: counts.get(state.value, 0) for state in OutboxState}
            | {"skipped": len(self.skipped)},
            "messages": [
                {
                    "id": row.entry_id,
                    "pieces": list(row.numbers),
                    "recipients": list(row.recipients),
                    "subject": row.subject,
                    "state": row.state.value,
                    "detail": row.detail,
                    "next_try": row.next_try.isoformat() if row.next_try else None,
                }
                for row in self.rows.values()
            ],
            "skipped": [{"piece": s.number, "contact": s.contact, "reason": s.reason} for s in self.skipped],
        }
