"""A small book for the composing tests: an issuer, two contacts (one reads English), five pieces whose amounts are
worked out by hand, and a renderer that counts what it was asked to render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from batchmail.domain.company import IssuingCompany, SenderAddress
from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.sending.compose import Composition, SendOptions, compose
from batchmail.sending.message import to_mime

NNBSP, NBSP = "\u202f", "\xa0"  # Babel's French thousands separator and the space before "€"
TODAY = date(2026, 11, 24)
COMPANY = IssuingCompany(name="Rhône Maintenance Équipements", email="contact@rhone.example.fr")
SENDER = SenderAddress(email="facturation@rhone.example.fr", display_name="Rhône Maintenance")
JEAN = Contact(id=1, name="Jean Dupont", company="ACME SARL", emails=["jean@acme.example.fr"])
MARY = Contact(id=2, name="Mary Smith", company="Smith Ltd", emails=["mary@smith.example.co.uk"], language=Language.en)
CONTACTS = {c.id: c for c in (JEAN, MARY)}


def line(quantity: str, price: str, vat: str) -> Line:
    return Line(description="Travaux", quantity=Decimal(quantity), unit_price=Decimal(price), vat_rate=Decimal(vat))


def piece(piece_id: int, number: str, day: date, lines: list[Line], **changes: object) -> Piece:
    values: dict[str, object] = {
        "id": piece_id,
        "number": number,
        "type": PieceType.invoice,
        "date": day,
        "contact_id": JEAN.id,
        "status": Status.validated,
        "lines": lines,
    }
    values.update(changes)
    return Piece(**values)  # type: ignore[arg-type]


# Jean's: 2 x 500.00 at 20 %: 1 200.00 incl. tax, 200.00 paid, 1 000.00 due.
FA10 = piece(
    10,
    "FA-2026-00010",
    date(2026, 3, 5),
    [line("2", "500.00", "20")],
    due_date=date(2026, 4, 4),
    payments=[Payment(date=date(2026, 3, 10), amount=Decimal("200.00"))],
)
# 99.99 at 5.5 %: VAT 5.49945 -> 5.50, 105.49 incl. tax, all due.
FA9 = piece(9, "FA-2026-00009", date(2026, 3, 1), [line("1", "99.99", "5.5")], due_date=date(2026, 3, 31))
# A credit note of 50.00 at 20 %: 60.00, which reduces what Jean owes.
AV2 = piece(2, "AV-2026-00002", date(2026, 3, 2), [line("1", "50.00", "20")], type=PieceType.credit_note)
# Mary's, both dated 2 November: 1 234.50 at 20 % = 1 481.40, 481.40 paid; 3 x 10.00 at 20 % = 36.00.
FA20 = piece(
    20,
    "FA-2026-00020",
    date(2026, 11, 2),
    [line("1", "1234.50", "20")],
    contact_id=MARY.id,
    payments=[Payment(date=date(2026, 11, 3), amount=Decimal("481.40"))],
)
FA21 = piece(21, "FA-2026-00021", date(2026, 11, 2), [line("3", "10.00", "20")], contact_id=MARY.id)
BATCH = [FA10, FA20, FA9, AV2, FA21]


class CountingRenderer:
    """A render_pdf for compose: bytes that name the piece, and a count of what was rendered."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    async def __call__(self, piece: Piece, contact: Contact) -> bytes:
        self.rendered.append(piece.number)
        return f"%PDF-1.7 fake {piece.number} for {contact.name}".encode()


def options(**changes: Any) -> SendOptions:
    return SendOptions(sender=SENDER, today=TODAY, **changes)


async def run(
    pieces: Sequence[Piece] = BATCH, contacts: Mapping[int, Contact] = CONTACTS, **changes: Any
) -> tuple[Composition, CountingRenderer]:
    renderer = CountingRenderer()
    return await compose(pieces, contacts, COMPANY, options(**changes), renderer), renderer


def parsed(composition: Composition, index: int = 0) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(to_mime(composition.drafts[index].message))
    assert isinstance(message, EmailMessage)
    return message


def attachment_names(composition: Composition) -> list[list[str]]:
    return [[a.filename for a in d.message.attachments] for d in composition.drafts]
