"""The outbox: every message is written here, complete, before any connection is opened.

A message's life: queued -> sending -> sent, or -> retry_waiting (temporary failure, tried again later),
-> failed (permanent), -> uncertain (the connection broke after the data went out: it may have arrived, so it is
never resent without the user's say).

The content hash is taken from the MIME bytes themselves (`mime_content_hash`), so a message whose address was
edited in the queue is hashed exactly like a freshly composed one: the duplicate guard compares like with like.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime
from enum import StrEnum

from batchmail.errors import InvalidAddress
from batchmail.sending.message import header_address


class OutboxState(StrEnum):
    queued = "queued"  # written, waiting for its turn
    sending = "sending"  # handed to a transport right now
    sent = "sent"  # the server accepted it
    retry_waiting = "retry_waiting"  # a temporary failure (or the day's budget spent); next try at `next_try`
    failed = "failed"  # refused for good; `last_error` says why
    uncertain = "uncertain"  # may or may not have left; the user decides


PENDING_STATES = frozenset({OutboxState.queued, OutboxState.retry_waiting})
# What stands in the way of sending the same content to the same address again without an explicit resend.
DUPLICATE_STATES = frozenset(
    {OutboxState.queued, OutboxState.sending, OutboxState.sent, OutboxState.retry_waiting, OutboxState.uncertain}
)
# What the user may retry, re-address or drop from the queue.
UNSETTLED_STATES = frozenset({*PENDING_STATES, OutboxState.failed, OutboxState.uncertain})
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Headers that differ between two sends of the same content, left out of the content hash.
_PER_SEND_HEADERS = frozenset({b"message-id", b"date"})
_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.IGNORECASE)
_HEADER_LINE = re.compile(rb"\r?\n(?![ \t])")  # a line break that does not continue a folded header


@dataclass(frozen=True, kw_only=True, slots=True)
class Attempt:
    """One try at sending a message, as the queue shows it."""

    at: datetime
    state: OutboxState  # what the try left the message in: sent, retry_waiting, failed or uncertain
    code: int | None = None  # the server's reply code, when there was one
    answer: str = ""  # the server's answer or what went wrong, in words a user reads


@dataclass(kw_only=True, slots=True)
class OutboxEntry:
    id: int = 0
    batch_id: str
    account: str
    message_id: str
    content_hash: str  # `mime_content_hash`: what the recipient gets, Message-ID and Date aside
    sender: str
    recipients: list[str]  # every envelope recipient, Bcc included
    subject: str
    piece_ids: list[int] = field(default_factory=list)
    contact_id: int | None = None
    attachments: list[str] = field(default_factory=list)
    size: int = 0
    kind: str = "piece"  # what the mail is (piece, reminder, statement...): carried to the contact's history
    dsn: bool = False  # ask the server for delivery status notifications
    record_on_contact: bool = True
    state: OutboxState = OutboxState.queued
    attempts: int = 0
    next_try: datetime | None = None
    last_error: str = ""  # why it is waiting, failed or uncertain, in words a user reads
    last_code: int | None = None  # the server's reply code behind `last_error`, when there was one
    last_answer: str = ""  # the server's own words behind `last_error`, as it gave them ("" when it said nothing)
    server_reply: str = ""  # the server's final answer once sent (often its queue id)
    created_at: datetime
    sent_at: datetime | None = None
    recorded: bool = False  # once sent: written on its pieces and the contact's history
    tries: list[Attempt] = field(default_factory=list)  # the last MAX_TRIES_KEPT tries, oldest first


MAX_TRIES_KEPT = 20  # a message retried by hand again and again keeps its recent history only


def local_now() -> datetime:
    """Now, with the local time zone: what the outbox stores and the user reads."""
    return datetime.now().astimezone()


def next_retry(attempts: int, now: datetime, *, asked: timedelta | None = None) -> datetime | None:
    """When to try again after `attempts` failed tries (not before the delay the server `asked` for), or None
    when the message should fail for good."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[max(1, min(attempts, len(RETRY_DELAYS))) - 1]
    return now + max(delay, asked or delay)


def same_recipients(first: Iterable[str], second: Iterable[str]) -> bool:
    return {a.strip().casefold() for a in first} == {a.strip().casefold() for a in second}


def duplicate_reason(earlier: OutboxEntry) -> str:
    """Why a message is held back: the same content already went, or is on its way, to the same address."""
    to = ", ".join(earlier.recipients)
    if earlier.state is OutboxState.sent:
        when = f" on {earlier.sent_at:%Y-%m-%d %H:%M}" if earlier.sent_at else ""
        what = f"already sent{when} to {to}"
    elif earlier.state is OutboxState.uncertain:
        what = f"may already have been sent to {to} (uncertain since the connection broke): decide in the queue"
    else:
        what = f"already in the queue for {to} ({earlier.state.value})"
    return f"{what}, same content (outbox #{earlier.id}); use send again (--resend) to send it once more"


def mime_content_hash(mime: bytes, recipients: Iterable[str]) -> str:
    """sha256 of what the recipients get: the message's bytes without its Message-ID and Date, its headers in
    name order (an edited one moves to the end of the list) and its MIME boundaries (random) all alike, plus the
    envelope recipients (Bcc included). Equal for two sends of the same content; works on the bytes alone, with
    no parsing, because a batch hashes every message it writes."""
    for boundary in set(_BOUNDARY.findall(mime)):
        mime = mime.replace(boundary, b"=boundary=")
    head, separator, body = mime.partition(b"\r\n\r\n")
    if not separator:
        head, _, body = mime.partition(b"\n\n")
    headers = sorted(
        line for line in _HEADER_LINE.split(head) if line.partition(b":")[0].strip().lower() not in _PER_SEND_HEADERS
    )
    digest = hashlib.sha256()
    for value in (*sorted({r.strip().casefold().encode() for r in recipients}), *headers, body):
        digest.update(len(value).to_bytes(8, "big"))
        digest.update(value)
    return digest.hexdigest()


def readdress(mime: bytes, new_address: str, *, message_id: str, date: datetime) -> tuple[bytes, list[str]]:
    """The message with `new_address` as its only To, a new Message-ID and Date. Returns the new bytes and the
    To addresses it replaced.

    Only those three header lines change, as bytes: every other line stays exactly as `to_mime` wrote it (read and
    written again by the email package, a header holding an encoded word could come out decoded, line breaks
    and all)."""
    head, separator, body = mime.partition(b"\r\n\r\n")
    lines = _HEADER_LINE.split(head)
    replaced = {b"to", b"message-id", b"date"}
    old_to = [line for line in lines if _name(line) == b"to"]
    kept = [line for line in lines if _name(line) not in replaced]
    to = str(header_address(new_address))
    if not to.isascii():
        raise InvalidAddress(new_address, "its name part must be plain ASCII to be written in a header")
    new = [
        f"To: {to}".encode("ascii"),
        f"Message-ID: {message_id}".encode("ascii"),
        f"Date: {format_datetime(date)}".encode("ascii"),
    ]
    parsed = BytesParser(policy=policy.default).parsebytes(b"\r\n".join(old_to) + b"\r\n\r\n")
    old = [str(a.addr_spec) for a in parsed["To"].addresses] if parsed["To"] else []
    return b"\r\n".join([*kept, *new]) + separator + body, old


def _name(line: bytes) -> bytes:
    return line.partition(b":")[0].strip().lower()
