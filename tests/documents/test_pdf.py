"""Every document type in every language, the legal mentions, long pieces over several pages, file names and the
worker pool, read back from the rendered PDFs."""

from __future__ import annotations

import asyncio
import io
import os
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from batchmail.documents.file_names import piece_filename
from batchmail.documents.labels import LABELS
from batchmail.documents.pdf import WORKER_NICENESS, PdfRenderer, render_pdf
from batchmail.documents.piece_html import build_piece_html
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, PieceRef, PieceType, Status
from batchmail.domain.type_names import TITLES
from batchmail.errors import InvalidInput
from tests.documents.pdfkit import (
    make_company,
    make_contact,
    make_piece,
    pdf_pages,
)

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


# ---- every type in every language ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
@pytest.mark.parametrize("piece_type", list(PieceType))
def test_every_piece_type_renders_in_every_language(piece_type: PieceType, language: str) -> None:
    piece = make_piece(piece_type)
    html = build_piece_html(
        piece, make_contact(language), make_company(), origins=[PieceRef(1, PieceType.quote, "DE-2026-00007")]
    )

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
        pdf = await renderer.render_piece(
            make_piece(), make_contact("en"), make_company(), origins=[PieceRef(1, PieceType.order, "CO-2026-1")]
        )
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
