"""The three summaries on small hand-built books, every expected figure worked out here by hand; then their PDFs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from batchmail.documents.labels import LABELS
from batchmail.documents.pdf import render_pdf
from batchmail.documents.summary_html import build_balance_html, build_consumption_html, build_statement_html
from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.summaries import AgeBucket, EntryKind, aged_balance, consumption, statement
from batchmail.errors import InvalidInput
from tests.documents.pdfkit import make_company, pdf_pages

D = Decimal
JEANNE = Contact(id=1, name="Jeanne Martin", company="Boulangerie Martin", language=Language.fr)
PAUL = Contact(id=2, name="Paul Martin", company="Boulangerie Martin", language=Language.fr)
OTHER = Contact(id=3, name="Ana Costa", company="Costa Traiteur", language=Language.en)


def piece(
    number: str,
    day: date,
    *amounts: tuple[str, str, str],  # (quantity, unit price, VAT rate)
    contact: Contact = JEANNE,
    piece_type: PieceType = PieceType.invoice,
    due: date | None = None,
    status: Status = Status.sent,
    payments: tuple[tuple[date, str], ...] = (),
) -> Piece:
    return Piece(
        number=number,
        type=piece_type,
        date=day,
        due_date=due,
        contact_id=contact.id,
        status=status,
        lines=[Line(description="Article", quantity=D(q), unit_price=D(p), vat_rate=D(v)) for q, p, v in amounts],
        payments=[Payment(date=d, amount=D(a), method="virement") for d, a in payments],
    )


# ---- statement ----------------------------------------------------------------------------------------------------

START, END, TODAY = date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 15)


def statement_book() -> list[Piece]:
    return [
        # Before the period: 120.00 invoiced and paid (nets to 0), 600.00 invoiced -> opening balance 600.00.
        piece(
            "FA-1", date(2026, 1, 10), ("1", "100", "20"), due=date(2026, 2, 9), payments=((date(2026, 1, 20), "120"),)
        ),
        # 2 x 250 + 20 % = 600.00; 200.00 paid in the period, 100.00 after it (not on this statement).
        piece(
            "FA-2",
            date(2026, 1, 25),
            ("2", "250", "20"),
            due=date(2026, 2, 24),
            payments=((date(2026, 3, 5), "200"), (date(2026, 4, 5), "100")),
        ),
        # 80 + 20 % = 96.00, due 20 March, unpaid: 11 days overdue on 31 March.
        piece("FA-3", date(2026, 3, 2), ("1", "80", "20"), due=date(2026, 3, 20)),
        # Paul, same company: 1000 + 5.5 % = 1055.00, due 9 April, so not overdue on 31 March.
        piece("FA-4", date(2026, 3, 10), ("1", "1000", "5.5"), contact=PAUL, due=date(2026, 4, 9)),
        # Credit note 50 + 20 % = 60.00, of which 20.00 refunded on 20 March.
        piece(
            "AV-1",
            date(2026, 3, 15),
            ("1", "50", "20"),
            piece_type=PieceType.credit_note,
            status=Status.partially_paid,
            payments=((date(2026, 3, 20), "20"),),
        ),
        # None of these count: after the end, a draft, cancelled, another company, a quote.
        piece("FA-5", date(2026, 4, 2), ("1", "999", "20")),
        piece("FA-6", date(2026, 3, 12), ("1", "999", "20"), status=Status.draft),
        piece("FA-7", date(2026, 3, 12), ("1", "999", "20"), status=Status.cancelled),
        piece("FA-8", date(2026, 3, 12), ("1", "999", "20"), contact=OTHER),
        piece("DE-1", date(2026, 3, 12), ("1", "999", "20"), piece_type=PieceType.quote),
    ]


def test_a_statement_runs_the_balance_from_the_opening_one() -> None:
    result = statement(statement_book(), [JEANNE, PAUL], start=START, end=END, today=TODAY)

    assert result.opening_balance == D("600.00")
    rows = [(line.date.day, line.kind, line.number, line.amount, line.balance) for line in result.lines]
    assert rows == [
        (2, EntryKind.invoice, "FA-3", D("96.00"), D("696.00")),
        (5, EntryKind.payment, "FA-2", D("-200"), D("496.00")),
        (10, EntryKind.invoice, "FA-4", D("1055.00"), D("1551.00")),
        (15, EntryKind.credit_note, "AV-1", D("-60.00"), D("1491.00")),
        (20, EntryKind.refund, "AV-1", D("20"), D("1511.00")),
    ]
    # What is still open at the end, piece by piece: FA-1 0 + FA-2 400 + FA-3 96 + FA-4 1055 - AV-1 40 = 1511.
    assert result.total_due == D("1511.00")
    assert result.total_debit == D("96.00") + D("1055.00") + D("20")
    assert result.total_credit == D("200") + D("60.00")
    # Overdue on 31 March (the period ends before today): FA-2 (400 open, before the period) and FA-3 (96).
    assert result.as_of == END
    assert (result.overdue_total, result.overdue_count) == (D("496.00"), 2)
    assert [(line.number, line.days_overdue) for line in result.lines if line.overdue] == [("FA-3", 11)]


def test_without_a_period_everything_up_to_today_counts() -> None:
    result = statement(statement_book(), [JEANNE, PAUL], start=None, end=None, today=TODAY)

    assert result.opening_balance == 0
    assert result.as_of == TODAY
    assert result.lines[0].number == "FA-1" and result.lines[1].kind is EntryKind.payment
    # FA-5 (1198.80) and the 100.00 paid on FA-2 in April now count: 1511 + 1198.80 - 100 = 2609.80.
    assert result.total_due == D("2609.80")
    assert result.lines[-1].balance == result.total_due
    # On 15 April FA-4 (due 9 April) is late too; FA-2 has 300 open, FA-3 96, FA-4 1055.
    assert result.overdue_total == D("1451.00")


def test_a_statement_refuses_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="after it ends"):
        statement([], [JEANNE], start=END, end=START, today=TODAY)


# ---- aged balance -------------------------------------------------------------------------------------------------

AS_OF = date(2026, 6, 30)


def balance_book() -> list[Piece]:
    def due_days_ago(days: int, price: str, **more: object) -> Piece:
        due = AS_OF - timedelta(days=days)
        return piece(f"FA-{days}", due - timedelta(days=30), ("1", price, "0"), due=due, **more)  # type: ignore[arg-type]

    return [
        due_days_ago(-5, "1"),  # due in 5 days: not yet due
        due_days_ago(0, "2"),  # due today: not yet due
        due_days_ago(1, "4"),
        due_days_ago(30, "8"),  # 1-30
        due_days_ago(31, "16"),
        due_days_ago(60, "32"),  # 31-60
        due_days_ago(61, "64"),
        due_days_ago(90, "128"),  # 61-90
        due_days_ago(91, "256"),  # over 90
        # 45 days: 10 paid before, 100 after the day (which does not count): 500 - 10 = 490 in 31-60.
        due_days_ago(45, "500", payments=((AS_OF - timedelta(days=1), "10"), (AS_OF + timedelta(days=1), "100"))),
        # A credit note of 1000 + 20 % = 1200, 200 of it refunded, dated 40 days ago without a due date: -1000 in 31-60.
        piece(
            "AV-1",
            AS_OF - timedelta(days=40),
            ("1", "1000", "20"),
            piece_type=PieceType.credit_note,
            payments=((AS_OF - timedelta(days=3), "200"),),
        ),
        piece("FA-later", AS_OF + timedelta(days=1), ("1", "9999", "0")),  # dated after the day
        # Paul's only invoice was paid before the day: he is left out.
        piece("FA-paul", date(2026, 5, 1), ("1", "50", "0"), contact=PAUL, payments=((date(2026, 5, 2), "50"),)),
        # Ana has only a credit note, due in the future: -120 not yet due.
        piece(
            "AV-2", AS_OF, ("1", "100", "20"), contact=OTHER, piece_type=PieceType.credit_note, due=AS_OF + timedelta(1)
        ),
    ]


def test_the_aged_balance_puts_each_amount_in_its_bucket() -> None:
    result = aged_balance(balance_book(), [JEANNE, PAUL, OTHER], as_of=AS_OF)

    assert [row.contact.name for row in result.rows] == ["Jeanne Martin", "Ana Costa"]  # by company: Boulangerie, Costa
    jeanne, ana = result.rows
    assert jeanne.amounts == {
        AgeBucket.not_due: D(1 + 2),
        AgeBucket.days_1_30: D(4 + 8),
        AgeBucket.days_31_60: D(16 + 32 + 490 - 1000),
        AgeBucket.days_61_90: D(64 + 128),
        AgeBucket.over_90: D(256),
    }
    assert jeanne.total == D(1 + 2 + 4 + 8 + 16 + 32 + 490 - 1000 + 64 + 128 + 256)
    assert ana.amounts[AgeBucket.not_due] == D(-120) and ana.total == D(-120)
    assert result.totals[AgeBucket.not_due] == D(3 - 120)
    assert result.total == D(1 + 2 + 4 + 8 + 16 + 32 + 490 - 1000 + 64 + 128 + 256 - 120)


def test_the_aged_balance_of_a_selection_and_a_day_before_a_payment() -> None:
    # The day before Paul's payment his invoice (due 31 May, as it has no due date: its date 1 May) is open.
    result = aged_balance(balance_book(), [PAUL], as_of=date(2026, 5, 1))

    assert [row.contact.id for row in result.rows] == [PAUL.id]
    assert result.rows[0].amounts[AgeBucket.not_due] == D(50)
    assert result.total == D(50)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, "not_due"),
        (0, "not_due"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "over_90"),
        (400, "over_90"),
    ],
)
def test_bucket_edges(days: int, bucket: str) -> None:
    assert AgeBucket.of(days) is AgeBucket(bucket)


# ---- consumption list ---------------------------------------------------------------------------------------------


def consumption_book() -> list[Piece]:
    def lines(*items: tuple[str, str, str, str]) -> list[Line]:
        return [
            Line(description=d, quantity=D(q), unit_price=D(p), vat_rate=D(20), discount=D(r)) for d, q, p, r in items
        ]

    first = piece("FA-1", date(2026, 1, 5))
    first.lines = lines(("Pain de campagne", "10", "1.20", "0"), ("Croissant", "24", "0.95", "10"))
    second = piece("FA-2", date(2026, 3, 31))
    second.lines = lines(("pain  de Campagne ", "5", "1.20", "0"))
    credit = piece("AV-1", date(2026, 2, 1), piece_type=PieceType.credit_note)
    credit.lines = lines(("Croissant", "4", "0.95", "10"))
    outside = [
        piece("FA-3", date(2026, 4, 1)),
        piece("FA-4", date(2026, 2, 1), status=Status.draft),
        piece("FA-5", date(2026, 2, 1), contact=PAUL),
    ]
    for other in outside:
        other.lines = lines(("Pain de campagne", "100", "1.20", "0"))
    return [first, second, credit, *outside]


def test_the_consumption_list_sums_per_description_less_credit_notes() -> None:
    result = consumption(consumption_book(), JEANNE, start=date(2026, 1, 1), end=date(2026, 3, 31))

    rows = [(line.description, line.quantity, line.amount) for line in result.lines]
    # Croissant: 24 x 0.95 less 10 % = 20.52, less 4 x 0.95 less 10 % = 3.42 -> 20 for 17.10.
    # Pain: 10 x 1.20 + 5 x 1.20 (same words, other case and spaces) -> 15 for 18.00.
    assert rows == [("Croissant", D(20), D("17.10")), ("Pain de campagne", D(15), D("18.00"))]
    assert (result.total_quantity, result.total_amount, result.piece_count) == (D(35), D("35.10"), 3)


# ---- the PDFs -----------------------------------------------------------------------------------------------------


def flat(pdf: bytes) -> str:
    return " ".join(" ".join(pdf_pages(pdf)).split())


def test_the_statement_pdf_shows_the_figures_and_the_overdue_invoice() -> None:
    result = statement(statement_book(), [JEANNE, PAUL], start=START, end=END, today=TODAY)

    pages = pdf_pages(render_pdf(build_statement_html(result, make_company())))
    text = " ".join(" ".join(pages).split())

    assert "RELEVÉ DE FACTURES" in text and "Boulangerie Martin" in text and "Paul Martin" in text
    assert "du 01/03/2026 au 31/03/2026" in text
    assert re.search(r"Solde antérieur\s+600,00 €", text)
    assert re.search(r"Facture FA-3 échue depuis 11 j", text)
    assert re.search(r"Solde dû 1 511,00 €", text) and re.search(r"Dont échu 496,00 €", text)
    assert re.search(r"(?m)^\s*1/1\s*$", pages[0])


def test_the_balance_pdf_has_every_bucket_and_the_totals() -> None:
    result = aged_balance(balance_book(), [JEANNE, PAUL, OTHER], as_of=AS_OF)

    text = flat(render_pdf(build_balance_html(result, make_company())))

    assert "BALANCE CLIENT" in text and "Situation au 30/06/2026" in text
    # Jeanne's row, bucket by bucket, as computed above: 3, 12, -462, 192, 256 -> 1.
    assert re.search(r"Boulangerie Martin Jeanne Martin 3,00 € 12,00 € -462,00 € 192,00 € 256,00 € 1,00 €", text)
    assert re.search(r"Total -117,00 € 12,00 € -462,00 € 192,00 € 256,00 € -119,00 €", text)
    assert "Répartition" not in text  # no share of a total that is a credit


@pytest.mark.parametrize("language", list(Language))
def test_every_summary_renders_in_every_language(language: Language) -> None:
    company = replace(make_company(), language=language)
    contact = Contact(id=1, name="Jeanne Martin", company="Boulangerie Martin", language=language)
    labels = LABELS[language]
    documents = {
        "statement": build_statement_html(
            statement(statement_book(), [contact], start=None, end=END, today=TODAY), company
        ),
        "aged_balance": build_balance_html(aged_balance(balance_book(), [contact], as_of=AS_OF), company),
        "consumption": build_consumption_html(
            consumption(consumption_book(), contact, start=date(2026, 1, 1), end=date(2026, 3, 31)), company
        ),
    }
    for title, html in documents.items():
        text = flat(render_pdf(html))
        assert all(word in text for word in labels[title].upper().split()), title  # a long title wraps
        assert labels["total"] in text or labels["balance_due"] in text
