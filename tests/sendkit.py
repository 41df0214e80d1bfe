"""A small, real data directory for the sending tests: a company, contacts with addresses, validated invoices,
and an SMTP account that reaches a test server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Line, Piece, PieceType, Status
from batchmail.sending.accounts import Account
from batchmail.sending.choices import SendChoices
from batchmail.sending.outbox import OutboxEntry, mime_content_hash
from batchmail.sending.preview import Preview
from batchmail.sending.report import BatchReport
from batchmail.services.accounts import DEFAULT_ACCOUNT_KEY
from batchmail.wiring import App, open_app, wire
from storage.credentials import CredentialStore
from storage.stores import Stores, open_stores
from tests.servers.smtpd import SmtpTestServer

SENDER = "factures@atelier-martin.fr"
ACCOUNT = "office"


def address(n: int) -> str:
    return f"client{n}@example.com"


def fill(data_dir: Path, pieces: int, *, day: date | None = None) -> None:
    """The company, one contact per piece (client<n>@example.com) and one validated invoice each."""
    day = day or date.today() - timedelta(days=3)
    with open_stores(data_dir) as stores:
        stores.company.save(IssuingCompany(name="Atelier Martin", email=SENDER, siren="812345678"))
        contacts = stores.contacts.add_many(
            Contact(name=f"Client {n}", emails=[address(n)]) for n in range(1, pieces + 1)
        )
        stores.pieces.add_many(
            Piece(
                type=PieceType.invoice,
                date=day,
                due_date=day + timedelta(days=30),
                contact_id=contact.id,
                status=Status.validated,
                lines=[Line(description="Entretien", quantity=Decimal(1), unit_price=Decimal(n), vat_rate=Decimal(20))],
            )
            for n, contact in enumerate(contacts, start=100)
        )


def add_account(data_dir: Path, server: SmtpTestServer, **changes: Any) -> None:
    """The server's account, named "office", made the default, its password stored."""
    store_account(data_dir, server.account(name=ACCOUNT, from_address=SENDER, **changes), server.password)


def store_account(data_dir: Path, account: Account, password: str) -> None:
    """`account` added and made the default, its password stored."""
    with open_stores(data_dir) as stores:
        stores.accounts.add(account)
        stores.settings.set(DEFAULT_ACCOUNT_KEY, account.name)
    CredentialStore(data_dir).set(f"account:{account.name}", password)


def services(data_dir: Path, renderer: PdfRenderer) -> App:
    """The app over the data directory with a shared renderer (its process pool starts once per module)."""
    return open_app(data_dir, renderer=renderer)


def services_and_stores(data_dir: Path, renderer: PdfRenderer | None = None) -> tuple[App, Stores]:
    """`services`, and the stores behind it for a test to arrange and inspect (`App.close` closes them); without
    a `renderer`, the app starts its own."""
    stores = open_stores(data_dir)
    return wire(stores, renderer=renderer), stores


@contextmanager
def opened(data_dir: Path, renderer: PdfRenderer | None = None) -> Iterator[tuple[App, Stores]]:
    """`services_and_stores` for the `with` block."""
    app, stores = services_and_stores(data_dir, renderer)
    try:
        yield app, stores
    finally:
        app.close()


async def send(app: App, piece_ids: Sequence[int], choices: SendChoices | None = None, **plan: Any) -> BatchReport:
    """Plan the send of `piece_ids`, then send it, as `batchmail send` does."""
    return await app.send.send(await app.send.plan(piece_ids, choices, **plan))


async def preview(app: App, piece_ids: Sequence[int], choices: SendChoices | None = None, **plan: Any) -> Preview:
    """Plan the send of `piece_ids`, then preview it, as `batchmail send --dry-run` does."""
    return await app.send.preview(await app.send.plan(piece_ids, choices, **plan))


def entry_and_mime(n: int, *, batch_id: str = "b1", account: str = ACCOUNT) -> tuple[OutboxEntry, bytes]:
    """An outbox entry for a small message to client<n>, with its MIME bytes, as the sending service stages it."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = address(n)
    message["Subject"] = f"Facture {n}"
    message["Message-ID"] = f"<{batch_id}.{n}@atelier-martin.example>"
    message.set_content(f"Bonjour,\nvotre facture {n}.\n")
    mime = message.as_bytes()
    entry = OutboxEntry(
        batch_id=batch_id,
        account=account,
        message_id=str(message["Message-ID"]),
        content_hash=mime_content_hash(mime, [address(n)]),
        sender=SENDER,
        recipients=[address(n)],
        subject=f"Facture {n}",
        size=len(mime),
        created_at=datetime.now().astimezone(),
    )
    return entry, mime


def received_ids(server: SmtpTestServer) -> list[str]:
    return [str(m.message["Message-ID"]) for m in server.messages]


def outbox_on_disk(data_dir: Path) -> dict[int, dict[str, Any]]:
    """The outbox entries as the files hold them: outbox.json, then the journal's lines if it extends it."""
    snapshot = orjson.loads((data_dir / "outbox.json").read_bytes())
    docs = {int(key): doc for key, doc in snapshot.get("entries", {}).items()}
    journal = data_dir / "outbox.journal"
    if journal.exists():
        header, *lines = [orjson.loads(line) for line in journal.read_bytes().split(b"\n")[:-1]]
        if header == snapshot.get("journal", {}).get("1", {"generation": 0}):
            docs.update((int(line["id"]), line["doc"]) for line in lines)
    return docs
