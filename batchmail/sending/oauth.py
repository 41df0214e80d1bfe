"""Gmail's OAuth2: the installed-app consent flow once, then access tokens refreshed from the refresh token.

`authorize` runs google-auth-oauthlib's installed-app flow: a one-shot web server on 127.0.0.1 at a free port is
the redirect URI, the consent page opens in the user's browser, and PKCE (S256, a fresh 128-character verifier,
which the flow makes itself) binds the code to this process. It blocks until the browser comes back: call it
through ``asyncio.to_thread``.

`GmailAuthorizer` hands out access tokens for one account to every session of a batch, refreshing under a lock when
the token expired or when Google refused it mid-batch (401). A refresh token Google no longer honours
(``invalid_grant``: revoked, expired, password changed) raises AuthenticationFailed, which stops the batch and
leaves it queued, and calls ``on_revoked`` so the account is marked "reconnect needed".

The token endpoint is a setting, so tests point it at a local server. google-auth's
``Credentials.from_authorized_user_info`` would put Google's back: the credentials are built with the constructor.
Callers check the endpoints first (`batchmail.transports.http_api.api_url`: https, or http to this computer).
"""

from __future__ import annotations

import asyncio
import threading
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import google.auth.exceptions
import google.auth.jwt
import oauthlib.oauth2  # type: ignore[import-untyped]
import orjson
import requests
from google.auth.credentials import TokenState
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError  # type: ignore[import-untyped]

from batchmail.errors import AuthenticationFailed, ConfigurationError, SendFailure, TemporaryFailure
from batchmail.sending.accounts import GmailMode

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
MAIL_SCOPE = "https://mail.google.com/"  # all of Gmail, which SMTP needs; Google classes it "restricted"
# Who consented, read from the ID token the token endpoint returns: neither scope is sensitive.
IDENTITY_SCOPES = ("openid", "https://www.googleapis.com/auth/userinfo.email")
_SUCCESS_PAGE = "BatchMail may now send mail through this Google account. You can close this window."


def scopes_for(mode: GmailMode) -> list[str]:
    return [SEND_SCOPE if mode is GmailMode.api else MAIL_SCOPE, *IDENTITY_SCOPES]


@dataclass(frozen=True, kw_only=True, slots=True)
class GmailSecrets:
    """What the credential store keeps for a Gmail account, as one JSON secret."""

    client_secret: str
    refresh_token: str
    scopes: tuple[str, ...] = ()  # the scopes granted: a refresh asks for these, no more (Google refuses more)

    def dump(self) -> str:
        doc = {"client_secret": self.client_secret, "refresh_token": self.refresh_token, "scopes": self.scopes}
        return orjson.dumps(doc).decode()

    @classmethod
    def load(cls, secret: str | None, *, account: str) -> GmailSecrets:
        try:
            doc = orjson.loads(secret or "")
            return cls(
                client_secret=str(doc["client_secret"]),
                refresh_token=str(doc["refresh_token"]),
                scopes=tuple(map(str, doc.get("scopes", ()))),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise ConfigurationError(
                f"account {account!r}: its Google authorization is missing from the keyring; connect it again"
            ) from err


@dataclass(frozen=True, kw_only=True, slots=True)
class Authorization:
    refresh_token: str
    email: str  # the Google account that consented, "" when Google did not say
    scopes: tuple[str, ...]  # the scopes granted

    def secrets(self, client_secret: str) -> GmailSecrets:
        return GmailSecrets(client_secret=client_secret, refresh_token=self.refresh_token, scopes=self.scopes)


def authorize(
    client_id: str,
    client_secret: str,
    *,
    mode: GmailMode = GmailMode.api,
    auth_uri: str = GOOGLE_AUTH_URI,
    token_uri: str = GOOGLE_TOKEN_URI,
    open_browser: Callable[[str], object] = webbrowser.open,
    login_hint: str = "",
    timeout_seconds: float | None = 300,
) -> Authorization:
    """Ask the user's consent in the browser and return the refresh token. Blocking (see the module docstring).

    `open_browser` receives the consent page's address. Raises ConfigurationError when the user refuses, does not
    answer within `timeout_seconds`, or withholds the permission to send."""
    scopes = scopes_for(mode)
    config = {
        "installed": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": auth_uri,
            "token_uri": token_uri,
            "redirect_uris": ["http://127.0.0.1"],
        }
    }
    flow = _Flow.from_client_config(config, scopes=scopes)
    flow.open_url = open_browser
    extra = {"login_hint": login_hint} if login_hint else {}
    try:
        flow.run_local_server(
            host="127.0.0.1",
            port=0,
            open_browser=False,
            authorization_prompt_message="",
            success_message=_SUCCESS_PAGE,
            timeout_seconds=timeout_seconds,
            prompt="consent",  # Google returns a refresh token only on a consent given now
            **extra,
        )
        token = dict(flow.oauth2session.token)
    except Warning as changed:  # oauthlib's "Scope has changed": the user unticked some (Google's granular consent)
        if not hasattr(changed, "token"):
            raise
        token = dict(changed.token)
    except WSGITimeoutError as err:
        raise ConfigurationError(f"Google's consent page did not come back within {timeout_seconds} s") from err
    except oauthlib.oauth2.OAuth2Error as err:
        raise ConfigurationError(f"Google refused the authorization: {err.description or err.error}") from err
    except requests.RequestException as err:
        raise ConfigurationError(f"cannot reach Google's token endpoint {token_uri}: {err}") from err
    granted = _scope_list(token.get("scope")) or scopes  # no "scope" in the answer: all that was asked (RFC 6749)
    if not token.get("refresh_token"):
        raise ConfigurationError("Google gave no refresh token: remove BatchMail's access in your account and retry")
    if scopes[0] not in granted:
        raise ConfigurationError("the permission to send mail was not granted: tick it on Google's consent page")
    return Authorization(
        refresh_token=str(token["refresh_token"]), email=_email(token.get("id_token")), scopes=tuple(granted)
    )


class _Flow(InstalledAppFlow):  # type: ignore[misc]  # google-auth-oauthlib has no type hints
    """The installed-app flow, handing the consent page's address to a callable instead of `webbrowser`."""

    open_url: Callable[[str], object]

    def authorization_url(self, **kwargs: Any) -> tuple[str, str]:
        url, state = super().authorization_url(**kwargs)
        self.open_url(url)
        return url, state


class GmailAuthorizer:
    """Access tokens for one Gmail account, shared by every session of a batch; safe to call from several threads."""

    def __init__(
        self,
        *,
        account: str,
        client_id: str,
        secrets: GmailSecrets,
        token_uri: str,
        scopes: Sequence[str],
        timeout_seconds: float = 60.0,
        on_revoked: Callable[[], None] | None = None,
    ) -> None:
        self.account = account
        self._credentials = Credentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token=secrets.refresh_token,
            token_uri=token_uri,
            client_id=client_id,
            client_secret=secrets.client_secret,
            scopes=list(scopes),
        )
        self._request = partial(Request(), timeout=timeout_seconds)
        self._lock = threading.Lock()
        self._on_revoked = on_revoked

    def access_token(self) -> str:
        """A token valid for a few minutes at least. Blocking: it may ask the token endpoint for a new one."""
        with self._lock:
            if self._credentials.token_state is not TokenState.FRESH:
                self._refresh()
            return str(self._credentials.token)

    def renew(self, refused: str) -> str:
        """A new token after the server refused `refused`, unless another session already renewed it."""
        with self._lock:
            if self._credentials.token == refused or self._credentials.token_state is not TokenState.FRESH:
                self._refresh()
            return str(self._credentials.token)

    def refresh(self) -> None:
        """Ask the token endpoint for a new token now (an account test)."""
        with self._lock:
            self._refresh()

    async def token(self) -> str:
        return await asyncio.to_thread(self.access_token)

    async def renewed(self, refused: str) -> str:
        return await asyncio.to_thread(self.renew, refused)

    @property
    def email(self) -> str:
        """The account's address as the last ID token said, "" before a refresh or without one."""
        return _email(self._credentials.id_token)

    @property
    def granted_scopes(self) -> list[str]:
        return _scope_list(self._credentials.granted_scopes)

    def _refresh(self) -> None:
        try:
            self._credentials.refresh(self._request)  # type: ignore[no-untyped-call]
        except google.auth.exceptions.RefreshError as err:
            raise self._refresh_failure(err) from err
        except google.auth.exceptions.TransportError as err:
            raise TemporaryFailure(f"cannot reach Google's token endpoint: {err}", transport=self.account) from err

    def _refresh_failure(self, err: google.auth.exceptions.RefreshError) -> SendFailure:
        details = err.args[1] if len(err.args) > 1 and isinstance(err.args[1], dict) else {}
        error = str(details.get("error", ""))
        text = str(details.get("error_description") or (err.args[0] if err.args else err))
        if error == "invalid_grant":
            if self._on_revoked is not None:
                self._on_revoked()
            return AuthenticationFailed(
                f"Google no longer accepts BatchMail's authorization ({text}): reconnect the account",
                transport=self.account,
            )
        if getattr(err, "retryable", False):
            return TemporaryFailure(f"Google's token endpoint failed: {text}", transport=self.account)
        return AuthenticationFailed(f"Google refused to renew the access token: {text}", transport=self.account)


def _scope_list(scopes: str | Sequence[str] | None) -> list[str]:
    if isinstance(scopes, str):
        return scopes.split()
    return list(scopes or ())


def _email(id_token: str | None) -> str:
    """The email claim of an ID token, read without checking its signature: it came straight from the token
    endpoint over TLS, which OpenID Connect (Core 1.0, 3.1.3.7) accepts in place of the signature."""
    if not id_token:
        return ""
    try:
        claims = google.auth.jwt.decode(id_token, verify=False)  # type: ignore[no-untyped-call]
    except (ValueError, google.auth.exceptions.GoogleAuthError):
        return ""
    return str(claims.get("email", ""))
