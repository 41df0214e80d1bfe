"""Sending accounts: how mail leaves (test mailbox, SMTP server, Gmail, Brevo).

The secret of an account (password, token) is never stored here: `batchmail.credentials` keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAILBOX_ACCOUNT = "test-mailbox"


class AccountKind(StrEnum):
    mailbox = "mailbox"  # the built-in test mailbox: keeps .eml files, sends nothing
    smtp = "smtp"  # any SMTP server
    gmail = "gmail"  # a Google account, authorised through OAuth2 (no password)
    brevo = "brevo"  # Brevo's transactional email API, with an API key


class SmtpSecurity(StrEnum):
    starttls = "starttls"  # plain connection upgraded with STARTTLS (port 587)
    tls = "tls"  # implicit TLS from the first byte (port 465)
    none = "none"  # no encryption: refused except on loopback


class GmailMode(StrEnum):
    api = "api"  # the Gmail API's messages.send, scope gmail.send
    smtp_xoauth2 = "smtp_xoauth2"  # smtp.gmail.com with XOAUTH2, scope https://mail.google.com/ (Workspace)


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
    api_base_url: str = ""  # Gmail or Brevo API root; empty: the provider's own
    token_uri: str = ""  # OAuth2 token endpoint (Gmail); empty: Google's
    auth_uri: str = ""  # OAuth2 authorization endpoint (Gmail); empty: Google's
    client_id: str = ""  # OAuth2 client id (Gmail); its secret is kept with the account's secrets
    gmail_mode: GmailMode = GmailMode.api
    reconnect_needed: bool = False  # the provider revoked the authorization: the user must consent again

    @property
    def is_test_mailbox(self) -> bool:
        return self.kind is AccountKind.mailbox


def mailbox_account() -> Account:
    """The default account of a fresh install."""
    return Account(name=MAILBOX_ACCOUNT, kind=AccountKind.mailbox)
