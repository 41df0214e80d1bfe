"""The Gmail transports against a local Google (token endpoint, Gmail API, and an SMTP server taking XOAUTH2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from batchmail.errors import AuthenticationFailed, DeliveryUncertain, PermanentFailure, SendFailure, TemporaryFailure
from batchmail.sending.accounts import GmailMode
from batchmail.sending.delivery_events import provider_message_id
from batchmail.sending.message import envelope_recipients, to_mime
from batchmail.sending.transports.base import Transport
from batchmail.sending.transports.gmail import GmailApiTransport, GmailSmtpTransport, make_gmail_transport
from tests.sending.transports.test_smtp import outgoing, send
from tests.servers.google import SEND_PATH, GoogleServer, gmail_smtp_server, google_server, smtp_account
from tests.servers.httpd import DROP, Reply


@pytest.fixture
def google() -> Iterator[GoogleServer]:
    with google_server() as server:
        yield server


def api_transport(google: GoogleServer, revoked: list[str] | None = None) -> Transport:
    account, secret = google.account()
    marks = revoked if revoked is not None else []
    transport = make_gmail_transport(account, secret, on_revoked=lambda: marks.append(account.name))
    assert isinstance(transport, GmailApiTransport)
    return transport


async def test_a_batch_reaches_the_gmail_api_as_composed(google: GoogleServer) -> None:
    messages = [outgoing(n) for n in range(1, 5)] + [outgoing(5, bcc=("archives@atelier.test",))]
    mimes = [to_mime(m) for m in messages]
    transport = api_transport(google)
    async with transport.session() as session:
        results = [
            await session.send(mime, sender=m.sender, recipients=envelope_recipients(m))
            for m, mime in zip(messages, mimes, strict=True)
        ]
    assert [sent.raw for sent in google.sent] == [*mimes[:4], b"Bcc: archives@atelier.test\r\n" + mimes[4]]
    for message, result, sent in zip(messages, results, google.sent, strict=True):
        assert sent.message["Message-ID"] == message.message_id
        assert result.accepted == envelope_recipients(message)
        assert provider_message_id(result.server_reply) == f"18c{google.sent.index(sent) + 1:013x}"
    assert google.sent[4].message["To"] == "jean@acme.test", "Gmail delivers to To, and to Bcc from its header"
    assert len(google.token_grants("refresh_token")) == 1, "one access token served the whole batch"


async def test_an_access_token_expired_mid_batch_is_renewed_and_the_batch_goes_on(google: GoogleServer) -> None:
    google.expire_tokens_after = 2
    transport = api_transport(google)
    async with transport.session() as session:
        for n in range(1, 6):
            await send(session, outgoing(n))
    assert [m.message["Subject"].split()[1] for m in google.sent] == [f"FA-2026-0000{n}" for n in range(1, 6)]
    assert len(google.token_grants("refresh_token")) == 2
    assert len(google.on(SEND_PATH)) == 6, "the refused request was posted once more, no message twice"
    assert google.sent[1].token != google.sent[2].token


async def test_a_revoked_refresh_token_fails_authentication_and_asks_for_a_reconnection(
    google: GoogleServer,
) -> None:
    revoked: list[str] = []
    transport = api_transport(google, revoked)
    async with transport.session() as session:
        await send(session, outgoing(1))
        google.revoke()
        with pytest.raises(AuthenticationFailed, match="reconnect"):
            await send(session, outgoing(2))
    assert revoked == ["gmail-test"]
    assert len(google.sent) == 1


def gmail_error(status: int, message: str, reason: str = "", **headers: str) -> Reply:
    body = {"error": {"code": status, "message": message, "errors": [{"message": message, "reason": reason}]}}
    return Reply(status=status, body=body, headers=headers)


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (gmail_error(429, "Too many concurrent requests for user", **{"Retry-After": "30"}), TemporaryFailure),
        (gmail_error(403, "User-rate limit exceeded", "userRateLimitExceeded"), TemporaryFailure),
        (gmail_error(403, "Insufficient Permission", "insufficientPermissions"), AuthenticationFailed),
        (gmail_error(400, "Invalid To header", "invalidArgument"), PermanentFailure),
        (gmail_error(503, "Backend Error", "backendError"), TemporaryFailure),
    ],
)
async def test_gmail_api_errors_become_failure_kinds(
    google: GoogleServer, reply: Reply, kind: type[SendFailure]
) -> None:
    google.fail_next(SEND_PATH, reply)
    transport = api_transport(google)
    async with transport.session() as session:
        with pytest.raises(kind) as raised:
            await send(session, outgoing(1))
        assert type(raised.value) is kind
        assert raised.value.code == reply.status
        assert reply.body["error"]["message"] in str(raised.value)
        await send(session, outgoing(2))
    assert len(google.sent) == 1
    if reply.status == 429:
        assert "30 s" in str(raised.value)


async def test_a_connection_dropped_after_the_body_leaves_the_delivery_uncertain(google: GoogleServer) -> None:
    google.fail_next(SEND_PATH, DROP)
    transport = api_transport(google)
    async with transport.session() as session:
        with pytest.raises(DeliveryUncertain):
            await send(session, outgoing(1))


async def test_an_unreachable_api_is_a_temporary_failure(google: GoogleServer) -> None:
    account, secret = google.account(api_base_url="http://127.0.0.1:9")  # the discard port: nothing listens
    transport = make_gmail_transport(account, secret)
    async with transport.session() as session:
        with pytest.raises(TemporaryFailure, match="before the message reached"):
            await send(session, outgoing(1))


async def test_an_account_marked_for_reconnection_sends_nothing(google: GoogleServer) -> None:
    account, secret = google.account(reconnect_needed=True)
    transport = make_gmail_transport(account, secret)
    async with transport.session() as session:
        with pytest.raises(AuthenticationFailed, match="account reconnect gmail-test"):
            await send(session, outgoing(1))
    assert google.requests == []


async def test_xoauth2_over_smtp_sends_and_renews_a_token_refused_on_reconnection(google: GoogleServer) -> None:
    with gmail_smtp_server(google) as smtp:
        smtp.faults.close_after = 2  # 421 and a new connection after two messages
        account, secret = smtp_account(google, smtp)
        transport = make_gmail_transport(account, secret)
        assert isinstance(transport, GmailSmtpTransport)
        async with transport.session() as session:
            await send(session, outgoing(1))
            await send(session, outgoing(2))
            google.expire_tokens()  # Google refuses the cached token at the next login
            await send(session, outgoing(3))
        assert [m.message["Subject"].split()[1] for m in smtp.messages] == [
            "FA-2026-00001",
            "FA-2026-00002",
            "FA-2026-00003",
        ]
        assert smtp.connections == 2
        assert len(google.token_grants("refresh_token")) == 2
        assert google.token_grants("refresh_token")[0]["scope"].split()[0] == "https://mail.google.com/"


async def test_xoauth2_with_a_revoked_token_fails_authentication(google: GoogleServer) -> None:
    with gmail_smtp_server(google) as smtp:
        account, secret = smtp_account(google, smtp)
        google.revoke()
        transport = make_gmail_transport(account, secret)
        async with transport.session() as session:
            with pytest.raises(AuthenticationFailed, match="reconnect"):
                await send(session, outgoing(1))
        assert smtp.messages == []


def test_the_mode_picks_the_way_out(google: GoogleServer) -> None:
    for mode, kind in ((GmailMode.api, GmailApiTransport), (GmailMode.smtp_xoauth2, GmailSmtpTransport)):
        account, secret = google.account(mode)
        assert type(make_gmail_transport(account, secret)) is kind
