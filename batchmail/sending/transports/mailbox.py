"""The built-in test mailbox: every message becomes an .eml file in a folder, and nothing leaves the machine.

Each file is the MIME message as a server would receive it, preceded by a ``Return-Path`` and an
``X-BatchMail-Envelope-To`` header so the envelope (Bcc included) can be checked. Files are written atomically
(temporary file, fsync, rename), so a crash never leaves half a message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

from batchmail.errors import TemporaryFailure
from batchmail.files import write_atomic
from batchmail.sending.accounts import MAILBOX_ACCOUNT
from batchmail.sending.transports.base import SendResult, Transport, TransportSession

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LINE_BREAKS = re.compile(r"[\r\n]+")


class MailboxTransport(Transport):
    def __init__(self, directory: Path, *, name: str = MAILBOX_ACCOUNT) -> None:
        self.directory = directory
        self.name = name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[TransportSession]:
        yield _MailboxSession(self)

    async def check(self) -> str:
        return f"the test mailbox: every mail becomes an .eml file in {self.directory}, none leaves"


class _MailboxSession(TransportSession):
    def __init__(self, transport: MailboxTransport) -> None:
        self._transport = transport

    async def send(self, mime: bytes, *, sender: str, recipients: list[str], dsn: bool = False) -> SendResult:
        try:
            path = await asyncio.to_thread(_write, self._transport.directory, mime, sender, recipients)
        except OSError as err:
            raise TemporaryFailure(
                f"cannot write to the test mailbox {self._transport.directory}: {err}",
                transport=self._transport.name,
                recipient=", ".join(recipients),
            ) from err
        return SendResult(accepted=list(recipients), refused={}, server_reply=f"written to {path}")


def eml_name(mime: bytes, now: datetime) -> str:
    """``<UTC timestamp>-<message-id made safe for a file name>.eml``."""
    message_id = BytesHeaderParser().parsebytes(mime).get("Message-ID", "") or "no-message-id"
    safe = _UNSAFE.sub("_", str(message_id).strip().strip("<>")).strip("._")[:150] or "no-message-id"
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{safe}.eml"


def _write(directory: Path, mime: bytes, sender: str, recipients: list[str]) -> Path:
    to = _LINE_BREAKS.sub(" ", ", ".join(recipients))
    envelope = f"Return-Path: <{_LINE_BREAKS.sub(' ', sender)}>\r\nX-BatchMail-Envelope-To: {to}\r\n"
    target = directory / eml_name(mime, datetime.now(UTC))
    write_atomic(target, envelope.encode("ascii", "replace") + mime)
    return target
