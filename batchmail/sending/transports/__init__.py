"""The ways a message leaves: one module per way out, one registration line per account kind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from batchmail.errors import ConfigurationError
from batchmail.sending.accounts import Account, AccountKind
from batchmail.sending.transports.base import SendResult, Transport, TransportSession
from batchmail.sending.transports.brevo import BrevoTransport
from batchmail.sending.transports.gmail import make_gmail_transport
from batchmail.sending.transports.mailbox import MailboxTransport
from batchmail.sending.transports.smtp import SmtpTransport

__all__ = ["SendResult", "Transport", "TransportSession", "make_transport"]

# (account, secret, mailbox folder) -> transport
_Factory = Callable[[Account, str | None, Path], Transport]

_REGISTRY: dict[AccountKind, _Factory] = {
    AccountKind.mailbox: lambda account, _secret, mailbox_dir: MailboxTransport(mailbox_dir, name=account.name),
    AccountKind.smtp: lambda account, secret, _mailbox_dir: SmtpTransport(account, secret),
    AccountKind.gmail: lambda account, secret, _mailbox_dir: make_gmail_transport(account, secret),
    AccountKind.brevo: lambda account, secret, _mailbox_dir: BrevoTransport(account, secret),
}


def make_transport(account: Account, *, secret: str | None, mailbox_dir: Path) -> Transport:
    """The transport for an account; `secret` is its password or token (None when it needs none)."""
    factory = _REGISTRY.get(account.kind)
    if factory is None:
        raise ConfigurationError(f"account {account.name!r}: no transport for kind {account.kind!r}")
    return factory(account, secret, mailbox_dir)
