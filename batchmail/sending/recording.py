"""Writing the mails that left on their pieces (last-sent date, status) and their contact's history.

A sending delivery gathers its sent mails for a moment and writes them together (`Recorder`); a mail whose records
were not written before a crash is finished later by `record_sent(..., check_history=True)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from batchmail.domain.pieces import Piece, Status
from batchmail.sending.delivery_events import provider_message_id
from batchmail.sending.dispatch import OutboxWriter
from batchmail.sending.history import SendRecord
from batchmail.sending.outbox import OutboxEntry, local_now

log = logging.getLogger(__name__)
_RECORD_PAUSE = 1.0  # seconds sent mails gather before they are written on their pieces and contacts, together


class SentPieces(Protocol):
    def change_many(self, piece_ids: Iterable[int], change: Callable[[Piece], None]) -> list[Piece]: ...


class SendHistory(Protocol):
    def for_contact(self, contact_id: int) -> list[SendRecord]: ...
    def add_many(self, records: list[SendRecord]) -> list[SendRecord]: ...


class Recorder:
    """Writes sent mails on their pieces and contacts a few at a time, then marks their entries recorded.

    An entry is marked only after its records are on disk; a crash in between leaves it unrecorded, and
    `record_unrecorded` (at the next resume) finishes the job without writing a history record twice."""

    def __init__(self, pieces: SentPieces, history: SendHistory, writer: OutboxWriter) -> None:
        self._pieces = pieces
        self._history = history
        self._writer = writer
        self._pending: list[OutboxEntry] = []
        self._task: asyncio.Future[None] | None = None
        self._closing = asyncio.Event()  # set by close: the pause ends at once

    def add(self, entry: OutboxEntry) -> None:
        self._pending.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._after_pause())

    async def close(self) -> None:
        self._closing.set()
        if self._task is not None:
            await self._task
        await self._flush()

    async def _after_pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), _RECORD_PAUSE)
        await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            await asyncio.to_thread(record_sent, self._pieces, self._history, batch, check_history=False)
        except Exception:  # the mails left: recording is finished at the next resume
            log.exception("recording %d sent mails on their pieces and contacts failed", len(batch))
            return
        for entry in batch:
            entry.recorded = True
            self._writer.defer(entry)
        await self._writer.flush()


def record_sent(
    pieces: SentPieces, history: SendHistory, entries: Sequence[OutboxEntry], *, check_history: bool
) -> None:
    """On each piece: the last-sent date, and `sent` for a validated one (for a reminder: its level one higher
    and the day); on the contact: the history record (unless the mail was sent without). `check_history` skips
    mails already in a contact's history."""
    last_sent: dict[int, datetime] = {}
    reminded: dict[int, datetime] = {}
    for entry in entries:
        sent_at = entry.sent_at or local_now()
        # A statement lists pieces without carrying them; a reminder carries them again, a level higher.
        touched = {"piece": last_sent, "reminder": reminded}.get(entry.kind, {})
        for piece_id in entry.piece_ids:
            touched[piece_id] = max(touched.get(piece_id, sent_at), sent_at)

    def mark_sent(piece: Piece) -> None:
        day = last_sent[piece.id].date()
        piece.last_sent = max(piece.last_sent, day) if piece.last_sent else day
        if piece.status is Status.validated:
            piece.status = Status.sent

    def mark_reminded(piece: Piece) -> None:
        day = reminded[piece.id].date()
        if piece.last_reminder != day:  # recorded again after a crash: one reminder a day, one level
            piece.reminder_level += 1
            piece.last_reminder = day

    pieces.change_many(last_sent, mark_sent)  # a piece deleted meanwhile is skipped
    if reminded:
        pieces.change_many(reminded, mark_reminded)
    records = []
    for entry in entries:
        if not entry.record_on_contact or entry.contact_id is None:
            continue
        if check_history and any(r.message_id == entry.message_id for r in history.for_contact(entry.contact_id)):
            continue
        records.append(
            SendRecord(
                contact_id=entry.contact_id,
                piece_ids=list(entry.piece_ids),
                kind=entry.kind,
                message_id=entry.message_id,
                subject=entry.subject,
                recipients=list(entry.recipients),
                attachments=list(entry.attachments),
                account=entry.account,
                sent_at=entry.sent_at or local_now(),
                provider_message_id=provider_message_id(entry.server_reply),
            )
        )
    if records:
        history.add_many(records)
