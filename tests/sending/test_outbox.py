"""The outbox's domain rules: the content hash of a message's bytes, re-addressing, the retry schedule."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

from batchmail.sending.message import Attachment, OutgoingMessage, envelope_recipients, make_message_id, to_mime
from batchmail.sending.outbox import (
    MAX_ATTEMPTS,
    OutboxState,
    duplicate_reason,
    mime_content_hash,
    next_retry,
    readdress,
)
from tests.sendkit import entry_and_mime

MESSAGE = OutgoingMessage(
    sender="factures@atelier-martin.example",
    sender_name="Atelier Martin",
    to=("ana@example.org",),
    bcc=("archive@atelier-martin.example",),
    subject="Facture FA-2026-00042",
    text_body="Bonjour,\nvoici votre facture.\n",
    html_body="<p>Bonjour,</p><p>voici votre facture.</p>",
    attachments=(Attachment(filename="Facture_FA-2026-00042.pdf", content=b"%PDF-1.7 facture 42 %%EOF"),),
)


def hash_of(message: OutgoingMessage, date: datetime | None = None) -> str:
    return mime_content_hash(to_mime(message, date=date), envelope_recipients(message))


def test_the_same_content_hashes_alike_whatever_its_message_id_date_and_boundaries() -> None:
    again = replace(MESSAGE, message_id=make_message_id("atelier-martin.example"))
    first, second = to_mime(MESSAGE), to_mime(again, date=datetime(2030, 1, 1).astimezone())
    assert first != second
    assert hash_of(MESSAGE) == hash_of(again, datetime(2030, 1, 1).astimezone())


def test_any_change_a_recipient_would_see_changes_the_hash() -> None:
    changes = [
        replace(MESSAGE, subject="Facture FA-2026-00043"),
        replace(MESSAGE, text_body="Bonjour,\nvoici votre avoir.\n"),
        replace(MESSAGE, html_body="<p>Bonsoir</p>"),
        replace(MESSAGE, to=("bo@example.org",)),
        replace(MESSAGE, bcc=()),
        replace(MESSAGE, attachments=(Attachment(filename="Facture_FA-2026-00042.pdf", content=b"%PDF-1.7 43"),)),
        replace(MESSAGE, attachments=(replace(MESSAGE.attachments[0], filename="Autre.pdf"),)),
        replace(MESSAGE, sender_name="Martin & fils"),
    ]
    hashes = {hash_of(message) for message in changes}
    assert len(hashes) == len(changes) and hash_of(MESSAGE) not in hashes


def test_a_readdressed_message_is_the_message_composed_for_the_new_address() -> None:
    new_id = make_message_id("atelier-martin.example")
    mime, replaced = readdress(to_mime(MESSAGE), "bo@example.org", message_id=new_id, date=datetime.now().astimezone())
    assert replaced == ["ana@example.org"]
    parsed = BytesParser(policy=policy.default).parsebytes(mime)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["bo@example.org"]
    assert parsed["Message-ID"] == new_id and parsed["Bcc"] is None
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content() == MESSAGE.attachments[0].content
    composed = replace(MESSAGE, to=("bo@example.org",))
    assert mime_content_hash(mime, envelope_recipients(composed)) == hash_of(composed)


def test_retries_wait_longer_each_time_then_give_up() -> None:
    now = datetime(2026, 11, 24, 9, 0).astimezone()
    delays = [next_retry(attempts, now) for attempts in range(1, MAX_ATTEMPTS + 1)]
    assert delays[-1] is None
    waits = [moment - now for moment in delays[:-1] if moment is not None]
    assert waits == sorted(waits) and waits[0] == timedelta(minutes=1) and len(set(waits)) == len(waits)


def test_the_reason_a_mail_is_held_back_says_when_and_how_to_send_it_anyway() -> None:
    entry = entry_and_mime(3)[0]
    entry.id, entry.state, entry.sent_at = 12, OutboxState.sent, datetime(2026, 11, 2, 14, 5).astimezone()
    reason = duplicate_reason(entry)
    assert "already sent on 2026-11-02 14:05 to client3@example.com" in reason
    assert "outbox #12" in reason and "--resend" in reason
    entry.state = OutboxState.uncertain
    assert "may already have been sent" in duplicate_reason(entry)
    entry.state = OutboxState.retry_waiting
    assert "already in the queue" in duplicate_reason(entry)


def test_a_retry_waits_at_least_as_long_as_the_server_asked() -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert next_retry(1, now, asked=timedelta(hours=2)) == now + timedelta(hours=2)
    assert next_retry(1, now, asked=timedelta(seconds=5)) == next_retry(1, now) == now + timedelta(minutes=1)
    assert next_retry(MAX_ATTEMPTS, now, asked=timedelta(hours=2)) is None  # the tries are spent all the same


LATER = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)


def test_re_addressing_changes_three_header_lines_and_leaves_the_others_as_written() -> None:
    msg = OutgoingMessage(
        sender="factures@atelier-martin.fr",
        sender_name="=?utf-8?q?Atelier=0D=0ABcc:_x@evil.example?=",
        to=("jean@example.com",),
        subject="Facture =?utf-8?q?FA=0D=0AReply-To:_y@evil.example?=",
        text_body="Bonjour",
        message_id="<old@atelier-martin.fr>",
    )
    mime = to_mime(msg)
    moved, old = readdress(mime, "compta@example.org", message_id="<new@atelier-martin.fr>", date=LATER)
    assert old == ["jean@example.com"]
    before, after = (set(m.split(b"\r\n\r\n")[0].split(b"\r\n")) for m in (mime, moved))
    assert {line.split(b":")[0] for line in before - after} == {b"To", b"Message-ID", b"Date"}
    assert {line.split(b":")[0] for line in after - before} == {b"To", b"Message-ID", b"Date"}
    assert moved.split(b"\r\n\r\n", 1)[1] == mime.split(b"\r\n\r\n", 1)[1]
    head = moved.split(b"\r\n\r\n")[0].decode("ascii")
    assert not re.search(r"(?im)^(bcc|reply-to):", head) and "To: compta@example.org" in head
