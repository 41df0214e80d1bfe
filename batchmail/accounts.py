"""Sending accounts: how mail leaves (test mailbox, SMTP server, later Gmail and Brevo).

The secret of an account (password, token) is never stored here: `batchmail.credentials` keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAILBOX_ACCOUNT = "test-mailbox"


class AccountKind(StrEnum):
    mailbox = "mailbox"  # the built-in test mailbox: keeps .eml files, sends nothing
    smtp = "smtp"  # any SMTP server


class SmtpSecurity(StrEnum):
    starttls = "starttls"  # plain connection upgraded with STARTTLS (port 587)
    tls = "tls"  # implicit TLS from the first byte (port 465)
    none = "none"  # no encryption: refused except on loopback


@dataclass(kw_only=True, slots=True)
class Account:
    name: str
    kind: AccountKind
    host: str = ""
    port: int = 0
    security: SmtpSecurity = SmtpSecurity.starttls
    username: str = ""
    from_address: str = ""  # the default sender of this account
    ca_file: str = ""  # a PEM bundle to trust instead of the system's (a company's own CA)
    timeout_seconds: float = 60.0
    per_minute: int | None = None  # the provider's pace: at most this many messages a minute (None: no limit)
    per_day: int | None = None  # and a day
    max_message_bytes: int = 25_000_000  # the largest message the provider accepts, attachments included
    connections: int = 2  # parallel connections a batch may open

    @property
    def is_test_mailbox(self) -> bool:
        return self.kind is AccountKind.mailbox


def mailbox_account() -> Account:
    """The default account of a fresh install."""
    return Account(name=MAILBOX_ACCOUNT, kind=AccountKind.mailbox)
