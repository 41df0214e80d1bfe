"""The Brevo transport against a local Brevo: the payload read back from the MIME, errors as failure kinds, the
idempotency key that keeps a retry from sending twice, and delivery events polled and mapped."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.header import decode_header, make_header

import pytest

from batchmail.errors import (
    AuthenticationFailed,
    DeliveryUncertain,
    PermanentFailure,
    SendFailure,
    TemporaryFailure,
    UnsupportedFeature,
)
from batchmail.sending.accounts import Account
from batchmail.sending.delivery_events import DeliveryEventKind, provider_message_id
from batchmail.sending.message import Attachment, OutgoingMessage, envelope_recipients, to_mime
from batchmail.sending.transports import brevo
from batchmail.sending.transports.base import SendResult
from batchmail.sending.transports.brevo import BrevoTransport
from batchmail.sending.transports.brevo_payload import brevo_payload
from tests.servers.brevo import API_KEY, SEND_PATH, BrevoServer, brevo_server
from tests.servers.httpd import DROP, LOSE_REPLY, Reply

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


@pytest.fixture
def server() -> Iterator[BrevoServer]:
    with brevo_server() as running:
        yield running


def invoice(number: int = 1, **changes: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "sender": "factures@atelier-martin.test",
        "sender_name": "Atelier Martin",
        "to": ("jean@acme.test",),
        "subject": f"Facture FA-2026-{number:05d}",
        "text_body": f"Bonjour,\nveuillez trouver la facture {number}.\n",
        "html_body": f"<p>Veuillez trouver la facture {number}.</p>",
        "attachments": (Attachment(filename=f"FA-2026-{number:05d}.pdf", content=PDF, mime_type="application/pdf"),),
    }
    values.update(changes)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


async def send_all(account: Account, *messages: OutgoingMessage, key: str = API_KEY) -> list[SendResult]:
    async with BrevoTransport(account, key).session() as session:
        return [await session.send(to_mime(m), sender=m.sender, recipients=envelope_recipients(m)) for m in messages]


async def test_the_payload_carries_everything_the_message_holds(server: BrevoServer) -> None:
    message = invoice(
        to=("jean@acme.test",),
        cc=("compta@acme.test",),
        bcc=("archives@atelier.test",),
        reply_to="contact@atelier-martin.test",
        attachments=(
            Attachment(filename="FA-2026-00001.pdf", content=PDF),
            Attachment(filename="annexes.zip", content=b"PK\x03\x04" + bytes(300)),
        ),
        read_receipt=True,
        high_priority=True,
    )
    [result] = await send_all(server.account(), message)
    [accepted] = server.accepted
    payload = accepted.payload
    assert payload["sender"] == {"email": "factures@atelier-martin.test", "name": "Atelier Martin"}
    assert payload["to"] == [{"email": "jean@acme.test"}]
    assert payload["cc"] == [{"email": "compta@acme.test"}]
    assert payload["bcc"] == [{"email": "archives@atelier.test"}]
    assert payload["replyTo"] == {"email": "contact@atelier-martin.test"}
    assert payload["subject"] == "Facture FA-2026-00001"
    assert payload["textContent"] == message.text_body
    assert payload["htmlContent"].strip() == message.html_body
    assert [(a["name"], base64.b64decode(a["content"])) for a in payload["attachment"]] == [
        (a.filename, a.content) for a in message.attachments
    ]
    headers = payload["headers"]
    assert headers["Disposition-Notification-To"] == "factures@atelier-martin.test"
    assert (headers["X-Priority"], headers["Importance"]) == ("1", "high")
    assert uuid.UUID(headers["idempotencyKey"]).version == 5, "Brevo wants a UUID; one per Message-ID"
    assert not {"Message-ID", "Date", "From", "Subject"} & set(headers)
    assert payload["tags"] == ["batchmail"]
    assert result.accepted == envelope_recipients(message)
    assert provider_message_id(result.server_reply) == accepted.message_id


async def test_a_text_only_message_gets_its_text_as_html_and_a_tricky_name_is_encoded(server: BrevoServer) -> None:
    await send_all(server.account(), invoice(html_body="", sender_name="Société Martin, Fils & Cie"))
    payload = server.accepted[0].payload
    assert payload["htmlContent"].startswith("<pre") and "veuillez trouver la facture 1." in payload["htmlContent"]
    assert payload["sender"]["name"].startswith("=?utf-8?")
    assert str(make_header(decode_header(payload["sender"]["name"]))) == "Société Martin, Fils & Cie"


async def test_a_retry_after_an_uncertain_send_is_not_sent_twice(server: BrevoServer) -> None:
    message = invoice()
    mime = to_mime(message)
    server.fail_next(SEND_PATH, LOSE_REPLY)  # Brevo takes the message, the reply is lost
    async with BrevoTransport(server.account(), API_KEY).session() as session:
        with pytest.raises(DeliveryUncertain):
            await session.send(mime, sender=message.sender, recipients=list(message.to))
        result = await session.send(mime, sender=message.sender, recipients=list(message.to))
    assert len(server.accepted) == 1 and server.duplicates == 1
    assert provider_message_id(result.server_reply) == server.accepted[0].message_id


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (
            Reply(status=400, body={"code": "invalid_parameter", "message": "email is not valid in to"}),
            PermanentFailure,
        ),
        (Reply(status=402, body={"code": "not_enough_credits", "message": "Not enough credits"}), AuthenticationFailed),
        (Reply(status=429, body={"code": "too_many_requests", "message": "Slow down"}), TemporaryFailure),
        (Reply(status=500, body={"code": "internal_error", "message": "Oops"}), TemporaryFailure),
        (DROP, DeliveryUncertain),  # the body went out, no reply came: the client cannot know more
    ],
)
async def test_brevo_errors_become_failure_kinds(server: BrevoServer, reply: Reply, kind: type[SendFailure]) -> None:
    server.fail_next(SEND_PATH, reply)
    with pytest.raises(kind) as raised:
        await send_all(server.account(), invoice())
    assert type(raised.value) is kind
    if reply.body:
        assert reply.body["message"] in str(raised.value) and raised.value.code == reply.status
        assert raised.value.server_text == reply.body["message"]  # the server's own words, as a field
    assert server.accepted == []


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [("600", timedelta(minutes=10)), ("Wed, 21 Oct 2099 07:28:00 GMT", None), ("soon", None), ("", None)],
)
async def test_the_delay_brevo_asks_for_is_a_field_of_the_failure(
    server: BrevoServer, retry_after: str, delay: timedelta | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    server.fail_next(
        SEND_PATH, Reply(status=429, body={"code": "too_many_requests", "message": "Slow"}, headers=headers)
    )
    with pytest.raises(TemporaryFailure) as raised:
        await send_all(server.account(), invoice())
    if retry_after.startswith("Wed"):  # an HTTP date: the time left until then
        assert raised.value.retry_after is not None and raised.value.retry_after > timedelta(days=365)
    else:
        assert raised.value.retry_after == delay
    assert ("asks to wait" in str(raised.value)) == (raised.value.retry_after is not None)


async def test_a_wrong_api_key_fails_authentication(server: BrevoServer) -> None:
    with pytest.raises(AuthenticationFailed, match="Key not found"):
        await send_all(server.account(), invoice(), key="xkeysib-wrong")


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"attachments": (Attachment(filename="setup.exe", content=b"MZ"),)}, "type 'exe'"),
        ({"to": (), "bcc": ("jean@acme.test",)}, "at least one To"),
    ],
)
async def test_what_brevo_cannot_carry_is_refused_before_posting(
    server: BrevoServer, changes: dict[str, object], refusal: str
) -> None:
    with pytest.raises(UnsupportedFeature, match=refusal) as raised:
        await send_all(server.account(), invoice(**changes))
    assert isinstance(raised.value, PermanentFailure) and raised.value.transport == server.account().name
    assert server.requests == []


def test_several_reply_to_and_non_ascii_headers_are_refused() -> None:
    mime = to_mime(invoice())
    two_replies = mime.replace(b"Subject:", b"Reply-To: a@x.test, b@x.test\r\nSubject:", 1)
    with pytest.raises(UnsupportedFeature, match="one Reply-To"):
        brevo_payload(two_replies, ["jean@acme.test"])
    accented = mime.replace(b"Subject:", "X-Note: reçu\r\nSubject:".encode(), 1)
    with pytest.raises(UnsupportedFeature, match="X-Note"):
        brevo_payload(accented, ["jean@acme.test"])


async def test_delivery_events_are_polled_page_by_page_and_mapped(
    server: BrevoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(brevo, "EVENTS_PAGE", 3)
    first, second = await send_all(server.account(), invoice(1), invoice(2, to=("bad@nowhere.test",)))
    one, two = provider_message_id(first.server_reply), provider_message_id(second.server_reply)
    later = datetime.now().astimezone() + timedelta(minutes=1)
    server.add_event(one, "jean@acme.test", "delivered", at=later)
    server.add_event(one, "jean@acme.test", "opened", at=later + timedelta(minutes=5))
    server.add_event(one, "jean@acme.test", "loadedByProxy", at=later + timedelta(minutes=6))
    server.add_event(two, "bad@nowhere.test", "hardBounces", at=later, reason="550 5.1.1 no such user")
    server.add_event(two, "bad@nowhere.test", "someNewEvent", at=later + timedelta(minutes=7))
    events = await BrevoTransport(server.account(), API_KEY).poll_events(date.today() - timedelta(days=1), date.today())
    assert len(server.on("/v3/smtp/statistics/events")) == 3
    seen = [(e.provider_message_id, e.recipient, e.kind, e.reason) for e in events]
    assert seen == [
        (one, "jean@acme.test", DeliveryEventKind.accepted, ""),
        (two, "bad@nowhere.test", DeliveryEventKind.accepted, ""),
        (one, "jean@acme.test", DeliveryEventKind.delivered, ""),
        (two, "bad@nowhere.test", DeliveryEventKind.hard_bounce, "550 5.1.1 no such user"),
        (one, "jean@acme.test", DeliveryEventKind.opened, ""),
        (one, "jean@acme.test", DeliveryEventKind.opened_by_proxy, ""),
        (two, "bad@nowhere.test", DeliveryEventKind.other, "someNewEvent"),
    ]
    assert all(e.at.tzinfo is not None for e in events)


def test_every_event_brevo_documents_has_a_name_of_ours() -> None:
    documented = "bounces hardBounces softBounces delivered spam requests opened clicks invalid deferred blocked"
    documented += " unsubscribed error loadedByProxy"
    assert set(documented.split()) == set(brevo.EVENT_KINDS)
    assert DeliveryEventKind.other not in brevo.EVENT_KINDS.values()
