"""The ways a message leaves: one module per way out, all of the shape `base.Transport` describes, each built only
here, from an account, by the one factory registered for its kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batchmail.errors import ConfigurationError
from batchmail.sending.accounts import Account, AccountKind
from batchmail.sending.transports.base import SendResult, Transport, TransportSession
from batchmail.sending.transports.brevo import BrevoTransport
from batchmail.sending.transports.gmail import make_gmail_transport
from batchmail.sending.transports.mailbox import MailboxTransport
from batchmail.sending.transports.smtp import SmtpTransport

__all__ = ["SendResult", "Transport", "TransportContext", "TransportSession", "make_transport"]


@dataclass(frozen=True, kw_only=True, slots=True)
class TransportContext:
    """What a transport may need beside its account."""

    secret: str | None  # the account's password, API key or OAuth secrets; None when it has none
    mailbox_dir: Path  # where the test mailbox writes its messages
    on_revoked: Callable[[], None] | None = None  # told when the provider revokes the account's authorization


_Factory = Callable[[Account, TransportContext], Transport]

_REGISTRY: dict[AccountKind, _Factory] = {
    AccountKind.mailbox: lambda account, context: MailboxTransport(context.mailbox_dir, name=account.name),
    AccountKind.smtp: lambda account, context: SmtpTransport(account, context.secret),
    AccountKind.gmail: lambda account, context: make_gmail_transport(
        account, context.secret, on_revoked=context.on_revoked
    ),
    AccountKind.brevo: lambda account, context: BrevoTransport(account, context.secret),
}


def make_transport(account: Account, context: TransportContext) -> Transport:
    """The transport of `account`. Raises ConfigurationError for an account that cannot work (no host, no key...)."""
    factory = _REGISTRY.get(account.kind)
    if factory is None:
        raise ConfigurationError(f"account {account.name!r}: no transport for kind {account.kind!r}")
    return factory(account, context)
