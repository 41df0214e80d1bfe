"""The outbox: every message is written here, complete, before any connection is opened.

A message's life: queued -> sending -> sent, or -> retry_waiting (temporary failure, tried again later),
-> failed (permanent), -> uncertain (the connection broke after the data went out: it may have arrived, so it is
never resent without the user's say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class OutboxState(StrEnum):
    queued = "queued"  # written, waiting for its turn
    sending = "sending"  # handed to a transport right now
    sent = "sent"  # the server accepted it
    retry_waiting = "retry_waiting"  # a temporary failure; next try at `next_try`
    failed = "failed"  # refused for good; `last_error` says why
    uncertain = "uncertain"  # may or may not have left; the user decides


PENDING_STATES = frozenset({OutboxState.queued, OutboxState.retry_waiting})
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass(kw_only=True, slots=True)
class OutboxEntry:
    id: int = 0
    batch_id: str
    account: str
    message_id: str
    content_hash: str  # sha256 of what the recipient gets, Message-ID and Date aside: finds exact re-sends
    sender: str
    recipients: list[str]  # every envelope recipient, Bcc included
    subject: str
    piece_ids: list[int] = field(default_factory=list)
    contact_id: int | None = None
    attachments: list[str] = field(default_factory=list)
    size: int = 0
    record_on_contact: bool = True
    state: OutboxState = OutboxState.queued
    attempts: int = 0
    next_try: datetime | None = None
    last_error: str = ""
    last_code: int | None = None
    created_at: datetime
    sent_at: datetime | None = None


def next_retry(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries, or None when the message should fail for good."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
