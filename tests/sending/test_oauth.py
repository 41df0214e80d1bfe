"""Gmail's OAuth2 against a local Google: the installed-app flow end to end (browser played by httpx, PKCE checked
by the token endpoint), and the authorizer's token refresh shared by threads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from batchmail.errors import AuthenticationFailed, ConfigurationError
from batchmail.sending.accounts import GmailMode
from batchmail.sending.oauth import MAIL_SCOPE, SEND_SCOPE, Authorization, GmailAuthorizer, GmailSecrets, authorize
from batchmail.sending.transports.gmail import gmail_authorizer
from tests.servers.google import AUTH_PATH, CLIENT_ID, CLIENT_SECRET, TOKEN_PATH, GoogleServer, google_server


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleServer]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the local token endpoint speaks plain http
    with google_server() as server:
        yield server


async def consent(
    google: GoogleServer, mode: GmailMode = GmailMode.api, **options: object
) -> tuple[Authorization, str]:
    """Run the flow in a thread; play the browser: open the consent page, follow its redirect to the loopback."""
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[str] = loop.create_future()
    flow = asyncio.create_task(
        asyncio.to_thread(
            authorize,
            CLIENT_ID,
            CLIENT_SECRET,
            mode=mode,
            auth_uri=google.url + AUTH_PATH,
            token_uri=google.url + TOKEN_PATH,
            open_browser=lambda url: loop.call_soon_threadsafe(opened.set_result, url),
            **options,  # type: ignore[arg-type]
        )
    )
    url = await opened
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(url)
    return await flow, page.text


async def test_the_installed_app_flow_returns_a_refresh_token_bound_by_pkce(google: GoogleServer) -> None:
    granted, page = await consent(google, login_hint="atelier.martin@gmail.com")
    assert "You can close this window" in page
    assert granted.refresh_token in google.refresh_tokens
    assert granted.email == google.email
    assert SEND_SCOPE in granted.scopes and MAIL_SCOPE not in granted.scopes
    asked = google.on(AUTH_PATH)[0].query
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["access_type"] == "offline" and asked["prompt"] == "consent"
    assert asked["login_hint"] == "atelier.martin@gmail.com"
    redirect = urlsplit(asked["redirect_uri"])
    assert (redirect.scheme, redirect.hostname) == ("http", "127.0.0.1") and redirect.port
    exchange = google.token_grants("authorization_code")[0]
    assert 43 <= len(exchange["code_verifier"]) <= 128, "the server checked S256(verifier) against the challenge"


async def test_the_smtp_mode_asks_for_the_whole_of_gmail(google: GoogleServer) -> None:
    granted, _ = await consent(google, GmailMode.smtp_xoauth2)
    assert MAIL_SCOPE in granted.scopes and SEND_SCOPE not in granted.scopes
    assert MAIL_SCOPE in google.on(AUTH_PATH)[0].query["scope"].split()


async def test_a_refused_consent_is_a_configuration_error(google: GoogleServer) -> None:
    google.deny_consent = True
    with pytest.raises(ConfigurationError, match="refused the authorization"):
        await consent(google)
    assert google.token_grants("authorization_code") == []


async def test_a_consent_without_the_permission_to_send_is_refused(google: GoogleServer) -> None:
    google.granted = ["openid", "https://www.googleapis.com/auth/userinfo.email"]
    with pytest.raises(ConfigurationError, match="permission to send"):
        await consent(google)


def test_a_browser_that_never_comes_back_times_out(google: GoogleServer) -> None:
    with pytest.raises(ConfigurationError, match="did not come back"):
        authorize(
            CLIENT_ID,
            CLIENT_SECRET,
            auth_uri=google.url + AUTH_PATH,
            token_uri=google.url + TOKEN_PATH,
            open_browser=lambda url: None,
            timeout_seconds=0.2,
        )


def test_threads_share_one_refresh_and_a_refused_token_is_renewed_once(google: GoogleServer) -> None:
    account, secret = google.account()
    authorizer = gmail_authorizer(account, secret)
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(authorizer.access_token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(google.token_grants("refresh_token")) == 1
    renewed = authorizer.renew(tokens[0])
    assert renewed != tokens[0]
    assert authorizer.renew(tokens[0]) == renewed, "another session had already renewed the refused token"
    assert len(google.token_grants("refresh_token")) == 2
    assert authorizer.email == google.email


def test_a_revoked_refresh_token_calls_back_and_fails_authentication(google: GoogleServer) -> None:
    account, secret = google.account()
    marked: list[bool] = []
    authorizer = gmail_authorizer(account, secret, on_revoked=lambda: marked.append(True))
    google.revoke()
    with pytest.raises(AuthenticationFailed, match="Token has been expired or revoked"):
        authorizer.access_token()
    assert marked == [True]


def test_a_wrong_client_secret_fails_authentication_without_asking_to_reconnect(google: GoogleServer) -> None:
    account, _ = google.account()
    secrets = GmailSecrets(client_secret="wrong", refresh_token=google.issue_refresh_token())
    marked: list[bool] = []
    authorizer = GmailAuthorizer(
        account=account.name,
        client_id=CLIENT_ID,
        secrets=secrets,
        token_uri=google.url + TOKEN_PATH,
        scopes=[SEND_SCOPE],
        on_revoked=lambda: marked.append(True),
    )
    with pytest.raises(AuthenticationFailed, match="refused to renew"):
        authorizer.access_token()
    assert marked == []


def test_missing_or_torn_secrets_ask_for_a_reconnection() -> None:
    for secret in (None, "", "{}", "not json"):
        with pytest.raises(ConfigurationError, match="connect it again"):
            GmailSecrets.load(secret, account="office")


async def test_a_consent_keeping_only_the_permission_to_send_is_enough(google: GoogleServer) -> None:
    google.granted = [SEND_SCOPE]  # the user unticked "see your email address"
    granted, _ = await consent(google)
    assert granted.scopes == (SEND_SCOPE,) and granted.email == ""
    account, _ = google.account()
    authorizer = gmail_authorizer(account, granted.secrets(CLIENT_SECRET).dump())
    assert authorizer.access_token() in google.valid_tokens, "the refresh asked for what was granted, no more"
    assert google.token_grants("refresh_token")[0]["scope"] == SEND_SCOPE
