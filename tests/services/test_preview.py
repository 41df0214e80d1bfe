"""The preview through the services: each message as its recipient will see it (headers, both bodies, the files),
its accepted warnings, the pieces left out and those held back; the company's archive address in blind copy unless
the batch skips it, in the envelope and never in a header (checked on what a real SMTP server received); and
nothing written anywhere by a preview."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.pieces import Line, Piece, PieceType, Status
from batchmail.domain.selection import Criteria
from batchmail.sending.checks import WarningCode
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import Grouping
from batchmail.sending.message import Attachment
from batchmail.wiring import App
from storage.stores import Stores, open_stores
from tests.sendkit import SENDER, add_account, address, fill, send, services_and_stores
from tests.sendkit import preview as preview_of
from tests.servers.smtpd import SmtpTestServer

ARCHIVE = "archives@atelier-martin.fr"
TERMS = Attachment(filename="conditions-générales.txt", content=b"Paiement a 30 jours.\n")


@pytest.fixture
async def opened(tmp_path: Path, server: SmtpTestServer, renderer: PdfRenderer) -> AsyncIterator[tuple[App, Stores]]:
    """Three contacts with one validated invoice each; client 1 also has a second invoice and a draft; client 2's
    invoice went two days ago; the company archives every mail at ARCHIVE."""
    await asyncio.to_thread(prepare, tmp_path, server)
    app, stores = services_and_stores(tmp_path, renderer)
    yield app, stores
    app.close()


def prepare(data_dir: Path, server: SmtpTestServer) -> None:
    fill(data_dir, 3)
    add_account(data_dir, server)
    day = date.today() - timedelta(days=3)
    with open_stores(data_dir) as stores:
        company = stores.company.get()
        assert company is not None
        company.archive_bcc = ARCHIVE
        stores.company.save(company)
        first, second, _ = sorted(stores.pieces.get_many(s.id for s in stores.pieces.summaries()), key=_contact)
        stores.pieces.add_many(
            Piece(
                type=PieceType.invoice,
                date=day,
                contact_id=first.contact_id,
                status=status,
                lines=[Line(description="Pièces", quantity=Decimal(2), unit_price=Decimal(50), vat_rate=Decimal(20))],
            )
            for status in (Status.validated, Status.draft)
        )
        second.last_sent = date.today() - timedelta(days=2)
        stores.pieces.update_many([second])


def _contact(piece: Piece) -> int:
    return piece.contact_id


def store_files(data_dir: Path) -> dict[str, bytes]:
    """Every file of the data directory but the PDF cache (a cache, not a store), with its bytes."""
    return {
        str(path.relative_to(data_dir)): path.read_bytes()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and "pdf-cache" not in path.parts
    }


async def pieces_of(app: App, stores: Stores) -> list[Piece]:
    ids = [row.summary.id for row in await app.workspace.find(Criteria())]
    return sorted(await asyncio.to_thread(stores.pieces.get_many, ids), key=lambda p: (p.contact_id, p.id))


async def test_a_preview_shows_each_mail_as_its_recipient_will_see_it_and_writes_nothing(
    app: App, stores: Stores, tmp_path: Path
) -> None:
    pieces = await pieces_of(app, stores)
    invoice_1a, invoice_1b, draft, invoice_2, invoice_3 = pieces
    before = store_files(tmp_path)
    choices = SendChoices(
        grouping=Grouping.per_recipient,
        zip_attachments=True,
        cc_sender=True,
        high_priority=True,
        read_receipt=True,
        accept_warnings=True,
    )
    plan = await app.send.plan([p.id for p in pieces], choices, attachments=[TERMS])
    preview = await app.send.preview(plan)

    assert store_files(tmp_path) == before
    by_contact = {m.to: m for m in preview.messages}
    assert set(by_contact) == {(address(1),), (address(2),), (address(3),)}
    grouped = by_contact[(address(1),)]
    assert grouped.numbers == (invoice_1a.number, invoice_1b.number)
    assert (grouped.sender, grouped.cc, grouped.bcc) == (SENDER, (SENDER,), (ARCHIVE,))
    assert grouped.recipients == (address(1), SENDER, ARCHIVE)
    assert grouped.high_priority and grouped.read_receipt and not grouped.delivery_receipt
    assert invoice_1a.number in grouped.subject and "\n" not in grouped.subject
    assert "Client 1" in grouped.text_body and "Client 1" in grouped.html_body
    assert grouped.html_body.lstrip().startswith("<") and "<" not in grouped.text_body
    archive, terms = grouped.attachments
    assert archive.name.endswith(".zip") and archive.size > 1000
    assert (terms.name, terms.size) == (TERMS.filename, len(TERMS.content))
    assert grouped.size > archive.size + terms.size
    assert preview.total_size == sum(m.size for m in preview.messages)
    assert grouped.warnings == ()

    (recent,) = by_contact[(address(2),)].warnings
    assert (recent.code, recent.overridden, recent.sent_on) == (
        WarningCode.recently_sent,
        True,
        invoice_2.last_sent,
    )
    assert by_contact[(address(3),)].numbers == (invoice_3.number,)

    (skipped,) = preview.skipped
    assert (skipped.number, skipped.code) == (draft.number, WarningCode.draft)
    assert [w.blocking for w in skipped.warnings] == [True]

    as_json = preview.to_json()
    first = next(m for m in as_json["messages"] if m["to"] == [address(1)])
    assert first["bcc"] == [ARCHIVE] and first["cc"] == [SENDER]
    assert first["attachments"][1] == {"name": TERMS.filename, "size": len(TERMS.content)}
    assert first["html"] == grouped.html_body and first["text"] == grouped.text_body
    assert as_json["skipped"][0]["warnings"][0]["code"] == "draft"


async def test_a_preview_holds_back_what_already_went_and_still_writes_nothing(
    app: App, stores: Stores, tmp_path: Path, server: SmtpTestServer
) -> None:
    invoice_3 = (await pieces_of(app, stores))[-1]
    report = await send(app, [invoice_3.id])
    assert report.complete and len(server.messages) == 1

    before = store_files(tmp_path)
    preview = await preview_of(app, [invoice_3.id], SendChoices(accept_warnings=True))
    assert store_files(tmp_path) == before
    assert preview.messages == []
    (held,) = preview.held
    assert held.number == invoice_3.number and "already sent" in held.reason

    again = await preview_of(app, [invoice_3.id], SendChoices(accept_warnings=True, resend=True))
    assert [m.numbers for m in again.messages] == [(invoice_3.number,)]
    assert len(server.messages) == 1


async def test_the_archive_address_is_in_the_envelope_never_in_a_header(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    invoice_3 = (await pieces_of(app, stores))[-1]
    plan = await app.send.plan([invoice_3.id], SendChoices(cc_sender=True, high_priority=True))
    assert plan.options.auto_bcc == ARCHIVE
    report = await app.send.send(plan)
    assert report.complete

    (received,) = server.messages
    assert received.recipients == [address(3), SENDER, ARCHIVE]
    assert received.message["Bcc"] is None
    assert ARCHIVE.encode() not in received.data
    assert received.message["Cc"] == SENDER
    assert (received.message["X-Priority"], received.message["Importance"]) == ("1", "high")

    skipped = await app.send.plan([invoice_3.id], SendChoices(auto_bcc=False, resend=True))
    assert skipped.options.auto_bcc is None and skipped.resend
    await app.send.send(skipped)
    assert server.messages[1].recipients == [address(3)]


async def test_the_choices_worth_keeping_are_remembered_for_the_next_batch(app: App, stores: Stores) -> None:
    assert await app.send.remembered_choices() == SendChoices()
    chosen = SendChoices(
        sender=SENDER,
        grouping=Grouping.per_recipient,
        zip_attachments=True,
        single_recipient="moi@atelier-martin.fr",
        high_priority=True,
        auto_bcc=False,
        record_on_contact=False,
        resend=True,
        accept_warnings=True,
    )
    await app.send.remember_choices(chosen)
    again = await app.send.remembered_choices()
    # One batch's decisions (one address for every mail, send again, accept warnings) are never carried over.
    assert again == SendChoices(
        sender=SENDER,
        grouping=Grouping.per_recipient,
        zip_attachments=True,
        high_priority=True,
        auto_bcc=False,
        record_on_contact=False,
    )
    await asyncio.to_thread(stores.settings.set, "send_choices", {"grouping": "by_moon", "high_priority": "yes"})
    assert await app.send.remembered_choices() == SendChoices()
