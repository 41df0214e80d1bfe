"""Sending through Gmail: the Gmail API's messages.send (scope gmail.send), or, for Workspace accounts that want
SMTP, smtp.gmail.com with XOAUTH2 (scope https://mail.google.com/, which Google classes "restricted").

Bcc: the Gmail API has no envelope; it delivers to the addresses in the message's To, Cc and Bcc headers
(https://developers.google.com/gmail/api/reference/rest/v1/users.messages/send). ``to_mime`` never writes a Bcc
header, so the copy handed to Gmail gets one naming the envelope recipients the headers do not; Gmail removes it
before the message leaves, as a mail client's Bcc.

A 401 mid-batch (the access token expired early or was revoked) renews the token once and posts again: Google did
not act on a request it refused.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import orjson
from aiosmtplib import SMTP, SMTPAuthenticationError, SMTPException

from batchmail.errors import AuthenticationFailed, ConfigurationError, PermanentFailure, SendFailure, TemporaryFailure
from batchmail.sending.accounts import Account, GmailMode, SmtpSecurity
from batchmail.sending.delivery_events import provider_reply
from batchmail.sending.oauth import GOOGLE_TOKEN_URI, MAIL_SCOPE, SEND_SCOPE, GmailAuthorizer, GmailSecrets, scopes_for
from batchmail.sending.transports.base import SendResult, Transport, TransportSession
from batchmail.sending.transports.http_api import (
    api_url,
    blind_recipients,
    headers_of,
    json_body,
    provider_failure,
    tracked_request,
)
from batchmail.sending.transports.smtp import SmtpTransport

GMAIL_API = "https://gmail.googleapis.com"
GMAIL_SMTP_HOST = "smtp.gmail.com"
SEND_PATH = "/gmail/v1/users/me/messages/send"
# 403 reasons that mean "too much, too fast" (Gmail's usage limits): worth trying again later.
_RATE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded", "limitExceeded"}
)


def make_gmail_transport(
    account: Account, secret: str | None, *, on_revoked: Callable[[], None] | None = None
) -> Transport:
    """The transport of a Gmail account; `secret` is the JSON the credential store keeps (see GmailSecrets)."""
    authorizer = gmail_authorizer(account, secret, on_revoked=on_revoked)
    if account.gmail_mode is GmailMode.smtp_xoauth2:
        return GmailSmtpTransport(account, authorizer)
    return GmailApiTransport(account, authorizer)


def gmail_authorizer(
    account: Account, secret: str | None, *, on_revoked: Callable[[], None] | None = None
) -> GmailAuthorizer:
    """The access tokens of a Gmail account, from its settings and the secret the credential store keeps."""
    if not account.client_id:
        raise ConfigurationError(f"account {account.name!r}: no Google client id is set")
    secrets = GmailSecrets.load(secret, account=account.name)
    return GmailAuthorizer(
        account=account.name,
        client_id=account.client_id,
        secrets=secrets,
        token_uri=api_url(account.token_uri or GOOGLE_TOKEN_URI, what=f"account {account.name!r}: the token endpoint"),
        scopes=secrets.scopes or scopes_for(account.gmail_mode),
        timeout_seconds=account.timeout_seconds,
        on_revoked=on_revoked,
    )


def refuse_if_revoked(account: Account) -> None:
    if account.reconnect_needed:
        raise AuthenticationFailed(
            f"Google revoked BatchMail's authorization: reconnect the account (batchmail account reconnect "
            f"{account.name})",
            transport=account.name,
        )


class GmailApiTransport(Transport):
    def __init__(self, account: Account, authorizer: GmailAuthorizer) -> None:
        self.account = account
        self.name = account.name
        self.authorizer = authorizer
        self.base_url = api_url(account.api_base_url or GMAIL_API, what=f"account {account.name!r}: the Gmail API")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[TransportSession]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=self.account.timeout_seconds) as client:
            yield _GmailApiSession(self, client)

    async def check(self) -> str:
        """Renew the access token now, sending nothing. (users.getProfile would need more than gmail.send.)"""
        refuse_if_revoked(self.account)
        await asyncio.to_thread(self.authorizer.refresh)
        granted = self.authorizer.granted_scopes
        if granted and not {SEND_SCOPE, MAIL_SCOPE} & set(granted):
            raise AuthenticationFailed("Google did not grant the permission to send mail", transport=self.name)
        who = self.authorizer.email or self.account.from_address
        return f"Google renewed the authorization of {who}: BatchMail may send mail through the Gmail API"

    def result(self, response: httpx.Response, recipients: list[str]) -> SendResult:
        """The outcome of a messages.send call, or the failure kind its status means."""
        status = response.status_code
        body = json_body(response)
        if status == httpx.codes.OK:
            return SendResult(
                accepted=list(recipients),
                refused={},
                server_reply=provider_reply(status, "Gmail", str(body.get("id", ""))),
            )
        error = body.get("error")
        error = error if isinstance(error, dict) else {}
        said = str(error.get("message") or response.reason_phrase)
        reasons = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
        kind: type[SendFailure]
        if status == httpx.codes.UNAUTHORIZED:
            kind, message = AuthenticationFailed, f"Google refused a freshly renewed access token: {said}"
        elif (
            status == httpx.codes.TOO_MANY_REQUESTS
            or httpx.codes.is_server_error(status)
            or (status == httpx.codes.FORBIDDEN and reasons & _RATE_REASONS)
        ):
            kind, message = TemporaryFailure, f"Gmail asks to slow down or failed: {said}"
        elif status == httpx.codes.FORBIDDEN:  # a missing scope or a Workspace policy: no message would go
            kind, message = AuthenticationFailed, f"Gmail refused to send for this account: {said}"
        elif httpx.codes.is_client_error(status):
            kind, message = PermanentFailure, f"Gmail refused the message: {said}"
        else:
            kind, message = TemporaryFailure, f"unexpected answer from Gmail: {said}"
        raise provider_failure(kind, message, transport=self.name, recipients=recipients, response=response, said=said)


class _GmailApiSession(TransportSession):
    def __init__(self, transport: GmailApiTransport, client: httpx.AsyncClient) -> None:
        self._t = transport
        self._client = client
        self._lock = asyncio.Lock()

    async def send(self, mime: bytes, *, sender: str, recipients: list[str], dsn: bool = False) -> SendResult:
        t = self._t
        if not recipients:
            raise PermanentFailure("the message has no recipient", transport=t.name)
        refuse_if_revoked(t.account)
        body = await asyncio.to_thread(_request_body, mime, recipients)  # a few MB of base64: off the loop
        async with self._lock:
            token = await t.authorizer.token()
            response = await self._post(body, token, recipients)
            if response.status_code == httpx.codes.UNAUTHORIZED:
                token = await t.authorizer.renewed(token)
                response = await self._post(body, token, recipients)
        return t.result(response, recipients)

    async def _post(self, body: bytes, token: str, recipients: list[str]) -> httpx.Response:
        return await tracked_request(
            self._client,
            "POST",
            SEND_PATH,
            transport=self._t.name,
            recipients=recipients,
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )


def _request_body(mime: bytes, recipients: list[str]) -> bytes:
    """messages.send's JSON: the message, with its Bcc header (see the module docstring), in base64url."""
    blind = blind_recipients(headers_of(mime), recipients)
    if any(c in address for address in blind for c in "\r\n,"):
        raise PermanentFailure(f"a Bcc address cannot be written in a header: {blind!r}")
    raw = (f"Bcc: {', '.join(blind)}\r\n".encode() + mime) if blind else mime
    return orjson.dumps({"raw": base64.urlsafe_b64encode(raw).decode("ascii")})


class GmailSmtpTransport(SmtpTransport):
    """SmtpTransport's connection (STARTTLS to smtp.gmail.com:587 unless the account says otherwise), then
    AUTH XOAUTH2 with an access token instead of a password."""

    def __init__(self, account: Account, authorizer: GmailAuthorizer) -> None:
        smtp_account = dataclasses.replace(
            account,
            host=account.host or GMAIL_SMTP_HOST,
            port=account.port or 587,
            security=account.security if account.host else SmtpSecurity.starttls,
            username="",  # SmtpTransport then logs nobody in: XOAUTH2 is done here
        )
        super().__init__(smtp_account, None)
        self.gmail_account = account
        self.user = account.username or account.from_address
        self.authorizer = authorizer

    @property
    def login_name(self) -> str:
        return self.user

    async def connect(self) -> SMTP:
        refuse_if_revoked(self.gmail_account)
        smtp = await super().connect()
        try:
            await self._login(smtp)
        except SMTPAuthenticationError as err:
            smtp.close()
            raise self.failure(
                AuthenticationFailed,
                f"{self.host}:{self.port} refused the XOAUTH2 login of {self.user}: {err.message}",
                code=err.code,
                server_text=err.message,
            ) from err
        except (SMTPException, OSError) as err:
            smtp.close()
            raise self._connect_failure(err, logging_in=False) from err
        except BaseException:
            smtp.close()
            raise
        return smtp

    async def _login(self, smtp: SMTP) -> None:
        await smtp.ehlo()  # what the server offers once the connection is secured
        if "xoauth2" not in smtp.server_auth_methods:
            raise self.failure(AuthenticationFailed, f"{self.host}:{self.port} does not offer XOAUTH2 login")
        token = await self.authorizer.token()
        try:
            await smtp.auth_xoauth2(self.user, token)
        except SMTPAuthenticationError:  # the token expired early or was revoked: one new token, one more try
            await smtp.auth_xoauth2(self.user, await self.authorizer.renewed(token))
