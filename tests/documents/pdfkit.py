"""Hand-built documents for the PDF tests (a company, a contact, an invoice of several lines) and ways to read a PDF
back: its text as pdftotext lays it out, its first page's colours as pdftoppm draws it."""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections import Counter
from datetime import date
from decimal import Decimal

from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import plain_spaces
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status

# ---- hand-built objects -------------------------------------------------------------------------------------------


def make_company(logo_path: str = "", **changes: str) -> IssuingCompany:
    fields = {
        "name": "Atelier Dupré SAS",
        "legal_form": "SAS",
        "capital": "10 000 €",
        "address": "12 rue des Tanneurs\n69002 Lyon",
        "siren": "812 345 678",
        "siret": "812 345 678 00012",
        "rcs": "RCS Lyon 812 345 678",
        "vat_number": "FR12812345678",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "AGRIFRPP",
        "logo_path": logo_path,
    }
    fields.update(changes)
    return IssuingCompany(**fields)


def make_contact(language: str = "fr", *, name: str = "Jeanne Martin") -> Contact:
    return Contact(
        name=name,
        company="Boulangerie Martin SARL",
        address="4 place du Marché\n38000 Grenoble",
        vat_number="FR45512345678",
        language=Language(language),
    )


# 1 x 1250.00 = 1250.00 at 20 %; 2.5 x 45.90 = 114.75 less 10 % = 103.275 -> 103.28 at 20 %; 3 x 19.99 = 59.97 at 5.5 %.
# VAT 20 %: 1353.28 x 0.20 = 270.656 -> 270.66; VAT 5.5 %: 59.97 x 0.055 = 3.29835 -> 3.30.
# Excl. 1413.25, VAT 273.96, incl. 1687.21; 500.00 paid -> 1187.21 due.
def make_lines() -> list[Line]:
    return [
        Line(
            description="Maintenance du four",
            quantity=Decimal("1"),
            unit_price=Decimal("1250.00"),
            vat_rate=Decimal(20),
        ),
        Line(
            description="Déplacement technicien",
            quantity=Decimal("2.5"),
            unit_price=Decimal("45.90"),
            vat_rate=Decimal(20),
            discount=Decimal(10),
        ),
        Line(
            description="Livre technique", quantity=Decimal("3"), unit_price=Decimal("19.99"), vat_rate=Decimal("5.5")
        ),
    ]


def make_piece(piece_type: PieceType = PieceType.invoice, **changes: object) -> Piece:
    fields: dict[str, object] = {
        "number": f"{piece_type.prefix}-2026-00042",
        "type": piece_type,
        "date": date(2026, 11, 23),
        "due_date": date(2026, 12, 23),
        "contact_id": 1,
        "status": Status.sent,
        "lines": make_lines(),
        "payments": [Payment(date=date(2026, 12, 1), amount=Decimal("500.00"), method="virement")],
    }
    fields.update(changes)
    return Piece(**fields)  # type: ignore[arg-type]


def pdf_pages(pdf: bytes) -> list[str]:
    """Text of each page as `pdftotext -layout` lays it out, with ordinary spaces."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return [plain_spaces(page) for page in result.stdout.decode("utf-8").split("\f")[:-1]]


def png_bytes(width: int = 40, height: int = 20, colour: bytes = b"\xcc\x22\x22") -> bytes:
    """A small valid PNG of one colour (red unless told), built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + colour * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def page_colours(pdf: bytes, *, dpi: int = 20) -> Counter[tuple[int, int, int]]:
    """The first page's pixels by colour, as pdftoppm draws it (binary PPM on standard output)."""
    ppm = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-"], input=pdf, capture_output=True, check=True
    ).stdout
    magic, size, depth, pixels = ppm.split(b"\n", 3)
    assert magic == b"P6" and depth == b"255"
    width, height = map(int, size.split())
    assert len(pixels) == 3 * width * height
    return Counter(zip(pixels[0::3], pixels[1::3], pixels[2::3], strict=True))


def near(colours: Counter[tuple[int, int, int]], hex_colour: str) -> int:
    """How many pixels are `hex_colour`, give or take rounding."""
    target = bytes.fromhex(hex_colour.removeprefix("#"))
    return sum(
        count for rgb, count in colours.items() if all(abs(a - b) <= 2 for a, b in zip(rgb, target, strict=True))
    )
