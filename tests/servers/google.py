"""Google, locally: the OAuth2 authorization and token endpoints and the Gmail API's messages.send, answering as
Google documents them, plus an SMTP server taking XOAUTH2 logins with the access tokens this server issued.

- GET /o/oauth2/auth: consents at once and redirects to the loopback redirect URI with a code (or
  error=access_denied when `deny_consent`), keeping the PKCE code_challenge.
- POST /token: grant_type=authorization_code checks client, redirect URI and S256(code_verifier) against the
  challenge; grant_type=refresh_token answers 400 invalid_grant for a revoked refresh token. Both return an
  access token (expires_in 3599), the granted scopes and an ID token naming `email`.
- POST /gmail/v1/users/me/messages/send: Bearer token checked (401 UNAUTHENTICATED otherwise), {"raw": base64url}
  decoded and kept; answers {"id", "threadId", "labelIds"}.

Faults: `revoke()` the refresh token, `expire_tokens()` (every access token issued so far becomes invalid),
`expire_tokens_after` N messages, `granted` (the scopes the user leaves ticked), and `fail_next` (httpd.py).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import unquote_plus, urlencode

import orjson
from aiosmtpd.smtp import SMTP, AuthResult

from batchmail.sending.accounts import Account, AccountKind, GmailMode, SmtpSecurity
from batchmail.sending.oauth import GmailSecrets, scopes_for
from tests.servers.httpd import LocalHttpServer, Reply, Request
from tests.servers.smtpd import SmtpTestServer, smtp_server

AUTH_PATH = "/o/oauth2/auth"
TOKEN_PATH = "/token"
SEND_PATH = "/gmail/v1/users/me/messages/send"
CLIENT_ID = "123-test.apps.googleusercontent.com"
CLIENT_SECRET = "test-client-secret"


@dataclass(kw_only=True, slots=True)
class SentMessage:
    raw: bytes  # the message as Gmail received it, Bcc header included
    message: EmailMessage
    token: str


class GoogleServer(LocalHttpServer):
    def __init__(self, *, email: str = "atelier.martin@gmail.com") -> None:
        super().__init__()
        self.email = email
        self.deny_consent = False
        self.granted: list[str] | None = None  # None: every scope asked for
        self.expire_tokens_after: int | None = None  # messages after which every access token expires (once)
        self.sent: list[SentMessage] = []
        self.refresh_tokens: dict[str, list[str]] = {}  # refresh token -> scopes
        self.revoked: set[str] = set()
        self.valid_tokens: set[str] = set()
        self._codes: dict[str, dict[str, Any]] = {}

    # -- what the tests use -----------------------------------------------------------------------------------

    def issue_refresh_token(self, mode: GmailMode = GmailMode.api) -> str:
        """A refresh token as if the user had consented earlier."""
        token = "1//" + secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens[token] = scopes_for(mode)
        return token

    def account(self, mode: GmailMode = GmailMode.api, **changes: Any) -> tuple[Account, str]:
        """A Gmail account reaching this server, and the secret the credential store would keep for it."""
        values: dict[str, Any] = {
            "name": "gmail-test",
            "kind": AccountKind.gmail,
            "username": self.email,
            "from_address": self.email,
            "client_id": CLIENT_ID,
            "token_uri": self.url + TOKEN_PATH,
            "auth_uri": self.url + AUTH_PATH,
            "api_base_url": self.url,
            "gmail_mode": mode,
            "timeout_seconds": 5.0,
        }
        values.update(changes)
        secret = GmailSecrets(client_secret=CLIENT_SECRET, refresh_token=self.issue_refresh_token(mode))
        return Account(**values), secret.dump()

    def revoke(self) -> None:
        with self.lock:
            self.revoked.update(self.refresh_tokens)
            self.valid_tokens.clear()

    def expire_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def token_grants(self, grant_type: str) -> list[dict[str, str]]:
        return [r.form() for r in self.on(TOKEN_PATH) if r.form().get("grant_type") == grant_type]

    # -- the protocol -----------------------------------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        if request.path == AUTH_PATH:
            return self._authorize(request.query)
        if request.path == TOKEN_PATH:
            return self._token({**_basic_auth(request), **request.form()})
        if request.path == SEND_PATH and request.method == "POST":
            return self._send(request)
        return Reply(status=404, body=_error(404, "Not Found", "NOT_FOUND", "notFound"))

    def _authorize(self, query: dict[str, str]) -> Reply:
        redirect = query["redirect_uri"]
        if query.get("client_id") != CLIENT_ID:
            return Reply(status=400, body={"error": "invalid_client"})
        if self.deny_consent:
            params = {"error": "access_denied", "state": query["state"]}
        else:
            code = secrets.token_urlsafe(16)
            scopes = query["scope"].split()
            with self.lock:
                self._codes[code] = {
                    "challenge": query.get("code_challenge"),
                    "method": query.get("code_challenge_method"),
                    "redirect_uri": redirect,
                    "scopes": self.granted if self.granted is not None else scopes,
                }
            params = {"code": code, "scope": " ".join(scopes), "state": query["state"]}
        return Reply(status=302, headers={"Location": f"{redirect}?{urlencode(params)}"})

    def _token(self, form: dict[str, str]) -> Reply:
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Reply(status=401, body={"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("grant_type") == "authorization_code":
            return self._exchange_code(form)
        if form.get("grant_type") == "refresh_token":
            with self.lock:
                token = form.get("refresh_token", "")
                scopes = self.refresh_tokens.get(token)
                if scopes is None or token in self.revoked:
                    return Reply(
                        status=400,
                        body={"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                    )
            asked = form.get("scope", "").split()
            if not set(asked) <= set(scopes):  # a refresh may narrow the grant, never widen it
                return Reply(status=400, body={"error": "invalid_scope", "error_description": "Bad Request"})
            return Reply(status=200, body=self._access(asked or scopes))
        return Reply(status=400, body={"error": "unsupported_grant_type"})

    def _exchange_code(self, form: dict[str, str]) -> Reply:
        with self.lock:
            grant = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return Reply(status=400, body={"error": "invalid_grant", "error_description": "Bad code"})
        if grant["method"] != "S256" or grant["challenge"] != challenge:
            return Reply(status=400, body={"error": "invalid_grant", "error_description": "Invalid code verifier."})
        refresh = "1//" + secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens[refresh] = grant["scopes"]
        return Reply(status=200, body={**self._access(grant["scopes"]), "refresh_token": refresh})

    def _access(self, scopes: list[str]) -> dict[str, Any]:
        token = "ya29." + secrets.token_urlsafe(24)
        with self.lock:
            self.valid_tokens.add(token)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
        }
        if "openid" in scopes:
            body["id_token"] = _id_token({"iss": "https://accounts.google.com", "aud": CLIENT_ID, "email": self.email})
        return body

    def _send(self, request: Request) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            if token not in self.valid_tokens:
                return Reply(
                    status=401,
                    body=_error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED", "authError"),
                    headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
                )
        raw = base64.urlsafe_b64decode(request.json()["raw"])
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.sent.append(SentMessage(raw=raw, message=message, token=token))
            number = len(self.sent)
            if self.expire_tokens_after == number:
                self.expire_tokens_after = None
                self.valid_tokens.clear()
        return Reply(
            status=200, body={"id": f"18c{number:013x}", "threadId": f"18c{number:013x}", "labelIds": ["SENT"]}
        )

    # -- Gmail's SMTP side ------------------------------------------------------------------------------------

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """AUTH XOAUTH2 as smtp.gmail.com answers it: a refused token gets a base64 JSON challenge, then 535."""
        decoded = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        fields = dict(part.split("=", 1) for part in decoded.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        with self.lock:
            ok = fields.get("user") == self.email and token in self.valid_tokens
        if ok:
            return AuthResult(success=True, handled=False, auth_data=fields["user"])
        challenge = orjson.dumps({"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"})
        await server.challenge_auth(challenge)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")


def _basic_auth(request: Request) -> dict[str, str]:
    """The client's id and secret from HTTP Basic authentication, which a token endpoint must take (RFC 6749,
    2.3.1) besides the form fields, and which requests-oauthlib uses."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return {}
    client_id, _, client_secret = base64.b64decode(value).decode().partition(":")
    return {"client_id": unquote_plus(client_id), "client_secret": unquote_plus(client_secret)}


def _error(code: int, message: str, status: str, reason: str) -> dict[str, Any]:
    """An error body as Google's APIs write it."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "reason": reason}],
            "status": status,
        }
    }


def _id_token(claims: dict[str, Any]) -> str:
    """A JWT carrying `claims`; its signature is not checked by the client (it comes from the token endpoint)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{part({'sig': 'test'})}"


@contextmanager
def google_server(**options: Any) -> Iterator[GoogleServer]:
    server = GoogleServer(**options)
    with server.running():
        yield server


@contextmanager
def gmail_smtp_server(google: GoogleServer) -> Iterator[SmtpTestServer]:
    """smtp.gmail.com, locally: STARTTLS with a test CA, AUTH XOAUTH2 checked against `google`'s access tokens."""
    with smtp_server(username=google.email, password=secrets.token_hex(8)) as server:
        # SmtpTestServer has no option for extra mechanisms: aiosmtpd takes every auth_* attribute of the handler.
        server._controller.handler.auth_XOAUTH2 = google.auth_XOAUTH2
        yield server


def smtp_account(google: GoogleServer, smtp: SmtpTestServer) -> tuple[Account, str]:
    """A Gmail account in XOAUTH2 mode reaching `smtp`, its tokens from `google`."""
    return google.account(
        GmailMode.smtp_xoauth2,
        host=smtp.host,
        port=smtp.port,
        security=SmtpSecurity.starttls,
        ca_file=str(smtp.ca_pem),
    )
