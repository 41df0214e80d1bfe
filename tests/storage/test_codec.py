"""Every record survives a trip through JSON unchanged, money to the last digit written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import orjson

from batchmail.domain.company import IssuingCompany, SenderAddress, User
from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Piece, PieceType, Side, Status
from batchmail.sending.accounts import Account, AccountKind, SmtpSecurity
from batchmail.sending.history import SendRecord
from batchmail.sending.outbox import OutboxState
from storage import codec, mail_codec
from tests.storage.conftest import make_entry, make_piece


def through_json(doc: dict) -> dict:
    return orjson.loads(orjson.dumps(doc))


def test_piece_round_trip_keeps_decimals_exact() -> None:
    piece = make_piece(notes="Payé à réception")
    piece.id, piece.number, piece.origin_ids, piece.reminder_level = 7, "FA-2026-00007", [3, 5], 2
    piece.derived_ids, piece.last_reminder = [9], date(2026, 4, 1)
    piece.lines.append(Line(description="Commande CO-2026-00003", heading=True))
    piece.last_sent = date(2026, 3, 15)
    piece.linked_files = ["bon.pdf"]
    piece.annotations = "client lent"
    doc = through_json(codec.encode_piece(piece))
    assert doc["payments"][0]["amount"] == "0.10"
    assert doc["lines"][1]["unit_price"] == "35.10"
    back = codec.decode_piece(doc)
    assert back == piece
    assert str(back.payments[0].amount) == "0.10"
    assert [str(line.quantity) for line in back.lines] == ["1", "0.5", "0.00"]
    assert "heading" not in doc["lines"][0] and doc["lines"][2]["heading"] is True


def test_piece_with_empty_optionals_and_odd_decimals() -> None:
    piece = Piece(
        type=PieceType.supplier_credit_note,
        date=date(2024, 2, 29),
        contact_id=3,
        status=Status.cancelled,
        lines=[Line(description="x", quantity=Decimal("1E+2"), unit_price=Decimal("-0.000"), vat_rate=Decimal("5.5"))],
    )
    back = codec.decode_piece(through_json(codec.encode_piece(piece)))
    assert back == piece
    assert str(back.lines[0].quantity) == "1E+2"
    assert str(back.lines[0].unit_price) == "-0.000"
    assert back.due_date is None and back.last_sent is None and back.origin_ids == [] and back.last_reminder is None


def test_contact_company_user_round_trips() -> None:
    contact = Contact(
        id=4,
        kind=Side.supplier,
        company="Boulangerie Dupont",
        name="Éric Dupont",
        emails=["eric@example.org", "compta@example.org"],
        language=Language.nl,
        send_by_email=False,
        address="1 rue Haute\n1000 Bruxelles",
        vat_number="BE0123456789",
        phone="+32 2 000 00 00",
    )
    assert codec.decode_contact(through_json(codec.encode_contact(contact))) == contact
    company = IssuingCompany(name="Chauffage Martin", siren="812345678", late_penalty_rate=Decimal("12.150"))
    back = codec.decode_company(through_json(codec.encode_company(company)))
    assert back == company and str(back.late_penalty_rate) == "12.150"
    user = User(id=2, name="Léa", addresses=[SenderAddress(email="lea@example.org", display_name="Léa M.")])
    assert codec.decode_user(through_json(codec.encode_user(user))) == user


def test_account_round_trip() -> None:
    account = Account(
        name="ovh",
        kind=AccountKind.smtp,
        host="ssl0.ovh.net",
        port=465,
        security=SmtpSecurity.tls,
        username="shop@example.org",
        from_address="shop@example.org",
        ca_file="/etc/ca.pem",
        timeout_seconds=30.5,
    )
    assert mail_codec.decode_account(through_json(mail_codec.encode_account(account))) == account


def test_outbox_entry_and_send_record_round_trips() -> None:
    entry = make_entry()
    entry.id, entry.state, entry.attempts, entry.last_code = 9, OutboxState.retry_waiting, 2, 421
    entry.next_try = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    entry.sent_at = datetime(2026, 3, 14, 9, 31, 12, 345678)
    assert mail_codec.decode_outbox_entry(through_json(mail_codec.encode_outbox_entry(entry))) == entry
    record = SendRecord(
        id=1,
        contact_id=4,
        piece_ids=[1, 2],
        kind="reminder",
        message_id="<x@y>",
        subject="Relance",
        recipients=["a@example.org"],
        attachments=["FA-2026-00001.pdf"],
        account="ovh",
        sent_at=datetime(2026, 3, 14, 9, 31, tzinfo=UTC),
    )
    assert mail_codec.decode_send_record(through_json(mail_codec.encode_send_record(record))) == record


def test_a_company_written_before_branding_existed_reads_with_the_defaults() -> None:
    doc = codec.encode_company(IssuingCompany(name="Ancienne"))
    del doc["accent_color"], doc["footer_text"]
    company = codec.decode_company(through_json(doc))
    assert (company.accent_color, company.footer_text) == ("#1f4e79", "")
