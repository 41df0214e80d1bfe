from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from batchmail.errors import InvalidAddress, InvalidInput
from batchmail.sending.message import (
    Attachment,
    OutgoingMessage,
    content_hash,
    envelope_recipients,
    make_message_id,
    to_mime,
)

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


def pdf(filename: str, content: bytes) -> Attachment:
    return Attachment(filename=filename, content=content, mime_type="application/pdf")


def message(**changes: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "sender": "facturation@atelier-martin.fr",
        "sender_name": "Atelier Martin",
        "to": ("jean.dupont@acme.fr",),
        "cc": ("compta@acme.fr",),
        "bcc": ("archive@atelier-martin.fr",),
        "reply_to": "contact@atelier-martin.fr",
        "subject": "Facture FA-2026-00042",
        "text_body": "Bonjour,\nVeuillez trouver ci-joint notre facture.\n",
        "html_body": "<p>Bonjour,<br>Veuillez trouver ci-joint notre facture.</p>",
        "attachments": (pdf("FA-2026-00042.pdf", PDF),),
    }
    values.update(changes)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def parse(mime: bytes) -> EmailMessage:
    return email.message_from_bytes(mime, policy=policy.default)  # type: ignore[return-value]


def body(parsed: EmailMessage, kind: str) -> str:
    """A text part's content with the wire's CRLF line ends turned back into newlines."""
    part = parsed.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def header_block(mime: bytes) -> str:
    return mime.split(b"\r\n\r\n", 1)[0].decode("ascii")


def test_headers_and_parts_round_trip() -> None:
    msg = message()
    parsed = parse(to_mime(msg, date=datetime(2026, 11, 23, 9, 30, tzinfo=UTC)))
    assert str(parsed["From"]) == "Atelier Martin <facturation@atelier-martin.fr>"
    assert str(parsed["To"]) == "jean.dupont@acme.fr"
    assert str(parsed["Cc"]) == "compta@acme.fr"
    assert str(parsed["Reply-To"]) == "contact@atelier-martin.fr"
    assert str(parsed["Subject"]) == "Facture FA-2026-00042"
    assert str(parsed["Message-ID"]) == msg.message_id
    assert str(parsed["Date"]) == "Mon, 23 Nov 2026 09:30:00 +0000"
    assert parsed.get_content_type() == "multipart/mixed"
    assert body(parsed, "plain") == msg.text_body
    assert body(parsed, "html").strip() == msg.html_body
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "FA-2026-00042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_bcc_is_in_the_envelope_only() -> None:
    msg = message(to=("a@acme.fr", "b@acme.fr"), cc=("A@acme.fr",), bcc=("archive@atelier-martin.fr",))
    mime = to_mime(msg)
    assert "archive@atelier-martin.fr" not in mime.decode("ascii")
    assert parse(mime)["Bcc"] is None
    assert envelope_recipients(msg) == ["a@acme.fr", "b@acme.fr", "archive@atelier-martin.fr"]


@pytest.mark.parametrize("injection", ["\r\nBcc: victim@evil.test", "\nX-Injected: yes", "\rX-Injected: yes"])
def test_line_breaks_in_subject_or_name_never_reach_the_headers(injection: str) -> None:
    msg = message(subject=f"Facture{injection}", sender_name=f"Atelier{injection}")
    mime = to_mime(msg)
    headers = header_block(mime)
    assert not re.search(r"^(Bcc|X-Injected):", headers, re.MULTILINE | re.IGNORECASE)
    parsed = parse(mime)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert "\n" not in str(parsed["Subject"]) and str(parsed["Subject"]).startswith("Facture ")
    assert parsed["From"].addresses[0].addr_spec == "facturation@atelier-martin.fr"


@pytest.mark.parametrize("field", ["sender", "to", "cc", "bcc", "reply_to"])
def test_an_address_with_a_line_break_is_refused(field: str) -> None:
    bad = "jean@acme.fr\r\nBcc: victim@evil.test"
    msg = message(**{field: (bad,) if field in ("to", "cc", "bcc") else bad})
    with pytest.raises(InvalidAddress):
        to_mime(msg)


@pytest.mark.parametrize("bad", ["jean.acme.fr", "jean@", "@acme.fr", "jean dupont@acme.fr", "a@b.fr, c@d.fr"])
def test_an_unusable_address_is_refused(bad: str) -> None:
    with pytest.raises(InvalidAddress):
        to_mime(message(to=(bad,)))


def test_non_ascii_names_and_subjects_are_encoded() -> None:
    msg = message(
        sender_name="Société Énergie Étoilée",
        subject="Facture n° 42 – été",
        attachments=(Attachment(filename="Relevé été.pdf", content=PDF, mime_type="application/pdf"),),
        text_body="Échéance dépassée : 1 200,00 €\n",
    )
    mime = to_mime(msg)
    mime.decode("ascii")  # every byte is 7-bit: no server needs SMTPUTF8 or 8BITMIME
    assert "=?utf-8?" in header_block(mime)
    parsed = parse(mime)
    assert parsed["From"].addresses[0].display_name == "Société Énergie Étoilée"
    assert str(parsed["Subject"]) == "Facture n° 42 – été"
    assert next(parsed.iter_attachments()).get_filename() == "Relevé été.pdf"
    assert body(parsed, "plain") == "Échéance dépassée : 1 200,00 €\n"


def test_internationalised_domains_are_written_in_ascii() -> None:
    parsed = parse(to_mime(message(to=("jean@société.fr",))))
    assert str(parsed["To"]) == "jean@xn--socit-esab.fr"


def test_receipt_and_priority_headers_only_when_asked() -> None:
    plain = parse(to_mime(message()))
    for name in ("Disposition-Notification-To", "Return-Receipt-To", "X-Priority", "Importance"):
        assert plain[name] is None
    asked = parse(to_mime(message(read_receipt=True, delivery_receipt=True, high_priority=True)))
    assert str(asked["Disposition-Notification-To"]) == "facturation@atelier-martin.fr"
    assert str(asked["Return-Receipt-To"]) == "facturation@atelier-martin.fr"
    assert str(asked["X-Priority"]) == "1"
    assert str(asked["Importance"]) == "high"


def test_message_id_is_made_from_the_sender_domain_and_unique() -> None:
    first, second = message(), message()
    assert re.fullmatch(r"<[^<>@\s]+@atelier-martin\.fr>", first.message_id)
    assert first.message_id != second.message_id
    assert make_message_id("exemple.be").endswith("@exemple.be>")


def test_content_hash_ignores_message_id_and_date_but_not_content() -> None:
    first = message()
    again = message()
    assert first.message_id != again.message_id
    assert to_mime(first) != to_mime(again)
    assert content_hash(first) == content_hash(again)
    changed = [
        message(subject="Facture FA-2026-00043"),
        message(text_body="Autre texte\n"),
        message(bcc=()),
        message(to=("autre@acme.fr",)),
        message(
            attachments=(Attachment(filename="FA-2026-00042.pdf", content=PDF + b"x", mime_type="application/pdf"),)
        ),
        message(attachments=(Attachment(filename="autre.pdf", content=PDF, mime_type="application/pdf"),)),
    ]
    hashes = {content_hash(m) for m in changed}
    assert len(hashes) == len(changed) and content_hash(first) not in hashes


def test_attachment_type_is_guessed_from_the_file_name_when_not_given() -> None:
    msg = message(
        attachments=(
            Attachment(filename="FA-2026-00042.pdf", content=PDF),
            Attachment(filename="releve.zip", content=b"PK\x03\x04"),
            Attachment(filename="notes.unknown-kind", content=b"x"),
        )
    )
    types = [part.get_content_type() for part in parse(to_mime(msg)).iter_attachments()]
    assert types == ["application/pdf", "application/zip", "application/octet-stream"]


TRICKY_MESSAGES = [
    message(),
    message(sender_name='Jean "JD" Dupont (Atelier), Paris', reply_to="", cc=(), html_body=""),
    message(sender_name="x\\y; a=b", subject="Re:  double  spaces, (parenthèses) \"guillemets\" 'a' <b> [c]"),
    message(subject="A" * 70, sender_name="B" * 60, attachments=()),
    message(to=tuple(f"client{n}.adresse.longue@example-societe.fr" for n in range(5))),
    message(read_receipt=True, delivery_receipt=True, high_priority=True, bcc=()),
    message(
        attachments=(
            Attachment(filename='we"ird\\name;x=1.txt', content=b"hello", mime_type="text/plain"),
            Attachment(filename="Factures_Rhone_Maintenance_2026-11-24_avec_un_nom_tres_long.zip", content=b"PK"),
            Attachment(filename="Relevé été.pdf", content=PDF),
        )
    ),
]


@pytest.mark.parametrize("msg", TRICKY_MESSAGES)
def test_headers_written_as_given_are_what_the_default_policy_writes(msg: OutgoingMessage) -> None:
    """to_mime keeps plain header values as given instead of parsing and refolding them: for each such header, in
    every part, the email package's default policy writes the very same line."""
    mime = to_mime(msg, date=datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    subject = policy.SMTP.header_factory("Subject", msg.subject).fold(policy=policy.SMTP)
    assert f"\r\n{subject}" in header_block(mime) + "\r\n"
    checked = 0
    for part in email.message_from_bytes(mime, policy=policy.compat32).walk():  # compat32: the raw values
        for name, value in part.items():
            if "=?" in value or not re.fullmatch(r"[\x20-\x7e]+", value):
                continue  # encoded or folded: written by the default policy itself
            assert policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP) == f"{name}: {value}\r\n"
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize(
    "bad", ["<>", "no-brackets@acme.fr", "<no-at-sign>", "<a@b> <c@d>", "<a@b>\r\nBcc: x@evil.test"]
)
def test_a_malformed_message_id_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="Message-ID"):
        to_mime(message(message_id=bad))


INJECTIONS = [
    "=?utf-8?q?FA-EW=0D=0AReply-To:_attacker@evil.example?=",  # an encoded word decoding to CR/LF
    "=?utf-8?b?RkEKQmNjOiB4QGV2aWwuZXhhbXBsZQ==?=",  # the same in base64: "FA\nBcc: x@evil.example"
    "FA\u2028Bcc: x@evil.example",  # a Unicode line separator
    "FA\u2029Bcc: x@evil.example\x85Reply-To: y@evil.example\x0bX-Evil: 1",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_no_value_of_the_data_can_add_or_split_a_header_line(value: str) -> None:
    msg = message(subject=f"Facture {value}", sender_name=f"Atelier {value}")
    mime = to_mime(msg)
    head = header_block(mime)
    assert not re.search(r"(?im)^(bcc|x-evil):", head)
    assert len(re.findall(r"(?im)^reply-to:", head)) == 1
    parsed = parse(mime)
    assert {name.lower() for name in parsed} <= {
        "from", "to", "cc", "reply-to", "subject", "date", "message-id", "mime-version", "content-type",
    }  # fmt: skip
    assert parsed["Reply-To"] == msg.reply_to  # the message's own, not the attacker's
    for header in ("Subject", "From"):
        assert not re.search(r"[\r\n\x0b\x85\u2028\u2029]", str(parsed[header]))
    if value.startswith("=?"):  # written as the literal text it is: the recipient reads what the data says
        assert value in str(parsed["Subject"]) and value in parsed["From"].addresses[0].display_name
