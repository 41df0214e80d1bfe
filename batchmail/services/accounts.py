"""Sending accounts: adding them (SMTP, Gmail, Brevo), testing them, choosing the one a batch goes through, who the
mail is from, and the delivery events their provider recorded.

Secrets never reach accounts.json: the credential store keeps them under `secret_key(name)` (a password, Brevo's
API key, or for Gmail the JSON of `GmailSecrets`: the OAuth client secret and the refresh token).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from batchmail.domain.addresses import parse_address
from batchmail.domain.company import IssuingCompany, SenderAddress, User
from batchmail.errors import ConfigurationError, InvalidInput, NotFound, SendFailure
from batchmail.sending.accounts import MAILBOX_ACCOUNT, Account, AccountKind, GmailMode, SmtpSecurity, mailbox_account
from batchmail.sending.delivery_events import DeliveryEvent
from batchmail.sending.oauth import GOOGLE_AUTH_URI, GOOGLE_TOKEN_URI, GmailSecrets, authorize
from batchmail.sending.transports import TransportContext, make_transport
from batchmail.sending.transports.base import Transport
from batchmail.sending.transports.gmail import (
    GMAIL_SMTP_HOST,
)
from batchmail.sending.transports.http_api import api_url
from batchmail.sending.transports.smtp import check_security
from batchmail.services.repositories import (
    AccountRepository,
    CompanyRepository,
    HistoryRepository,
    SecretStore,
    SettingsRepository,
    Today,
)

DEFAULT_ACCOUNT_KEY = "default_account"
CURRENT_USER_KEY = "current_user"
EVENTS_POLLED_KEY = "events_polled:{name}"  # the day events were last polled for an account
FIRST_POLL_DAYS = 30  # how far back the first poll of an account looks
BREVO_MAX_MESSAGE_BYTES = 20_000_000  # Brevo's limit for a transactional email, attachments included

OpenBrowser = Callable[[str], object]


def secret_key(account_name: str) -> str:
    """The credential store's name for an account's secret."""
    return f"account:{account_name}"


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountCheck:
    """The outcome of `AccountService.test`, in words a user reads."""

    account: str
    ok: bool
    detail: str


class AccountService:
    def __init__(
        self,
        *,
        accounts: AccountRepository,
        settings: SettingsRepository,
        company: CompanyRepository,
        history: HistoryRepository,
        secrets: SecretStore,
        mailbox_dir: Path,
        today: Today,
    ) -> None:
        self._accounts = accounts
        self._settings = settings
        self._company = company
        self._history = history
        self._secrets = secrets
        self._mailbox_dir = mailbox_dir
        self._today = today

    @property
    def secrets_warning(self) -> str:
        """Where the secrets went when there is no system keyring, for the user to read; "" otherwise."""
        return self._secrets.warning

    async def add_smtp(
        self,
        *,
        name: str,
        host: str,
        port: int,
        security: SmtpSecurity,
        username: str = "",
        password: str | None = None,
        from_address: str = "",
        ca_file: str = "",
        make_default: bool = True,
    ) -> Account:
        account = Account(
            name=name,
            kind=AccountKind.smtp,
            host=host,
            port=port,
            security=security,
            username=username,
            from_address=parse_address(from_address, field="sender address") if from_address.strip() else "",
            ca_file=str(Path(ca_file).resolve()) if ca_file else "",
        )
        check_security(account)
        if ca_file and not Path(ca_file).is_file():
            raise InvalidInput(f"--ca-file: {ca_file} is not a file")
        await asyncio.to_thread(self._store, account, password, make_default)
        return account

    async def add_gmail(
        self,
        *,
        name: str,
        client_id: str,
        client_secret: str,
        from_address: str = "",
        mode: GmailMode = GmailMode.api,
        open_browser: OpenBrowser = webbrowser.open,
        auth_uri: str = GOOGLE_AUTH_URI,
        token_uri: str = GOOGLE_TOKEN_URI,
        api_base_url: str = "",
        smtp_host: str = GMAIL_SMTP_HOST,
        smtp_port: int = 587,
        ca_file: str = "",
        make_default: bool = True,
        timeout_seconds: float | None = 300,
    ) -> Account:
        """Ask the user's consent in the browser (`open_browser` gets the page's address), then store the account
        and its refresh token. Blocks until the browser comes back or `timeout_seconds` pass."""
        if not client_id.strip() or not client_secret.strip():
            raise InvalidInput("a Google account needs the OAuth client id and client secret of your Google project")
        from_address = parse_address(from_address, field="sender address") if from_address.strip() else ""
        await self._refuse_existing(name)
        granted = await asyncio.to_thread(
            authorize,
            client_id.strip(),
            client_secret.strip(),
            mode=mode,
            auth_uri=api_url(auth_uri, what="the authorization endpoint"),
            token_uri=api_url(token_uri, what="the token endpoint"),
            open_browser=open_browser,
            login_hint=from_address,
            timeout_seconds=timeout_seconds,
        )
        smtp = mode is GmailMode.smtp_xoauth2
        account = Account(
            name=name,
            kind=AccountKind.gmail,
            username=granted.email,
            from_address=from_address or granted.email,
            client_id=client_id.strip(),
            auth_uri=auth_uri,
            token_uri=token_uri,
            api_base_url=api_base_url,
            gmail_mode=mode,
            host=smtp_host if smtp else "",
            port=smtp_port if smtp else 0,
            ca_file=str(Path(ca_file).resolve()) if ca_file else "",
        )
        await asyncio.to_thread(self._store, account, granted.secrets(client_secret.strip()).dump(), make_default)
        return account

    async def reconnect_gmail(self, name: str, *, open_browser: OpenBrowser = webbrowser.open) -> Account:
        """Ask the consent again for an account Google revoked; its queued mail can then go."""
        account = await self.get(name)
        if account.kind is not AccountKind.gmail:
            raise InvalidInput(f"account {name!r} is not a Gmail account: nothing to reconnect")
        secret = await asyncio.to_thread(self._secrets.get, secret_key(name))
        client_secret = GmailSecrets.load(secret, account=name).client_secret
        granted = await asyncio.to_thread(
            authorize,
            account.client_id,
            client_secret,
            mode=account.gmail_mode,
            auth_uri=api_url(account.auth_uri or GOOGLE_AUTH_URI, what="the authorization endpoint"),
            token_uri=api_url(account.token_uri or GOOGLE_TOKEN_URI, what="the token endpoint"),
            open_browser=open_browser,
            login_hint=account.username or account.from_address,
        )
        fixed = dataclasses.replace(account, reconnect_needed=False, username=granted.email or account.username)

        def run() -> None:
            self._secrets.set(secret_key(name), granted.secrets(client_secret).dump())
            self._accounts.update(fixed)

        await asyncio.to_thread(run)
        return fixed

    async def add_brevo(
        self, *, name: str, api_key: str, from_address: str, api_base_url: str = "", make_default: bool = True
    ) -> Account:
        """A Brevo account: its API key and the sender address verified in Brevo."""
        if not api_key.strip():
            raise InvalidInput("a Brevo account needs its API key (Brevo: SMTP & API, API keys)")
        if not from_address.strip():
            raise InvalidInput("a Brevo account needs --from: a sender address verified in Brevo")
        account = Account(
            name=name,
            kind=AccountKind.brevo,
            from_address=parse_address(from_address, field="sender address"),
            api_base_url=api_base_url,
            max_message_bytes=BREVO_MAX_MESSAGE_BYTES,
        )
        # Built once to refuse what could not work (an API address that is not https) before anything is stored.
        make_transport(account, TransportContext(secret=api_key.strip(), mailbox_dir=self._mailbox_dir))
        await asyncio.to_thread(self._store, account, api_key.strip(), make_default)
        return account

    async def all(self) -> list[tuple[Account, bool]]:
        """Every account, the built-in test mailbox first, each with whether it is the default."""

        def run() -> list[tuple[Account, bool]]:
            default = self._settings.get(DEFAULT_ACCOUNT_KEY) or MAILBOX_ACCOUNT
            accounts = [mailbox_account(), *self._accounts.all()]
            return [(account, account.name == default) for account in accounts]

        return await asyncio.to_thread(run)

    async def transport(self, account: Account) -> Transport:
        """The transport of `account`, with its secret; an account whose authorization the provider revokes (Gmail)
        is marked "reconnect needed" through it."""
        secret = await asyncio.to_thread(self._secrets.get, secret_key(account.name))
        context = TransportContext(
            secret=secret,
            mailbox_dir=self._mailbox_dir,
            on_revoked=lambda: self._mark_reconnect_needed(account.name),
        )
        return make_transport(account, context)

    async def test(self, name: str | None = None) -> AccountCheck:
        """Connect and authenticate without sending anything: SMTP EHLO and AUTH (XOAUTH2 for Gmail over SMTP), a
        renewal of Gmail's access token, Brevo's GET /account."""
        account = await self.get(name)
        try:
            detail = await (await self.transport(account)).check()
        except (SendFailure, ConfigurationError) as err:
            return AccountCheck(account=account.name, ok=False, detail=str(err))
        return AccountCheck(account=account.name, ok=True, detail=detail)

    async def mark_reconnect_needed(self, name: str) -> None:
        """Google revoked the account's authorization: its mail waits until the user consents again."""
        await asyncio.to_thread(self._mark_reconnect_needed, name)

    async def poll_events(self, name: str | None = None) -> list[DeliveryEvent]:
        """Ask the account's provider what became of the mail it took (Brevo: delivered, opened, bounced...) since
        the last poll, and keep each event on the history record of its message. Returns the events polled;
        UnsupportedFeature for an account whose provider reports none."""
        account = await self.get(name)
        transport = await self.transport(account)
        key = EVENTS_POLLED_KEY.format(name=account.name)
        today = self._today()
        last = await asyncio.to_thread(self._settings.get, key)
        since = date.fromisoformat(last) if last else today - timedelta(days=FIRST_POLL_DAYS)
        events = await transport.poll_events(since, today)

        def store() -> None:
            self._history.add_events(events)
            self._settings.set(key, today.isoformat())

        await asyncio.to_thread(store)
        return events

    async def get(self, name: str | None = None) -> Account:
        """The account named, else the default one, else the built-in test mailbox."""

        def run() -> Account:
            chosen = name or self._settings.get(DEFAULT_ACCOUNT_KEY)
            if not chosen or chosen == MAILBOX_ACCOUNT:
                return mailbox_account()
            return self._accounts.get(chosen)

        return await asyncio.to_thread(run)

    async def users(self) -> list[User]:
        return await asyncio.to_thread(self._company.users)

    async def current_user(self) -> User | None:
        """The user the app works for: the one chosen in the settings, else the company's first."""
        return await asyncio.to_thread(self._current_user)

    async def senders(self, account: Account, *, company: IssuingCompany | None) -> list[SenderAddress]:
        """The addresses a batch may be sent from, the default first: the account's own address, then the current
        user's addresses, else `company`'s (the issuing company, as the caller loaded it)."""

        def run() -> list[SenderAddress]:
            user = self._current_user()
            found = [SenderAddress(email=account.from_address, display_name=user.name if user else "")]
            found = found if account.from_address else []
            found += [a for a in (user.addresses if user else []) if a.email != account.from_address]
            if not found and company and company.email:
                found.append(SenderAddress(email=company.email, display_name=company.name))
            return found

        return await asyncio.to_thread(run)

    async def sender(
        self, account: Account, email: str | None = None, *, company: IssuingCompany | None
    ) -> SenderAddress:
        """Who the mail is from: `email` if it is one of `senders(account, company=company)`, else the first."""
        allowed = await self.senders(account, company=company)
        if not allowed:
            raise ConfigurationError("no sender address: give the account a sender address or add one to a user")
        if email is None:
            return allowed[0]
        wanted = parse_address(email, field="sender")
        for address in allowed:
            if address.email.casefold() == wanted.casefold():
                return address
        choices = ", ".join(a.email for a in allowed)
        raise InvalidInput(f"sender: {email} is not one of your sender addresses ({choices})")

    async def _refuse_existing(self, name: str) -> None:
        """Before the browser opens for nothing."""
        names = {account.name for account in await asyncio.to_thread(self._accounts.all)}
        if name in names or name == MAILBOX_ACCOUNT:
            raise InvalidInput(f"account {name!r} already exists")

    def _store(self, account: Account, secret: str | None, make_default: bool) -> None:
        self._accounts.add(account)
        if secret is not None:
            self._secrets.set(secret_key(account.name), secret)
        if make_default:
            self._settings.set(DEFAULT_ACCOUNT_KEY, account.name)

    def _current_user(self) -> User | None:
        users = self._company.users()
        chosen = self._settings.get(CURRENT_USER_KEY)
        return next((u for u in users if u.id == chosen), users[0] if users else None)

    def _mark_reconnect_needed(self, name: str) -> None:
        with contextlib.suppress(NotFound):  # removed meanwhile: nothing left to mark
            account = self._accounts.get(name)
            self._accounts.update(dataclasses.replace(account, reconnect_needed=True))
