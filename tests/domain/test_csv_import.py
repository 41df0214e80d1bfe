"""CSV import: real files parse to exact values; any bad row refuses the whole file and says where and why."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from batchmail.demo import generate_demo
from batchmail.domain.contacts import Contact
from batchmail.domain.csv_import import (
    CONTACT_COLUMNS,
    CONTACT_OPTIONAL,
    PIECE_COLUMNS,
    PIECE_OPTIONAL,
    CsvFile,
    parse_contacts,
    parse_payments,
    parse_pieces,
)
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status
from batchmail.errors import ImportFailed

DATA = Path(__file__).parents[1] / "data"
CONTACTS_HEADER = "id,kind,company,name,email,language\n"
PIECES_HEADER = "number,type,date,due_date,contact_id,status,nature,description,quantity,unit_price,vat_rate,discount\n"


def write(text: str, *, bom: bool = False) -> CsvFile:
    return CsvFile(name="import.csv", data=(b"\xef\xbb\xbf" if bom else b"") + text.encode())


def read(path: Path) -> CsvFile:
    return CsvFile(name=path.name, data=path.read_bytes())


def refused(call: Callable[..., object], *args: object, **kwargs: object) -> list[tuple[int, str]]:
    """The (line, "field: reason") of every error of the ImportFailed that `call` must raise."""
    with pytest.raises(ImportFailed) as caught:
        call(*args, **kwargs)
    assert {err.file for err in caught.value.errors} == {caught.value.path}
    return [(err.line, f"{err.field}: {err.reason}" if err.field else err.reason) for err in caught.value.errors]


def test_contacts_file_parses_to_exact_values() -> None:
    assert parse_contacts(read(DATA / "contacts.csv")) == [
        Contact(
            id=1,
            kind=Side.customer,
            company="L'Atelier d'Élodie",
            name="Élodie Marchand",
            emails=["elodie.marchand@example.fr"],
            language=Language.fr,
            address="14 rue Mercière\n69002 Lyon",
            vat_number="FR11480340637",
            phone="+33 4 72 49 55 77",
            send_by_email=True,
        ),
        Contact(
            id=2,
            company="Müller & Fils",
            name="Hélène Müller",
            emails=["helene.muller@example.be", "compta@example.be"],
            language=Language.fr,  # empty language: French
            address="Rue de l'Étuve 18\n1000 Bruxelles\nBelgique",
            vat_number="BE0976452676",
        ),
        Contact(
            id=7,
            company="Brouwerij De Gouden Leeuw",
            name="Pieter De Smet",
            emails=[],
            language=Language.nl,
            address="Grote Markt 7, 8500 Kortrijk",
            vat_number="BE0863614952",
            phone="+32 56 21 00 00",
            send_by_email=False,
        ),
        Contact(
            id=12,
            kind=Side.supplier,
            company="Celtic Valves Ltd",
            name="Siobhán Ó Briain",
            emails=["siobhan.obriain@example.org"],
            language=Language.en,
            vat_number="IE3291667O",
        ),
    ]


def test_pieces_file_parses_to_exact_values_one_piece_per_number() -> None:
    pieces = parse_pieces(read(DATA / "pieces.csv"), known_contact_ids={1, 2, 7})
    assert [p.number for p in pieces] == ["FA-2026-00042", "DE-2026-00007", "AV-2026-00003"]
    invoice, quote, credit_note = pieces
    assert invoice == Piece(
        number="FA-2026-00042",
        type=PieceType.invoice,
        date=date(2026, 10, 5),
        due_date=date(2026, 11, 4),
        contact_id=1,
        status=Status.validated,
        nature="maintenance",
        notes="Merci de rappeler le numéro de facture.",
        reference="BC-1187",
        lines=[
            Line(
                description="Contrat de maintenance annuel chaudière",
                quantity=Decimal(1),
                unit_price=Decimal("480.00"),
                vat_rate=Decimal(20),
            ),
            Line(
                description="Remplacement filtre à air",
                quantity=Decimal(3),
                unit_price=Decimal("18.50"),
                vat_rate=Decimal(20),
                discount=Decimal(10),
            ),
            Line(
                description="Entretien chaudière gaz, logement",
                quantity=Decimal(1),
                unit_price=Decimal("129.00"),
                vat_rate=Decimal(10),
            ),
        ],
    )
    assert invoice.id == 0
    totals = invoice.totals
    assert (str(totals.excl_tax), str(totals.vat_total), str(totals.incl_tax)) == ("658.95", "118.89", "777.84")
    line = quote.lines[0]
    assert (str(line.quantity), str(line.unit_price), str(line.vat_rate), str(line.discount)) == (
        "12.5",
        "0.10",
        "5.5",
        "2.5",
    )
    assert quote.due_date is None and quote.status is Status.sent and quote.type is PieceType.quote
    assert credit_note.type is PieceType.credit_note and credit_note.contact_id == 7
    assert credit_note.lines[0].discount == 0 and credit_note.notes == "" and credit_note.reference == ""


def test_payments_file_parses_to_exact_values() -> None:
    payments = parse_payments(read(DATA / "payments.csv"), known_numbers={"FA-2026-00042", "AV-2026-00003"})
    assert payments == [
        ("FA-2026-00042", Payment(date=date(2026, 10, 30), amount=Decimal("300.00"), method="virement")),
        ("FA-2026-00042", Payment(date=date(2026, 11, 10), amount=Decimal("477.84"), method="chèque")),
        ("AV-2026-00003", Payment(date=date(2026, 10, 25), amount=Decimal("59.76"), method="")),
    ]
    assert str(payments[0][1].amount) == "300.00"


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    text = (DATA / "contacts.csv").read_text(encoding="utf-8")
    assert parse_contacts(write(text, bom=True)) == parse_contacts(read(DATA / "contacts.csv"))


def test_one_bad_row_refuses_the_file_naming_its_line_and_reason(tmp_path: Path) -> None:
    text = CONTACTS_HEADER + "1,customer,ACME,Ann,ann@example.com,fr\n2,customer,ACME,Bob,bob@example.com,de\n"
    path = write(text)
    with pytest.raises(ImportFailed) as caught:
        parse_contacts(path)
    assert [(e.file, e.line, e.field, e.reason) for e in caught.value.errors] == [
        ("import.csv", 3, "language", "'de' is not one of fr|en|nl")
    ]
    assert caught.value.path == path.name
    assert str(caught.value.errors[0]) == "line 3, language: 'de' is not one of fr|en|nl"
    assert (
        str(caught.value)
        == "import.csv: 1 bad row(s), nothing imported:\n  line 3, language: 'de' is not one of fr|en|nl"
    )


def test_every_bad_row_is_named_with_the_file_line_of_the_row(tmp_path: Path) -> None:
    text = PIECES_HEADER + (
        "FA-1,invoice,2026-13-01,,1,sent,,Visite,1,95.00,20,\n"
        'FA-2,invoice,2026-10-01,,1,sent,,"Visite\nsur deux lignes",1,95.00,20,\n'
        'FA-3,invoice,2026-10-01,,1,sent,,Visite,"1,5",95.00,20,\n'
        "FA-4,bill,2026-10-01,,1,sent,,Visite,1,95.00,20,\n"
        "FA-5,invoice,2026-10-01,,1,sent,,Visite,1,95.00,20,150\n"
        "FA-6,invoice,2026-10-01,2026-09-30,1,sent,,Visite,1,95.00,20,\n"
        "FA-7,invoice,01/10/2026,,1,paid,,Visite,1,95.00,20,\n"
        "FA-8,invoice,2026-10-01,,1,sent,,,1,95.00,20,\n"
        "FA-9,invoice,2026-10-01,,1,sent,,Visite,1,95.00,20\n"
        "FA-10,invoice,2026-10-01,,1,unpaid,,Visite,1,,20,\n"
    )
    assert refused(parse_pieces, write(text), known_contact_ids={1}) == [
        (2, "date: '2026-13-01' is not a date (YYYY-MM-DD)"),
        (5, "quantity: '1,5' is not a number (use a point: 12.50)"),
        (6, "type: 'bill' is not one of " + "|".join(t.value for t in PieceType)),
        (7, "discount: '150' is not a percentage from 0 to 100 (10 for 10 %)"),
        (8, "due_date: '2026-09-30' is before the date '2026-10-01'"),
        (9, "date: '01/10/2026' is not a date (YYYY-MM-DD)"),
        (10, "description: empty, a value is required"),
        (11, "11 values where the header has 12 (quote values that contain a comma)"),
        (12, "status: 'unpaid' is not one of " + "|".join(s.value for s in Status)),
    ]


def test_missing_columns_are_named_in_one_error_on_the_header_line(tmp_path: Path) -> None:
    path = write("id,kind,company,name\n1,customer,ACME,Ann\n")
    assert refused(parse_contacts, path) == [
        (1, "missing column(s): email, language (required: id,kind,company,name,email,language)")
    ]


def test_unknown_and_doubled_columns_are_refused(tmp_path: Path) -> None:
    path = write("id,kind,company,name,email,language,adress,name\n")
    assert refused(parse_contacts, path) == [
        (1, "unknown column(s): 'adress' (optional ones: address, vat_number, phone, send_by_email)"),
        (1, "column(s) given twice: name"),
    ]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    expected = [(1, "the file is empty: a header row is expected (number,date,amount)")]
    assert refused(parse_payments, write(""), known_numbers=set()) == expected
    assert refused(parse_payments, write("\n \n", bom=True), known_numbers=set()) == expected
    assert parse_payments(write("number,date,amount\n"), known_numbers=set()) == []


def test_a_piece_for_an_unknown_contact_is_refused(tmp_path: Path) -> None:
    text = (
        PIECES_HEADER
        + "FA-1,invoice,2026-10-01,,1,sent,,Visite,1,95.00,20,\nFA-2,invoice,2026-10-01,,99,sent,,Visite,1,95.00,20,\n"
    )
    assert refused(parse_pieces, write(text), known_contact_ids={1}) == [
        (3, "contact_id: 99 is not a known contact (import the contacts first)")
    ]


def test_invalid_emails_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    text = CONTACTS_HEADER + (
        "1,customer,ACME,Ann,ann@example.com;jean@@example.fr,fr\n"
        "2,customer,ACME,Bob,bob@example.com,fr\n"
        "2,customer,ACME,Bea,bea@example.com,fr\n"
        "x,client,ACME,Cid,,fr\n"
    )
    errors = refused(parse_contacts, write(text))
    assert [line for line, _ in errors] == [2, 4, 5]
    assert errors[0][1].startswith("email: 'jean@@example.fr' is not a valid email address (")
    assert errors[1][1] == "id: 2 is already used on line 3"
    assert errors[2][1] == "id: 'x' is not a whole number of 1 or more"


def test_rows_of_one_piece_must_agree_on_the_piece_columns(tmp_path: Path) -> None:
    text = PIECES_HEADER + (
        "FA-1,invoice,2026-10-01,,1,sent,vente,Pompe,1,219.00,20,\n"
        "FA-1,invoice,2026-10-01,,1,sent,vente,Joints,2,24.90,20,\n"
        "FA-1,invoice,2026-10-02,,1,sent,vente,Port,1,9.90,20,\n"
        "FA-1,invoice,2026-10-01,,2,sent,vente,Port,1,9.90,20,\n"
    )
    errors = refused(parse_pieces, write(text), known_contact_ids={1, 2})
    assert [line for line, _ in errors] == [4, 5]
    assert errors[0][1].startswith("date: '2026-10-02' differs from line 2 ('2026-10-01') for piece FA-1:")
    assert errors[1][1].startswith("contact_id: '2' differs from line 2 ('1') for piece FA-1:")


def test_notes_may_be_given_once_but_not_twice_differently(tmp_path: Path) -> None:
    header = PIECES_HEADER.strip() + ",notes\n"
    first = "FA-1,invoice,2026-10-01,,1,sent,,Pompe,1,219.00,20,,Merci\n"
    once = header + first + "FA-1,invoice,2026-10-01,,1,sent,,Port,1,9.90,20,,\n"
    [piece] = parse_pieces(write(once), known_contact_ids={1})
    assert piece.notes == "Merci" and len(piece.lines) == 2
    twice = header + first + "FA-1,invoice,2026-10-01,,1,sent,,Port,1,9.90,20,,Danke\n"
    assert refused(parse_pieces, write(twice), known_contact_ids={1}) == [
        (3, "notes: 'Danke' differs from 'Merci' given earlier for piece FA-1")
    ]


def test_payments_need_a_known_number_a_positive_amount_and_a_date(tmp_path: Path) -> None:
    text = "number,date,amount\n" + (
        "FA-1,2026-10-01,10.00\nFA-9,2026-10-01,10.00\nFA-1,2026-10-01,-5\nFA-1,2026-10-01,0.001\nFA-1,,1\n"
    )
    assert refused(parse_payments, write(text), known_numbers={"FA-1"}) == [
        (3, "number: 'FA-9' is not a known piece"),
        (4, "amount: '-5' must be more than 0"),
        (5, "amount: '0.001' has more than two decimals"),
        (6, "date: empty, a date is expected (YYYY-MM-DD)"),
    ]


def test_a_file_that_is_not_utf8_is_refused_at_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((CONTACTS_HEADER + "1,customer,ACME,Ann,,fr\n2,customer,ACME,Hélène,,fr\n").encode("latin-1"))
    assert refused(parse_contacts, read(path)) == [(3, "not UTF-8 text (byte 0xe9): save the file as CSV UTF-8")]


def test_broken_quoting_is_refused_instead_of_swallowing_the_rest_of_the_file(tmp_path: Path) -> None:
    header = PIECES_HEADER.strip() + ",notes\n"
    row = "FA-1,invoice,2026-10-01,,1,sent,,Pompe,1,219.00,20,,{}\n"
    text = header + row.format("ok") + row.format('"Merci, à bientôt') + row.format("ok") + row.format("ok")
    assert refused(parse_pieces, write(text), known_contact_ids={1}) == [(3, "not valid CSV (unexpected end of data)")]
    text = header + row.format("ok") + row.format('"Merci" à bientôt')
    assert refused(parse_pieces, write(text), known_contact_ids={1}) == [(3, "not valid CSV (',' expected after '\"')")]


def test_the_examples_in_docs_formats_parse(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    contacts_csv, pieces_csv, payments_csv = re.findall(r"```csv\n(.*?)```", doc, flags=re.S)
    contacts = parse_contacts(write(contacts_csv))
    assert [c.id for c in contacts] == [1, 2, 7, 12]
    pieces = parse_pieces(write(pieces_csv), known_contact_ids={c.id for c in contacts})
    assert [(p.number, len(p.lines), str(p.totals.incl_tax)) for p in pieces] == [
        ("FA-2026-00042", 3, "777.84"),
        ("DE-2026-00007", 1, "1.29"),
    ]
    numbers = {p.number for p in pieces} | {"AV-2026-00003"}
    payments = parse_payments(write(payments_csv), known_numbers=numbers)
    assert [str(payment.amount) for _, payment in payments] == ["300.00", "477.84", "59.76"]


def test_the_demo_data_written_as_csv_reads_back_identical(tmp_path: Path) -> None:
    """Thousands of rows with accents, apostrophes, commas and multi-line addresses survive the trip exactly."""
    demo = generate_demo(seed=2, today=date(2026, 11, 20))
    contacts_path, pieces_path = tmp_path / "contacts.csv", tmp_path / "pieces.csv"
    with contacts_path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(CONTACT_COLUMNS + CONTACT_OPTIONAL)
        for c in demo.contacts:
            yes_no = "yes" if c.send_by_email else "no"
            emails = ";".join(c.emails)
            writer.writerow(
                [c.id, c.kind, c.company, c.name, emails, c.language, c.address, c.vat_number, c.phone, yes_no]
            )
    with pieces_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(PIECE_COLUMNS + PIECE_OPTIONAL)
        for p in demo.pieces:
            head = [p.number, p.type, p.date, p.due_date or "", p.contact_id, p.status, p.nature]
            for line in p.lines:
                item = [line.description, line.quantity, line.unit_price, line.vat_rate, line.discount]
                writer.writerow([*head, *item, p.notes, p.reference])
    assert parse_contacts(read(contacts_path)) == demo.contacts
    pieces = parse_pieces(read(pieces_path), known_contact_ids={c.id for c in demo.contacts})
    assert len(pieces) == len(demo.pieces) > 8000
    for back, made in zip(pieces, demo.pieces, strict=True):
        assert (back.number, back.type, back.date, back.due_date, back.contact_id, back.status) == (
            made.number,
            made.type,
            made.date,
            made.due_date,
            made.contact_id,
            made.status,
        )
        assert (back.lines, back.nature, back.notes, back.reference) == (
            made.lines,
            made.nature,
            made.notes,
            made.reference,
        )
