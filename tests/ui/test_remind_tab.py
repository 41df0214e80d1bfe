"""The Remind tab as a user works it, without a browser: the overdue invoices previewed, one paid meanwhile, the
reminders sent to a real SMTP server, the levels written on the invoices; then statements of the batch's
contacts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from nicegui import ui
from nicegui.testing import User

from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.wiring import App
from storage.stores import Stores
from tests.servers.smtpd import SmtpTestServer
from tests.ui.conftest import PIECES, by_test_id, marked, text_of, wait_for


def overdue(stores: Stores) -> list[int]:
    """One invoice 10 days overdue for each contact of tests/sendkit.py's fill(): 120.00 each."""
    due = date.today() - timedelta(days=10)
    made = stores.pieces.add_many(
        Piece(
            type=PieceType.invoice,
            date=due - timedelta(days=30),
            due_date=due,
            contact_id=contact_id,
            status=Status.sent,
            lines=[Line(description="Entretien", quantity=Decimal(1), unit_price=Decimal(100), vat_rate=Decimal(20))],
        )
        for contact_id in range(1, PIECES + 1)
    )
    return [piece.id for piece in made]


async def open_tab(user: User) -> None:
    await user.open("/")
    await wait_for(lambda: marked(user, "remind-preview"))  # the treatments follow the first rows
    by_test_id(user, "treatment-remind").click()


async def test_preview_a_payment_meanwhile_then_send(user: User, stores: Stores, server: SmtpTestServer) -> None:
    invoices = overdue(stores)
    await open_tab(user)
    by_test_id(user, "remind-preview").click()
    await wait_for(lambda: text_of(user, "remind-summary").startswith("3 mail(s) · 360,00"))
    [table] = marked(user, "remind-mails")
    assert isinstance(table, ui.table)
    assert [row["level"] for row in table.rows] == ["1", "1", "1"]

    paid = stores.pieces.get(invoices[0])
    paid.payments.append(Payment(date=date.today(), amount=Decimal(120)))
    paid.status = paid.status_after_payment()
    stores.pieces.update(paid)
    by_test_id(user, "remind-send").click()
    await wait_for(lambda: text_of(user, "remind-sent").startswith("2 envoyé(s)"), timeout=30)

    assert "non envoyé (plus rien de dû) : Client 1" in text_of(user, "remind-sent")
    [left] = marked(user, "remind-left-out")
    assert isinstance(left, ui.table)
    assert [row["reason"] for row in left.rows] == ["réglée ou plus due depuis l'aperçu"]
    assert len(server.messages) == 2
    assert [stores.pieces.get(i).reminder_level for i in invoices] == [0, 1, 1]


async def test_statements_of_the_batch_s_contacts(user: User, app: App, stores: Stores, server: SmtpTestServer) -> None:
    invoices = overdue(stores)
    await app.workspace.add_to_batch(invoices[1:2])
    await open_tab(user)
    [kind] = marked(user, "remind-kind")
    assert isinstance(kind, ui.toggle)
    kind.value = "statements"  # as clicking "Relevés de factures" does
    by_test_id(user, "remind-batch-only").click()
    by_test_id(user, "remind-preview").click()
    await wait_for(lambda: text_of(user, "remind-summary").startswith("1 mail(s)"))
    by_test_id(user, "remind-send").click()
    await wait_for(lambda: text_of(user, "remind-sent").startswith("1 envoyé(s)"), timeout=30)
    [mail] = server.messages
    assert mail.recipients == ["client2@example.com"]
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename().startswith("releve-")
