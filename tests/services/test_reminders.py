"""Reminders and statements sent to a real SMTP server (STARTTLS + AUTH), over a real store: the mails' text and
attachments read back, a payment recorded after the preview, the levels written on the invoices, no second
reminder the same day (even when the app stopped before writing it), and a level without a template."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.reminders import DunningLevel, DunningSettings, ReminderRequest
from batchmail.errors import InvalidInput
from batchmail.sending.choices import SendChoices
from batchmail.sending.outbox import OutboxState
from batchmail.wiring import App
from storage.stores import Stores
from tests.sendkit import SENDER, add_account, entry_and_mime, services_and_stores
from tests.servers.smtpd import SmtpTestServer

TODAY = date.today()
CHOICES = SendChoices()


def invoice(contact: int, days_overdue: int, price: str, **extra: object) -> Piece:
    due = TODAY - timedelta(days=days_overdue)
    return Piece(
        type=PieceType.invoice,
        date=due - timedelta(days=30),
        due_date=due,
        contact_id=contact,
        status=Status.sent,
        lines=[
            Line(
                description="Contrat d'entretien", quantity=Decimal(1), unit_price=Decimal(price), vat_rate=Decimal(20)
            ),
            Line(description="Déplacement", quantity=Decimal(2), unit_price=Decimal("17.35"), vat_rate=Decimal(10)),
        ],
        **extra,  # type: ignore[arg-type]
    )


def due_of(price: str) -> Decimal:
    """An invoice()'s total incl. tax, computed here: the price at 20 %, 34.70 at 10 %."""
    vat = (Decimal(price) * Decimal("0.2")).quantize(Decimal("0.01"), ROUND_HALF_UP) + Decimal("3.47")
    return Decimal(price) + Decimal("34.70") + vat


@pytest.fixture
async def opened(tmp_path: Path, server: SmtpTestServer, renderer: PdfRenderer) -> AsyncIterator[tuple[App, Stores]]:
    add_account(tmp_path, server)
    app, stores = services_and_stores(tmp_path, renderer)
    stores.company.save(IssuingCompany(name="Atelier Martin", email=SENDER, late_penalty_rate=Decimal("10.5")))
    stores.contacts.add_many(
        [
            Contact(id=1, name="Élodie Marchand", emails=["elodie@example.fr"]),
            Contact(id=2, name="Pieter De Smet", emails=["pieter@example.be"], language=Language.nl),
            Contact(id=3, name="Zoé Martin", emails=[]),
            Contact(id=4, name="Hélène Müller", emails=["helene@example.be"]),
        ]
    )
    stores.pieces.add_many(
        [
            invoice(1, 10, "480.00"),  # FA-...1: level 1
            invoice(1, 45, "129.99", reminder_level=1, last_reminder=TODAY - timedelta(days=20)),  # level 2
            invoice(2, 70, "1000.00", reminder_level=2, last_reminder=TODAY - timedelta(days=30)),  # level 3
            invoice(3, 12, "50.00"),  # no address
            invoice(4, 9, "75.00"),  # to be paid after the preview
            invoice(1, 3, "20.00"),  # 3 days overdue: not yet
        ]
    )
    yield app, stores
    app.close()


def body_of(message: object) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    return re.sub(r"[\u00a0\u202f]", " ", text)


async def test_reminders_arrive_with_the_sums_and_a_payment_after_the_preview_drops_its_invoice(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    request = ReminderRequest(as_of=TODAY)
    preview = await app.reminders.preview(request)
    mails = {m.contact_id: m for m in preview.mails}
    assert {c: (m.level, len(m.numbers)) for c, m in mails.items()} == {1: (2, 2), 2: (3, 1), 3: (1, 1), 4: (1, 1)}
    assert mails[1].total_due == due_of("480.00") + due_of("129.99")
    assert [left.reason for left in preview.left_out] == ["3 day(s) overdue: level 1 comes at 7"]

    [paid] = mails[4].piece_ids
    piece = stores.pieces.get(paid)
    piece.payments.append(Payment(date=TODAY, amount=piece.balance))
    piece.status = piece.status_after_payment()
    stores.pieces.update(piece)

    report = await app.reminders.send(request, CHOICES, seen=preview)

    assert [(d.number, d.reason) for d in report.dropped] == [(piece.number, "paid or no longer due since the preview")]
    assert report.unsent == ["Hélène Müller"]
    skipped = [s for send in report.sends for s in send.skipped]
    assert [s.reason for s in skipped] == ["no email address for this contact"]
    received = {m.recipients[0]: m.message for m in server.messages}
    assert set(received) == {"elodie@example.fr", "pieter@example.be"}

    elodie = received["elodie@example.fr"]
    text = body_of(elodie)
    assert "Deuxième relance" in str(elodie["Subject"])
    total = f"{due_of('480.00') + due_of('129.99'):,.2f}".replace(",", " ").replace(".", ",")
    assert f"Montant total dû : {total} €" in text
    assert "pénalités au taux annuel de 10,5 %" in text and "40,00 €" in text
    for number in mails[1].numbers:
        assert re.search(rf"- Facture {number} du .* – solde : ", text)
    attached = sorted(part.get_filename() for part in elodie.iter_attachments())
    assert len(attached) == 2 and all(name.endswith(".pdf") for name in attached)

    pieter = received["pieter@example.be"]
    assert "Ingebrekestelling" in str(pieter["Subject"])
    names = [part.get_filename() for part in pieter.iter_attachments()]
    assert f"releve-{TODAY.isoformat()}.pdf" in names  # level 3 adds the statement
    statement = next(p for p in pieter.iter_attachments() if p.get_filename().startswith("releve"))
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(statement.get_content())).pages)
    assert mails[2].numbers[0] in pdf_text

    for piece_id in (*mails[1].piece_ids, *mails[2].piece_ids):
        reminded = stores.pieces.get(piece_id)
        assert reminded.last_reminder == TODAY
    assert [stores.pieces.get(i).reminder_level for i in mails[1].piece_ids] == [1, 2]
    assert stores.pieces.get(mails[2].piece_ids[0]).reminder_level == 3
    assert stores.pieces.get(mails[3].piece_ids[0]).reminder_level == 0  # never sent: no address
    history = stores.history.for_contact(1)
    assert [record.kind for record in history] == ["reminder"]

    again = await app.reminders.preview(request)
    assert {m.contact_id for m in again.mails} == {3}
    assert {left.reason for left in again.left_out} >= {"already reminded today"}


async def test_a_reminder_in_the_outbox_counts_even_before_it_is_written_on_the_invoice(
    app: App, stores: Stores
) -> None:
    [first] = [s.id for s in stores.pieces.summaries() if s.contact_id == 4]
    entry, mime = entry_and_mime(4)
    entry.kind, entry.piece_ids, entry.contact_id = "reminder", [first], 4
    entry.state, entry.sent_at = OutboxState.sent, datetime.now().astimezone()
    stores.outbox.add_many([(entry, mime)])  # the mail left; the app stopped before recording it

    preview = await app.reminders.preview(ReminderRequest(as_of=TODAY))

    assert 4 not in {m.contact_id for m in preview.mails}
    assert ("already reminded today", first) in {(left.reason, left.piece_id) for left in preview.left_out}


async def test_a_level_without_a_template_is_named_and_nothing_is_sent(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    levels = (*DunningSettings().levels, DunningLevel(days_overdue=90))
    await app.reminders.save_settings(DunningSettings(levels=levels))
    [pieter] = [s.id for s in stores.pieces.summaries() if s.contact_id == 2]
    piece = stores.pieces.get(pieter)
    piece.reminder_level, piece.due_date = 3, TODAY - timedelta(days=100)
    stores.pieces.update(piece)

    with pytest.raises(InvalidInput, match="reminder level 4 has no message template in nl"):
        await app.reminders.send(ReminderRequest(as_of=TODAY), CHOICES)
    assert server.messages == [] and stores.outbox.in_state(*OutboxState) == []


async def test_statements_go_one_per_contact_with_their_pdf_and_change_no_piece(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    before = {p.id: p for p in stores.pieces.get_many(s.id for s in stores.pieces.summaries())}

    report = await app.reminders.send_statements([1, 4], CHOICES, start=TODAY - timedelta(days=365), end=TODAY)

    assert [m.contact for m in report.preview.mails] == ["Élodie Marchand", "Hélène Müller"]
    assert sorted(m.recipients[0] for m in server.messages) == ["elodie@example.fr", "helene@example.be"]
    for message in server.messages:
        [attachment] = list(message.message.iter_attachments())
        assert attachment.get_filename() == f"releve-{TODAY.isoformat()}.pdf"
        assert "Relevé de vos factures" in str(message.message["Subject"])
    after = {p.id: p for p in stores.pieces.get_many(before)}
    assert after == before
    assert [r.kind for r in stores.history.for_contact(4)] == ["statement"]
    with pytest.raises(InvalidInput, match="no contact has the id 99"):
        await app.reminders.preview_statements([99], start=TODAY, end=TODAY)
