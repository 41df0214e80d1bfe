"""What every way out (test mailbox, SMTP, later Gmail and Brevo) promises the dispatcher.

The contract:

- ``Transport.session()`` is an async context manager; one session hands over many messages, one after the other,
  over one connection where the way out has connections. A session opens its connection lazily, at the first
  send, re-opens it when the server dropped it between two messages, and closes it on exit. Sends within one
  session are serialised; parallelism means several sessions.
- ``TransportSession.send(mime, sender=..., recipients=..., dsn=...)`` hands over the MIME bytes made by
  ``batchmail.message.to_mime`` to the envelope ``sender`` and ``recipients`` (Bcc included). ``dsn=True``
  asks for delivery status notifications (success and failure) where the way out can carry that request; one
  that cannot simply sends.
- It returns a ``SendResult`` as soon as the server took responsibility for the message for at least one
  recipient. A partly refused recipient list is a success: ``refused`` maps each refused recipient to the
  server's reply.
- Otherwise it raises one of the kinds of ``batchmail.errors`` (each carrying transport, recipient, code and the
  server's text):
  ``TemporaryFailure``: 4xx reply, timeout, or connection lost before the message data was sent (retry later);
  ``PermanentFailure``: 5xx reply, or every recipient refused (retrying will not help);
  ``DeliveryUncertain``: connection lost, or no final reply in time, after the message data was sent: it may
  have arrived, so it must never be resent without the user's say;
  ``AuthenticationFailed``: credentials refused, TLS handshake or certificate failure (stop the batch);
  ``ConfigurationError`` is raised when the transport is built from an account that cannot work (no host,
  plain text to a remote server...); from ``send`` only when a file the account names (its CA bundle) turns
  out unreadable at the first connection.
- A transport never retries a message on its own, except once for a connection found dropped before anything
  of that message was sent.
- ``Transport.check()`` connects and authenticates without sending anything and says, in a user's words, what the
  server accepted; it raises the same kinds as ``send``.
- ``Transport.poll_events(since, until)`` asks the provider what became of the messages it took (delivered,
  opened, bounced...); a way out whose provider reports nothing refuses it with ``UnsupportedFeature``, loudly,
  never with an empty answer.
- What a way out cannot carry (a feature of the message, of the account) is refused by name
  (``UnsupportedFeature``), never dropped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import NamedTuple

from batchmail.errors import UnsupportedFeature
from batchmail.sending.delivery_events import DeliveryEvent


class SendResult(NamedTuple):
    accepted: list[str]  # recipients the server took the message for
    refused: dict[str, str]  # recipient -> the server's reply, e.g. "550 5.1.1 no such user"
    server_reply: str  # the final reply, often holding the server's queue id


class TransportSession(ABC):
    @abstractmethod
    async def send(self, mime: bytes, *, sender: str, recipients: list[str], dsn: bool = False) -> SendResult:
        """Hand over one message; see the module docstring for what is raised."""


class Transport(ABC):
    name: str  # shown in errors and history, usually the account's name

    @abstractmethod
    def session(self) -> AbstractAsyncContextManager[TransportSession]:
        """A session sending many messages over one connection."""

    @abstractmethod
    async def check(self) -> str:
        """Connect and authenticate, sending nothing; what the server accepted, in a user's words."""

    async def poll_events(self, since: date, until: date) -> list[DeliveryEvent]:
        """What the provider recorded of the messages it took from `since` to `until`, oldest first."""
        raise UnsupportedFeature(f"account {self.name!r}: its provider reports no delivery events", transport=self.name)
