from __future__ import annotations

import asyncio
import http.server
import io
import os
import re
import struct
import subprocess
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from batchmail.documents.file_names import piece_filename
from batchmail.documents.labels import LABELS
from batchmail.documents.pdf import WORKER_NICENESS, AssetFetcher, PdfRenderer, render_pdf
from batchmail.documents.piece_html import DEFAULT_ACCENT, DOCUMENTS_DIR, accent_color, brand_style, build_piece_html
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import plain_spaces
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.type_names import TITLES
from batchmail.errors import InvalidInput

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


EXPECTED = {
    "fr": {
        "date": "23/11/2026",
        "vat": [r"5,5 %\s+59,97 €\s+3,30 €", r"20 %\s+1 353,28 €\s+270,66 €"],
        "totals": [r"Total HT\s+1 413,25 €", r"Total TVA\s+273,96 €", r"Total TTC\s+1 687,21 €"],
        "lines": [r"1\s+1 250,00 €\s+20 %\s+1 250,00 €", r"2,5\s+45,90 €\s+10 %\s+20 %\s+103,28 €"],
        "balance": "1 187,21 €",
        "columns": ["Désignation", "Montant HT"],
        "titles": ["Facture", "Devis", "Avoir", "Bon de livraison", "Commande", "Demande de prix"],
    },
    "en": {
        "date": "23/11/2026",
        "vat": [r"5.5%\s+€59.97\s+€3.30", r"20%\s+€1,353.28\s+€270.66"],
        "totals": [r"Total excl. VAT\s+€1,413.25", r"Total VAT\s+€273.96", r"Total incl. VAT\s+€1,687.21"],
        "lines": [r"1\s+€1,250.00\s+20%\s+€1,250.00", r"2.5\s+€45.90\s+10%\s+20%\s+€103.28"],
        "balance": "€1,187.21",
        "columns": ["Description", "Amount excl. VAT"],
        "titles": ["Invoice", "Quote", "Credit note", "Delivery note", "Order", "Request for quotation"],
    },
    "nl": {
        "date": "23/11/2026",
        "vat": [r"5,5%\s+€ 59,97\s+€ 3,30", r"20%\s+€ 1.353,28\s+€ 270,66"],
        "totals": [r"Totaal excl. btw\s+€ 1.413,25", r"Totaal btw\s+€ 273,96", r"Totaal incl. btw\s+€ 1.687,21"],
        "lines": [r"1\s+€ 1.250,00\s+20%\s+€ 1.250,00", r"2,5\s+€ 45,90\s+10%\s+20%\s+€ 103,28"],
        "balance": "€ 1.187,21",
        "columns": ["Omschrijving", "Bedrag excl."],
        "titles": ["Factuur", "Offerte", "Creditnota", "Leveringsbon", "Bestelling", "Prijsaanvraag"],
    },
}


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


# ---- every type in every language ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
@pytest.mark.parametrize("piece_type", list(PieceType))
def test_every_piece_type_renders_in_every_language(piece_type: PieceType, language: str) -> None:
    piece = make_piece(piece_type)
    html = build_piece_html(piece, make_contact(language), make_company(), origin_number="DE-2026-00007")

    pages = pdf_pages(render_pdf(html))

    assert len(pages) == 1
    text = pages[0]
    expected = EXPECTED[language]
    assert TITLES[Language(language)][piece_type].upper() in text
    assert f"{piece_type.prefix}-2026-00042" in text
    assert expected["date"] in text
    assert "DE-2026-00007" in text
    for description in ("Maintenance du four", "Déplacement technicien", "Livre technique"):
        assert description in text
    for pattern in expected["vat"] + expected["totals"] + expected["lines"]:
        assert re.search(pattern, text), pattern
    assert (expected["balance"] in text) == piece_type.is_billing
    assert re.search(r"(?m)^\s*1/1\s*$", text)


def test_titles_checked_above_are_the_glossarys() -> None:
    order = [PieceType.invoice, PieceType.quote, PieceType.credit_note, PieceType.delivery_note, PieceType.order]
    order.append(PieceType.purchase_request)
    for language, expected in EXPECTED.items():
        assert [TITLES[Language(language)][t] for t in order] == expected["titles"]
    assert TITLES[Language.fr][PieceType.goods_receipt] == "Bon de réception"
    assert TITLES[Language.fr][PieceType.supplier_credit_note] == "Avoir fournisseur"


def test_every_language_has_every_label_and_title() -> None:
    for language in Language:
        assert LABELS[language].keys() == LABELS[Language.fr].keys()
        assert TITLES[language].keys() == set(PieceType)


def test_an_invoice_carries_the_french_legal_mentions_and_bank_details() -> None:
    text = pdf_pages(render_pdf(build_piece_html(make_piece(), make_contact(), make_company())))[0]
    flat = " ".join(text.split())

    for mention in ("SIREN 812 345 678", "SIRET 812 345 678 00012", "RCS Lyon 812 345 678", "FR12812345678"):
        assert mention in flat
    assert "FR45512345678" in flat  # the customer's VAT number
    assert "12,15 %" in flat and "40,00 €" in flat and "L441-10" in flat and "D441-5" in flat
    assert "FR76 3000 6000 0112 3456 7890 189" in flat and "AGRIFRPP" in flat
    assert "Paiement à 30 jours" in flat
    assert re.search(r"Paiement du 01/12/2026 \(virement\) -500,00 €", flat)
    assert re.search(r"Solde dû 1 187,21 €", flat)


def test_identifiers_entered_without_spaces_are_printed_in_their_usual_groups() -> None:
    company = make_company(siren="812345678", siret="81234567800012", iban="fr7630006000011234567890189")

    html = build_piece_html(make_piece(), make_contact(), company)

    assert "SIREN 812 345 678<" in html and "SIRET 812 345 678 00012<" in html
    assert "FR76 3000 6000 0112 3456 7890 189" in html
    odd = build_piece_html(make_piece(), make_contact(), make_company(siren="81234", siret="B 123 456"))
    assert "SIREN 81234<" in odd and "SIRET B 123 456<" in odd


def test_a_draft_says_so_and_shows_what_its_lines_add_up_to() -> None:
    draft = make_piece(status=Status.draft, payments=[])

    text = pdf_pages(render_pdf(build_piece_html(draft, make_contact("en"), make_company())))[0]

    assert "DRAFT" in text
    assert re.search(r"Balance due\s+€1,687.21", text)


def test_the_language_can_be_forced_and_must_be_known() -> None:
    html = build_piece_html(make_piece(), make_contact("fr"), make_company(), language="nl")

    assert "Factuur" in html and 'lang="nl"' in html
    with pytest.raises(InvalidInput):
        build_piece_html(make_piece(), make_contact(), make_company(), language="de")


# ---- long documents -----------------------------------------------------------------------------------------------


def test_a_60_line_invoice_repeats_the_header_numbers_and_footer_every_page() -> None:
    lines = [
        Line(description=f"Article {n:02d}", quantity=Decimal(n), unit_price=Decimal("1.00"), vat_rate=Decimal(20))
        for n in range(1, 61)
    ]
    piece = make_piece(lines=lines, payments=[])
    company = make_company(footer_text="Merci de votre confiance · Membre d'une association agréée")

    pdf = render_pdf(build_piece_html(piece, make_contact(), company))
    pages = pdf_pages(pdf)

    count = len(pages)
    assert count >= 2
    assert len(PdfReader(io.BytesIO(pdf)).pages) == count
    for number, text in enumerate(pages, start=1):
        assert "Désignation" in text and "Montant HT" in text
        assert re.search(rf"(?m)^\s*{number}/{count}\s*$", text), (number, count)
        assert "SIRET 812 345 678 00012" in text
        assert "Merci de votre confiance · Membre d'une association agréée" in text
        assert ("Facture FA-2026-00042" in text) == (number > 1)  # continuation pages name their document
    every = "".join(pages)
    assert all(every.count(f"Article {n:02d}") == 1 for n in range(1, 61))
    # 1 + 2 + ... + 60 = 1830.00 excl. tax, 366.00 VAT, 2196.00 incl. tax
    assert re.search(r"Total TTC\s+2 196,00 €", pages[-1])


# ---- branding -----------------------------------------------------------------------------------------------------


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


def test_the_accent_colour_fills_the_title_bars_and_the_default_is_the_house_blue() -> None:
    branded = page_colours(
        render_pdf(build_piece_html(make_piece(), make_contact(), make_company(accent_color="#C0392B")))
    )
    plain = page_colours(render_pdf(build_piece_html(make_piece(), make_contact(), make_company())))

    # The lines' header row and the grand total are filled with it: hundreds of pixels even at 20 dpi.
    assert near(branded, "#c0392b") > 300 and near(branded, DEFAULT_ACCENT) == 0
    assert near(plain, DEFAULT_ACCENT) > 300 and near(plain, "#c0392b") == 0


@pytest.mark.parametrize(
    "value",
    ["red", "#12345", "#1234567", "#ggg", "1f4e79", "", "#fff; } body { display: none", '#fff" onload="x', "url(x)"],
)
def test_an_accent_that_is_not_a_hex_colour_falls_back_to_the_default(value: str) -> None:
    html = build_piece_html(make_piece(), make_contact(), make_company(accent_color=value))

    assert f'style="--accent: {DEFAULT_ACCENT}; --on-accent: #ffffff; --tint: ' in html
    assert "display: none" not in html and "onload" not in html and "url(x)" not in html


def test_a_hostile_accent_still_renders_the_whole_invoice_in_the_default_colour() -> None:
    company = make_company(accent_color="#fff; } html { display: none } :root {")

    pdf = render_pdf(build_piece_html(make_piece(), make_contact(), company))

    assert near(page_colours(pdf), DEFAULT_ACCENT) > 300
    assert "Total TTC" in pdf_pages(pdf)[0]


def test_short_colours_are_expanded_and_light_ones_get_dark_text() -> None:
    assert accent_color(" #C03 ") == "#cc0033" and accent_color("#1F4E79") == "#1f4e79"
    assert brand_style(make_company()) == "--accent: #1f4e79; --on-accent: #ffffff; --tint: #ebeff3"
    assert (
        brand_style(make_company(accent_color="#ffeb3b")) == "--accent: #ffeb3b; --on-accent: #1e1e1e; --tint: #fffded"
    )


def test_the_footer_text_is_escaped_and_absent_when_empty() -> None:
    html = build_piece_html(make_piece(), make_contact(), make_company(footer_text="<b>Promo</b> & co"))

    assert "&lt;b&gt;Promo&lt;/b&gt; &amp; co" in html and "<b>Promo</b>" not in html
    assert 'class="footer-text"' not in build_piece_html(make_piece(), make_contact(), make_company())


# ---- what a document may load -------------------------------------------------------------------------------------


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = png_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _RecordingHandler)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _hostile(port: int) -> str:
    return (
        '<img src="file:///etc/passwd">'
        '<link rel=stylesheet href="file:///etc/hosts">'
        f'<img src="http://127.0.0.1:{port}/x.png">'
        f'<link rel=stylesheet href="http://127.0.0.1:{port}/s.css">'
    )


def test_the_test_server_does_see_an_unguarded_fetch(http_server: http.server.HTTPServer) -> None:
    port = http_server.server_address[1]

    weasyprint.HTML(string=_hostile(port), url_fetcher=weasyprint.urls.URLFetcher()).write_pdf()

    assert "/x.png" in http_server.paths  # type: ignore[attr-defined]


def test_a_note_full_of_urls_fetches_nothing_and_is_printed_as_text(http_server: http.server.HTTPServer) -> None:
    port = http_server.server_address[1]
    piece = make_piece(notes=_hostile(port), reference=f'<img src="http://127.0.0.1:{port}/ref.png">')

    pdf = render_pdf(build_piece_html(piece, make_contact(), make_company()))

    assert http_server.paths == []  # type: ignore[attr-defined]
    flat = " ".join(pdf_pages(pdf)[0].split())
    assert '<img src="file:///etc/passwd">' in flat
    assert all(not page.images for page in PdfReader(io.BytesIO(pdf)).pages)


def test_raw_html_rendered_by_us_fetches_nothing_but_the_logo(
    http_server: http.server.HTTPServer, tmp_path: Path
) -> None:
    port = http_server.server_address[1]
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    html = _hostile(port) + f'<img src="{logo.as_uri()}"><img src="{(tmp_path / "other.png").as_uri()}">'
    (tmp_path / "other.png").write_bytes(png_bytes())

    pdf = render_pdf(html, logo_path=str(logo))

    assert http_server.paths == []  # type: ignore[attr-defined]
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_the_fetcher_serves_only_the_package_assets_and_the_logo(
    http_server: http.server.HTTPServer, tmp_path: Path
) -> None:
    port = http_server.server_address[1]
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    fetcher = AssetFetcher(logo_path=str(logo))

    style = fetcher.fetch((DOCUMENTS_DIR / "style.css").as_uri())
    assert style.read() == (DOCUMENTS_DIR / "style.css").read_bytes()
    assert style.content_type == "text/css"
    image = fetcher.fetch(logo.as_uri())
    assert image.read() == logo.read_bytes() and image.content_type == "image/png"

    refused = [
        "file:///etc/passwd",
        "file:///etc/hosts",
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/x.png",
        (DOCUMENTS_DIR / "labels.py").as_uri(),
        DOCUMENTS_DIR.as_uri() + "/../pdf.py",
        (DOCUMENTS_DIR / "missing.css").as_uri(),
        (tmp_path / "other.png").as_uri(),
        "file://evil.example.org/etc/passwd",
        "data:text/css,body{}",
    ]
    for url in refused:
        with pytest.raises(PermissionError):
            fetcher.fetch(url)
    assert http_server.paths == []  # type: ignore[attr-defined]


def test_an_invoice_with_a_logo_shows_it(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    company = make_company(str(logo))

    pdf = render_pdf(build_piece_html(make_piece(), make_contact(), company), logo_path=company.logo_path)

    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_html_in_a_contact_name_is_escaped() -> None:
    contact = make_contact(name="<b>Evil</b> & Co <script>alert(1)</script>")

    html = build_piece_html(make_piece(), contact, make_company())

    assert "<b>Evil</b>" not in html and "<script>" not in html
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html
    assert "<b>Evil</b> & Co <script>alert(1)</script>" in pdf_pages(render_pdf(html))[0]


# ---- file names and the pool --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("piece_type", "language", "number", "expected"),
    [
        (PieceType.invoice, "fr", "FA-2026-00042", "Facture_FA-2026-00042.pdf"),
        (PieceType.goods_receipt, "fr", "BR-2026-00003", "Bon_de_reception_BR-2026-00003.pdf"),
        (PieceType.purchase_order, "en", "CF-2026-00001", "Purchase_order_CF-2026-00001.pdf"),
        (PieceType.credit_note, "nl", "AV 2026/7", "Creditnota_AV_2026_7.pdf"),
        (PieceType.quote, "fr", "", "Devis_2026-11-23.pdf"),
    ],
)
def test_file_names_are_readable_and_safe(piece_type: PieceType, language: str, number: str, expected: str) -> None:
    assert piece_filename(make_piece(piece_type, number=number), language) == expected


async def test_the_pool_renders_without_blocking_the_event_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    with PdfRenderer(workers=1) as renderer:
        task = asyncio.create_task(ticker())
        pdf = await renderer.render_piece(make_piece(), make_contact("en"), make_company(), origin_number="CO-2026-1")
        task.cancel()
        again = renderer.render_piece_sync(make_piece(PieceType.quote), make_contact("nl"), make_company())

    assert ticks >= 5
    text = pdf_pages(pdf)[0]
    assert "INVOICE" in text and "FA-2026-00042" in text and "CO-2026-1" in text
    assert "OFFERTE" in pdf_pages(again)[0]


def test_start_waits_for_every_worker_and_gives_them_a_lower_priority() -> None:
    with PdfRenderer(workers=2) as renderer:
        # One worker is up and idle: a plain round of calls would be answered by it alone while the second starts.
        renderer.render_sync("<p>Facture</p>")
        workers = renderer.start()
        assert len(workers) == 2
        lower = min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)  # 19: the lowest priority
        assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in workers} == {lower}
        assert renderer.start() == workers  # warm already: the same processes answer
