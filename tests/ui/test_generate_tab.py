"""The Generate tab as a user works it, without a browser: the batch's orders previewed then transformed into
invoices (the origins converted, the new pieces made the batch), and delivery notes consolidated and sent in one
step to a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from nicegui import ui
from nicegui.testing import User

from batchmail.domain.pieces import Line, Piece, PieceType, Status
from batchmail.wiring import App
from storage.stores import Stores
from tests.servers.smtpd import SmtpTestServer
from tests.ui.conftest import PIECES, by_test_id, marked, text_of, wait_for


def add_pieces(stores: Stores, piece_type: PieceType) -> list[int]:
    """One validated piece of `piece_type` for each contact of tests/sendkit.py's fill()."""
    day = date.today() - timedelta(days=2)
    made = stores.pieces.add_many(
        Piece(
            type=piece_type,
            date=day,
            contact_id=contact_id,
            status=Status.validated,
            lines=[Line(description="Pose", quantity=Decimal(2), unit_price=Decimal(50), vat_rate=Decimal(20))],
        )
        for contact_id in range(1, PIECES + 1)
    )
    return [piece.id for piece in made]


async def test_preview_then_transform_the_batch_into_invoices(user: User, app: App, stores: Stores) -> None:
    orders = add_pieces(stores, PieceType.order)
    await app.workspace.add_to_batch(orders)
    invoices_before = sum(1 for s in stores.pieces.summaries() if s.type is PieceType.invoice)

    await user.open("/")
    await wait_for(lambda: marked(user, "generate-run"))  # the treatments follow the first rows
    by_test_id(user, "treatment-generate").click()
    by_test_id(user, "generate-preview").click()
    await wait_for(lambda: text_of(user, "generate-summary") == "3 pièce(s) à créer · 0 refusée(s)")
    assert sum(1 for s in stores.pieces.summaries() if s.type is PieceType.invoice) == invoices_before

    by_test_id(user, "generate-run").click()
    await wait_for(lambda: text_of(user, "generate-summary") == "3 pièce(s) créée(s) · 0 refusée(s)")
    [table] = marked(user, "generate-created")
    assert isinstance(table, ui.table)
    assert [row["origins"] for row in table.rows] == [stores.pieces.get(i).number for i in orders]
    assert {p.status for p in stores.pieces.get_many(orders)} == {Status.converted}
    new_ids = [p.derived_ids[0] for p in stores.pieces.get_many(orders)]

    by_test_id(user, "generate-to-batch").click()
    await user.should_see("Le lot contient maintenant les 3 pièce(s) créée(s)")
    assert await app.workspace.batch_ids() == new_ids

    by_test_id(user, "generate-run").click()  # drafts of invoices: nothing to transform them into an invoice
    await wait_for(lambda: text_of(user, "generate-summary") == "0 pièce(s) créée(s) · 3 refusée(s)")
    [refused] = marked(user, "generate-refused")
    assert isinstance(refused, ui.table)
    assert {row["reason"] for row in refused.rows} == {
        "an invoice cannot become an invoice (it can become: credit_note)"
    }


async def test_consolidate_and_send_in_one_step(user: User, stores: Stores, server: SmtpTestServer, app: App) -> None:
    notes = add_pieces(stores, PieceType.delivery_note) + add_pieces(stores, PieceType.delivery_note)
    await app.workspace.add_to_batch(notes)

    await user.open("/")
    await wait_for(lambda: marked(user, "generate-run"))  # the treatments follow the first rows
    by_test_id(user, "treatment-generate").click()
    [mode] = marked(user, "generate-mode")
    assert isinstance(mode, ui.toggle)
    mode.value = "consolidate"  # as clicking "Regrouper" does
    [into] = marked(user, "generate-into")
    assert isinstance(into, ui.select)
    into.value = PieceType.invoice.value
    by_test_id(user, "generate-send").click()
    await wait_for(lambda: text_of(user, "generate-sent").startswith("Envoi : 3 envoyé(s)"), timeout=30)

    assert text_of(user, "generate-summary") == "3 pièce(s) créée(s) · 0 refusée(s)"
    assert len(server.messages) == PIECES
    for note in stores.pieces.get_many(notes):
        invoice = stores.pieces.get(note.derived_ids[0])
        assert invoice.status is Status.sent and len(invoice.origin_ids) == 2
