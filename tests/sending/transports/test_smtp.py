"""The SMTP transport against a real aiosmtpd server on 127.0.0.1 (STARTTLS, AUTH, injected failures)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from batchmail.domain.addresses import is_loopback
from batchmail.errors import (
    AuthenticationFailed,
    ConfigurationError,
    DeliveryUncertain,
    PermanentFailure,
    TemporaryFailure,
)
from batchmail.sending.accounts import Account, AccountKind, SmtpSecurity
from batchmail.sending.message import Attachment, OutgoingMessage, envelope_recipients, to_mime
from batchmail.sending.transports.base import SendResult, TransportSession
from batchmail.sending.transports.smtp import SmtpTransport, check_security
from tests.servers.smtpd import SmtpTestServer, smtp_server

PASSWORD = "s3cret"


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with smtp_server(password=PASSWORD) as running:
        yield running


def outgoing(
    number: int = 1, *, to: tuple[str, ...] = ("jean@acme.test",), bcc: tuple[str, ...] = ()
) -> OutgoingMessage:
    return OutgoingMessage(
        sender="billing@example.test",
        sender_name="Atelier Martin",
        to=to,
        bcc=bcc,
        subject=f"Facture FA-2026-{number:05d} – échéance",
        text_body=f"Bonjour,\n.\nLigne commençant par un point ci-dessus ; facture {number}.\n",
        html_body=f"<p>Facture {number}</p>",
        attachments=(
            Attachment(
                filename=f"FA-2026-{number:05d}.pdf",
                content=os.urandom(20_000) + number.to_bytes(4, "big"),
                mime_type="application/pdf",
            ),
        ),
    )


async def send(session: TransportSession, message: OutgoingMessage, *, dsn: bool = False) -> SendResult:
    return await session.send(to_mime(message), sender=message.sender, recipients=envelope_recipients(message), dsn=dsn)


async def test_twenty_messages_in_one_session_arrive_intact(server: SmtpTestServer) -> None:
    transport = SmtpTransport(server.account(), PASSWORD)
    messages = [outgoing(n, bcc=("archive@example.test",)) for n in range(1, 21)]
    mimes = [to_mime(m) for m in messages]
    started = time.perf_counter()
    async with transport.session() as session:
        for message, mime in zip(messages, mimes, strict=True):
            result = await session.send(mime, sender=message.sender, recipients=envelope_recipients(message))
            assert result.accepted == ["jean@acme.test", "archive@example.test"]
            assert result.refused == {}
            assert result.server_reply.startswith("250")
    elapsed = time.perf_counter() - started
    assert elapsed < 5, elapsed
    assert len(server.messages) == 20
    assert server.connections == 1
    for message, mime, received in zip(messages, mimes, server.messages, strict=True):
        assert received.data == mime
        assert received.mail_from == "billing@example.test"
        assert received.recipients == ["jean@acme.test", "archive@example.test"]
        assert received.message["Bcc"] is None
        assert str(received.message["Subject"]) == message.subject
        [attachment] = list(received.message.iter_attachments())
        assert attachment.get_content() == message.attachments[0].content


async def test_wrong_password_fails_authentication_quickly(server: SmtpTestServer) -> None:
    transport = SmtpTransport(server.account(), "wrong")
    started = time.perf_counter()
    async with transport.session() as session:
        with pytest.raises(AuthenticationFailed) as caught:
            await send(session, outgoing())
    assert time.perf_counter() - started < 2
    assert caught.value.code == 535
    assert caught.value.transport == "test-smtp"
    assert server.failed_logins >= 1
    assert server.messages == []


async def test_a_certificate_from_an_untrusted_ca_is_refused(server: SmtpTestServer, tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    transport = SmtpTransport(server.account(ca_file=str(other_ca)), PASSWORD)
    async with transport.session() as session:
        with pytest.raises(AuthenticationFailed, match="certificate verify failed"):
            await send(session, outgoing())
    assert server.messages == [] and server.failed_logins == 0


async def test_the_system_trust_store_honours_ssl_cert_file(
    server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_pem))
    async with SmtpTransport(server.account(ca_file=""), PASSWORD).session() as session:
        await send(session, outgoing())
    assert len(server.messages) == 1


async def test_one_refused_recipient_out_of_two_is_a_success(server: SmtpTestServer) -> None:
    server.faults.refuse = {"nobody@acme.test": 550}
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        result = await send(session, outgoing(to=("jean@acme.test", "nobody@acme.test")))
    assert result.accepted == ["jean@acme.test"]
    assert result.refused == {"nobody@acme.test": "550 5.1.1 No such user here"}
    assert [m.recipients for m in server.messages] == [["jean@acme.test"]]


async def test_every_recipient_refused_is_permanent_and_the_session_goes_on(server: SmtpTestServer) -> None:
    server.faults.refuse = {"nobody@acme.test": 550, "gone@acme.test": 551}
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        with pytest.raises(PermanentFailure) as caught:
            await send(session, outgoing(to=("nobody@acme.test", "gone@acme.test")))
        assert caught.value.code == 550
        assert "nobody@acme.test" in caught.value.recipient and "No such user" in str(caught.value)
        await send(session, outgoing(2))
    assert [m.recipients for m in server.messages] == [["jean@acme.test"]]
    assert server.connections == 1


async def test_a_4xx_refusal_is_temporary(server: SmtpTestServer) -> None:
    server.faults.refuse = {"jean@acme.test": 450}
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        with pytest.raises(TemporaryFailure) as caught:
            await send(session, outgoing())
    assert caught.value.code == 450
    assert server.messages == []


async def test_a_421_mid_session_makes_the_next_send_reconnect(server: SmtpTestServer) -> None:
    server.faults.close_after = 3
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        for number in range(1, 8):
            await send(session, outgoing(number))
    assert len(server.messages) == 7
    assert server.connections == 3  # 3 + 3 + 1 messages


async def test_a_server_hanging_up_between_messages_is_reconnected_to(server: SmtpTestServer) -> None:
    server.faults.hang_up_after_reply = True
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        for number in range(1, 6):
            await send(session, outgoing(number))
    assert len(server.messages) == 5
    assert server.connections == 5


async def test_a_421_on_a_fresh_connection_is_temporary(server: SmtpTestServer) -> None:
    server.faults.close_after = 0
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        with pytest.raises(TemporaryFailure) as caught:
            await send(session, outgoing())
    assert caught.value.code == 421
    assert server.messages == []


async def test_a_drop_after_the_data_is_uncertain_and_the_next_send_reconnects(server: SmtpTestServer) -> None:
    server.faults.drop_after_data = True
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        with pytest.raises(DeliveryUncertain):
            await send(session, outgoing(1))
        server.faults.drop_after_data = False
        result = await send(session, outgoing(2))
    assert result.accepted == ["jean@acme.test"]
    assert len(server.messages) == 2  # the first one did arrive: that is why it is "uncertain", not "failed"
    assert server.connections == 2


async def test_no_reply_to_the_data_in_time_is_uncertain(server: SmtpTestServer) -> None:
    server.faults.stall_seconds = 3
    started = time.perf_counter()
    async with SmtpTransport(server.account(timeout_seconds=0.5), PASSWORD).session() as session:
        with pytest.raises(DeliveryUncertain, match="no reply came in time"):
            await send(session, outgoing())
    assert time.perf_counter() - started < 2.5


async def test_delivery_status_notifications_are_asked_when_offered() -> None:
    with smtp_server(password=PASSWORD, dsn=True) as dsn_server:
        async with SmtpTransport(dsn_server.account(), PASSWORD).session() as session:
            await send(session, outgoing(1), dsn=True)
            await send(session, outgoing(2), dsn=False)
        asked, plain = dsn_server.messages
        assert "RET=HDRS" in asked.mail_options
        assert asked.rcpt_options == ["NOTIFY=SUCCESS,FAILURE"]
        assert "RET=HDRS" not in plain.mail_options and plain.rcpt_options == []


async def test_dsn_is_not_asked_of_a_server_that_does_not_offer_it(server: SmtpTestServer) -> None:
    async with SmtpTransport(server.account(), PASSWORD).session() as session:
        await send(session, outgoing(), dsn=True)  # aiosmtpd would answer 555 to an unknown parameter
    assert server.messages[0].rcpt_options == []


async def test_implicit_tls() -> None:
    with smtp_server(tls="implicit", password=PASSWORD) as tls_server:
        account = tls_server.account()
        assert account.security is SmtpSecurity.tls
        async with SmtpTransport(account, PASSWORD).session() as session:
            await send(session, outgoing())
        assert len(tls_server.messages) == 1


async def test_plain_smtp_is_allowed_on_loopback_only() -> None:
    with smtp_server(tls="none") as plain_server:
        async with SmtpTransport(plain_server.account(), None).session() as session:
            await send(session, outgoing())
        assert len(plain_server.messages) == 1
        with pytest.raises(ConfigurationError, match="unencrypted"):
            SmtpTransport(plain_server.account(host="smtp.example.com"), None)


async def test_starttls_is_never_skipped_when_the_server_does_not_offer_it() -> None:
    with smtp_server(tls="none") as plain_server:
        account = plain_server.account(security=SmtpSecurity.starttls)
        async with SmtpTransport(account, None).session() as session:
            with pytest.raises(AuthenticationFailed, match="STARTTLS"):
                await send(session, outgoing())
        assert plain_server.messages == []


async def test_nobody_listening_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    account = Account(name="closed", kind=AccountKind.smtp, host="127.0.0.1", port=port, security=SmtpSecurity.none)
    async with SmtpTransport(account, None).session() as session:
        with pytest.raises(TemporaryFailure, match="cannot reach"):
            await send(session, outgoing())


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("smtp.example.com", False),
        ("192.168.1.10", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_accounts_that_cannot_work_are_refused_when_built(server: SmtpTestServer, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no SMTP server"):
        SmtpTransport(server.account(host=""), PASSWORD)
    with pytest.raises(ConfigurationError, match="unencrypted"):
        check_security(server.account(host="10.0.0.5", security=SmtpSecurity.none))
    check_security(server.account(host="::1", security=SmtpSecurity.none))
    with pytest.raises(ConfigurationError, match="no password"):
        SmtpTransport(server.account(), None)
    with pytest.raises(ConfigurationError, match="does not exist"):
        SmtpTransport(server.account(ca_file=str(tmp_path / "missing.pem")), PASSWORD)
