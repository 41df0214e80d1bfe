from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.sending.outbox import OutboxEntry
from storage.stores import Stores, open_stores


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    with open_stores(tmp_path / "data") as opened:
        yield opened


def make_piece(
    *,
    piece_type: PieceType = PieceType.invoice,
    day: date = date(2026, 3, 14),
    number: str = "",
    status: Status = Status.validated,
    notes: str = "",
) -> Piece:
    return Piece(
        type=piece_type,
        number=number,
        date=day,
        due_date=day + timedelta(days=30),
        contact_id=1,
        status=status,
        lines=[
            Line(
                description="Entretien chaudière",
                quantity=Decimal("1"),
                unit_price=Decimal("189.00"),
                vat_rate=Decimal("10"),
            ),
            Line(
                description="Déplacement",
                quantity=Decimal("0.5"),
                unit_price=Decimal("35.10"),
                vat_rate=Decimal("20"),
                discount=Decimal("5"),
            ),
        ],
        payments=[Payment(date=day, amount=Decimal("0.10"), method="chèque")],
        nature="maintenance",
        reference="BC-77",
        notes=notes,
    )


def make_entry(*, batch_id: str = "b1", content_hash: str = "h1", recipient: str = "ana@example.org") -> OutboxEntry:
    return OutboxEntry(
        batch_id=batch_id,
        account="test-mailbox",
        message_id=f"<{content_hash}.{recipient}@batchmail>",
        content_hash=content_hash,
        sender="shop@example.org",
        recipients=[recipient, "archive@example.org"],
        subject="Facture FA-2026-00001",
        piece_ids=[1],
        contact_id=1,
        attachments=["FA-2026-00001.pdf"],
        size=1234,
        created_at=datetime(2026, 3, 14, 9, 30),
    )
