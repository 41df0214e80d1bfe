from __future__ import annotations

import email
import re
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from batchmail.errors import ConfigurationError, TemporaryFailure, UnsupportedFeature
from batchmail.sending import accounts
from batchmail.sending.accounts import Account, AccountKind, SmtpSecurity
from batchmail.sending.message import Attachment, OutgoingMessage, envelope_recipients, to_mime
from batchmail.sending.transports import TransportContext, make_transport
from batchmail.sending.transports.mailbox import MailboxTransport, eml_name
from batchmail.sending.transports.smtp import SmtpTransport

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8


def outgoing(number: int) -> OutgoingMessage:
    return OutgoingMessage(
        sender="facturation@atelier-martin.fr",
        sender_name="Atelier Martin",
        to=("jean@acme.fr",),
        bcc=("archive@atelier-martin.fr",),
        subject=f"Facture FA-2026-{number:05d} – été",
        text_body=f"Bonjour,\nvoici la facture {number}.\n",
        attachments=(Attachment(filename=f"FA-2026-{number:05d}.pdf", content=PDF, mime_type="application/pdf"),),
    )


async def test_each_message_becomes_an_eml_file_that_parses_back(tmp_path: Path) -> None:
    folder = tmp_path / "mailbox" / "not-yet-created"
    transport = make_transport(accounts.mailbox_account(), TransportContext(secret=None, mailbox_dir=folder))
    assert isinstance(transport, MailboxTransport)
    messages = [outgoing(n) for n in (1, 2, 3)]
    async with transport.session() as session:
        for message in messages:
            result = await session.send(
                to_mime(message), sender=message.sender, recipients=envelope_recipients(message)
            )
            assert result.accepted == ["jean@acme.fr", "archive@atelier-martin.fr"]
            assert result.refused == {}
            assert result.server_reply.startswith("written to ")
    files = sorted(folder.iterdir())
    assert len(files) == 3
    assert all(re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z-[A-Za-z0-9._-]+\.eml", f.name) for f in files)
    by_subject: dict[str, EmailMessage] = {}
    for file in files:
        parsed = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        by_subject[str(parsed["Subject"])] = parsed  # type: ignore[assignment]
    for message in messages:
        parsed = by_subject[message.subject]
        assert str(parsed["Message-ID"]) == message.message_id
        assert str(parsed["Return-Path"]) == "<facturation@atelier-martin.fr>"
        assert str(parsed["X-BatchMail-Envelope-To"]) == "jean@acme.fr, archive@atelier-martin.fr"
        assert parsed["Bcc"] is None
        [attachment] = list(parsed.iter_attachments())
        assert attachment.get_content() == PDF
        assert attachment.get_filename() == message.attachments[0].filename


def test_file_names_are_safe_whatever_the_message_id() -> None:
    mime = b"Message-ID: <../../etc/passwd\\x@evil/host>\r\nSubject: x\r\n\r\nbody\r\n"
    name = eml_name(mime, datetime(2026, 11, 23, 10, 15, 0, 123456, tzinfo=UTC))
    assert name == "20261123T101500.123456Z-etc_passwd_x_evil_host.eml"
    assert eml_name(b"Subject: x\r\n\r\n", datetime(2026, 1, 2, tzinfo=UTC)).endswith("-no-message-id.eml")


async def test_a_folder_that_cannot_be_written_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    transport = MailboxTransport(blocker / "mailbox")
    async with transport.session() as session:
        with pytest.raises(TemporaryFailure, match="test mailbox"):
            await session.send(to_mime(outgoing(1)), sender="a@b.fr", recipients=["c@d.fr"])


def test_the_registry_picks_the_transport_by_account_kind(tmp_path: Path) -> None:
    smtp = Account(name="ovh", kind=AccountKind.smtp, host="ssl0.ovh.net", username="me@x.fr")
    assert isinstance(make_transport(smtp, TransportContext(secret="pw", mailbox_dir=tmp_path)), SmtpTransport)
    plain = Account(name="plain", kind=AccountKind.smtp, host="mail.example.com", security=SmtpSecurity.none)
    with pytest.raises(ConfigurationError):
        make_transport(plain, TransportContext(secret=None, mailbox_dir=tmp_path))


@pytest.mark.parametrize("kind", list(AccountKind))
def test_every_kind_of_account_has_a_transport_of_the_same_shape(kind: AccountKind, tmp_path: Path) -> None:
    accounts_of_kind = {
        AccountKind.mailbox: accounts.mailbox_account(),
        AccountKind.smtp: Account(name="o", kind=kind, host="smtp.example.fr"),
        AccountKind.gmail: Account(name="g", kind=kind, client_id="id.apps.googleusercontent.com"),
        AccountKind.brevo: Account(name="b", kind=kind, from_address="factures@example.fr"),
    }
    secrets = {AccountKind.gmail: '{"client_secret": "s", "refresh_token": "r"}', AccountKind.brevo: "xkeysib-1"}
    transport = make_transport(accounts_of_kind[kind], TransportContext(secret=secrets.get(kind), mailbox_dir=tmp_path))
    assert {"session", "check", "poll_events"} <= set(dir(transport)) and transport.name


async def test_a_way_out_whose_provider_reports_nothing_refuses_to_poll_by_name(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFeature, match="reports no delivery events"):
        await MailboxTransport(tmp_path).poll_events(date(2026, 11, 1), date(2026, 11, 24))
    assert "none leaves" in await MailboxTransport(tmp_path).check()
