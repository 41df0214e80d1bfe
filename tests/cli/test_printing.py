"""Printing through the command line on the demo company: each PDF is written, parses, and shows the contact's
name and a total this test computes on its own from `batchmail list --json` or from the stored pieces. Then the
batch PDF (every piece of the batch in one file) and the names the files are saved under."""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from batchmail.cli import main
from batchmail.documents.file_names import pdf_file_name, summary_filename
from batchmail.documents.pdf import PdfRenderer
from batchmail.documents.pdf_files import page_count
from batchmail.domain.formatting import format_money, plain_spaces
from batchmail.domain.pieces import Line, Piece, PieceType, Status
from batchmail.errors import InvalidInput
from batchmail.wiring import open_app
from storage.stores import Stores, open_stores
from tests.documents.pdfkit import pdf_pages
from tests.sendkit import opened

ZERO = Decimal("0.00")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("printing") / "data"
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    return data_dir


@pytest.fixture(scope="module")
def listing(demo_dir: Path) -> list[dict[str, Any]]:
    return _list(demo_dir)


def _list(demo_dir: Path) -> list[dict[str, Any]]:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        assert main(["--data-dir", str(demo_dir), "list", "--json"]) == 0
    rows: list[dict[str, Any]] = json.loads(out.getvalue())
    return rows


def run(capsys: pytest.CaptureFixture[str], demo_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(demo_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def printed(capsys: pytest.CaptureFixture[str], demo_dir: Path, out_file: Path, *args: str) -> str:
    """Run a printing command; check the file it says it wrote; return the PDF's text on one line."""
    code, out, err = run(capsys, demo_dir, *args, "-o", str(out_file))
    assert code == 0, err
    pdf = out_file.read_bytes()
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert page_count(pdf) == pages
    assert out.strip() == f"Wrote {out_file} ({pages} page{'s' if pages > 1 else ''})"
    assert not list(out_file.parent.glob(f".{out_file.name}.*")), "no temporary file left behind"
    return " ".join(" ".join(pdf_pages(pdf)).split())


def money(amount: Decimal) -> str:
    return plain_spaces(format_money(amount, "fr"))


def company_of(listing: list[dict[str, Any]], contact_id: int) -> str:
    return next(str(row["company"]) for row in listing if row["contact_id"] == contact_id)


def open_balance(row: dict[str, Any]) -> Decimal:
    """What a listed invoice adds to the customer's debt, a credit note takes off; nothing for other pieces."""
    sign = {"invoice": 1, "credit_note": -1}.get(row["type"], 0)
    return sign * Decimal(row["balance"])


# Contact 1 of the demo is Élodie Marchand of L'Atelier d'Élodie, French, with two colleagues.
CONTACT = 1


def test_a_statement_covers_the_whole_company(
    demo_dir: Path, listing: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    company = company_of(listing, CONTACT)
    theirs = [row for row in listing if row["company"] == company]
    assert len({row["contact_id"] for row in theirs}) > 1
    expected = sum((open_balance(row) for row in theirs), ZERO)
    today = date.today()
    late = [r for r in theirs if r["type"] == "invoice" and r["due_date"] and r["due_date"] < today.isoformat()]
    overdue = [r for r in late if Decimal(r["balance"]) > 0]
    assert overdue, "the demo has late invoices"

    out_file = tmp_path / "statement.pdf"
    text = printed(capsys, demo_dir, out_file, "statement", "--contact", str(CONTACT))

    assert "RELEVÉ DE FACTURES" in text and company in text
    assert "Élodie Marchand" in text
    assert f"Solde dû {money(expected)}" in text
    assert f"Dont échu {money(sum((Decimal(r['balance']) for r in overdue), ZERO))}" in text
    first = min(overdue, key=lambda r: r["date"])
    days = (today - date.fromisoformat(first["due_date"])).days
    lines = "\n".join(pdf_pages(out_file.read_bytes())).splitlines()
    row = next(i for i, line in enumerate(lines) if f"Facture {first['number']}" in line)
    assert f"échue depuis {days} j" in " ".join(lines[row : row + 2])  # the mark, on the line or just below


def test_a_statement_over_a_period_and_bad_periods(
    demo_dir: Path, listing: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, end = date.today().replace(day=1) - timedelta(days=90), date.today().replace(day=1) - timedelta(days=1)
    args = ("statement", "--contact", str(CONTACT), "--from", start.isoformat(), "--to", end.isoformat())
    text = printed(capsys, demo_dir, tmp_path / "period.pdf", *args)

    assert f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}" in text
    assert "Solde antérieur" in text and "Solde dû" in text

    code, _, err = run(capsys, demo_dir, *args[:3], "--from", "2026-05-01", "--to", "2026-01-01", "-o", "x.pdf")
    assert code == 2 and "after it ends" in err
    code, _, err = run(capsys, demo_dir, "statement", "--contact", "9999", "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "no contact with id 9999" in err
    assert not (tmp_path / "x.pdf").exists()


def test_the_balance_of_every_customer(
    demo_dir: Path, listing: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = date.today()
    buckets: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in listing:
        if open_balance(row):
            late = (today - date.fromisoformat(row["due_date"] or row["date"])).days
            buckets[0 if late <= 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4] += (
                open_balance(row)
            )
    totals = " ".join(money(buckets[i]) for i in range(5))

    text = printed(capsys, demo_dir, tmp_path / "balance.pdf", "balance")

    assert "BALANCE CLIENT" in text and "Élodie Marchand" in text
    assert f"Total {totals} {money(sum(buckets.values(), ZERO))}" in text


def test_the_balance_of_a_selection_on_a_past_day(
    demo_dir: Path, listing: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    as_of = date.today() - timedelta(days=200)
    pieces = _stored_pieces(demo_dir, CONTACT)
    expected = ZERO
    for piece in pieces:
        if piece.date <= as_of:
            paid = sum((p.amount for p in piece.payments if p.date <= as_of), ZERO)
            expected += piece.type.sign * (_incl_tax(piece) - paid)

    args = ("balance", "--as-of", as_of.isoformat(), "--contact", str(CONTACT))
    text = printed(capsys, demo_dir, tmp_path / "selection.pdf", *args)

    assert "Élodie Marchand" in text and "Aurélien" not in text  # her colleagues were not asked for
    assert re.search(rf"Total( -?[\d  ]+,\d\d €){{5}} {re.escape(money(expected))}", text)


def test_the_consumption_list(demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    end = date.today()
    start = end - timedelta(days=365)
    expected = ZERO
    for piece in _stored_pieces(demo_dir, CONTACT):
        if start <= piece.date <= end:
            expected += piece.type.sign * sum((_excl_tax(line) for line in piece.lines), ZERO)
    args = ("consumption", "--contact", str(CONTACT), "--from", start.isoformat(), "--to", end.isoformat())

    text = printed(capsys, demo_dir, tmp_path / "consumption.pdf", *args)

    assert "LISTE DES CONSOMMATIONS" in text and "Élodie Marchand" in text
    assert re.search(rf"Total -?[\d  ,]+ {re.escape(money(expected))}", text)
    with pytest.raises(SystemExit) as exit_info:  # --from and --to are required
        main(["--data-dir", str(demo_dir), "consumption", "--contact", "1", "-o", str(tmp_path / "c.pdf")])
    assert exit_info.value.code == 2


def test_render_one_piece_by_number(
    demo_dir: Path, listing: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = next(r for r in listing if r["type"] == "invoice" and r["status"] == "partially_paid")

    text = printed(capsys, demo_dir, tmp_path / "piece.pdf", "render", row["number"])

    assert row["number"] in text and row["contact"] in text
    assert f"Solde dû {money(Decimal(row['balance']))}" in text
    code, _, err = run(capsys, demo_dir, "render", "FA-1999-00001", "-o", str(tmp_path / "none.pdf"))
    assert code == 2 and "FA-1999-00001" in err
    with pytest.raises(SystemExit):
        main(["--data-dir", str(demo_dir), "render", row["number"]])  # -o is required


async def test_a_generated_piece_names_its_origin(demo_dir: Path) -> None:
    with opened(demo_dir) as (services, stores):
        ids = [s.id for s in stores.pieces.summaries() if s.type.value == "invoice"]
        generated = next(p for p in stores.pieces.get_many(ids) if p.origin_ids)
        origin = stores.pieces.get(generated.origin_ids[0])

        text = " ".join(" ".join(pdf_pages(await services.printing.piece_pdf(generated.id))).split())

    assert generated.number in text and f"Suivant Commande {origin.number}" in text


def _stored_pieces(demo_dir: Path, contact_id: int) -> list[Any]:
    """The contact's counted pieces, read from the stores as they are."""
    with open_stores(demo_dir) as stores:
        ids = [
            s.id
            for s in stores.pieces.summaries()
            if s.contact_id == contact_id
            and s.type.value in ("invoice", "credit_note")
            and s.status.value not in ("draft", "cancelled")
        ]
        return stores.pieces.get_many(ids)


def _excl_tax(line: Any) -> Decimal:
    gross = line.quantity * line.unit_price * (100 - line.discount) / 100
    return Decimal(gross).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _incl_tax(piece: Any) -> Decimal:
    """Excl. tax per line, VAT per rate on the rate's sum, each to the cent (the rule of pieces.py's docstring)."""
    bases: defaultdict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in piece.lines:
        bases[line.vat_rate] += _excl_tax(line)
    vat = sum(
        ((base * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for rate, base in bases.items()), ZERO
    )
    return sum(bases.values(), ZERO) + vat


# -- the batch PDF --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_invoice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store of its own (the CLI tests above count the shared one) with a 60-line invoice: several pages."""
    data_dir = tmp_path_factory.mktemp("batch") / "data"
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    with open_stores(data_dir) as stores:
        lines = [
            Line(description=f"Article {n:02d}", quantity=Decimal(n), unit_price=Decimal("1.00"), vat_rate=Decimal(20))
            for n in range(1, 61)
        ]
        piece = Piece(
            type=PieceType.invoice, date=date.today(), contact_id=CONTACT, status=Status.validated, lines=lines
        )
        stores.pieces.add(piece)
    return data_dir


def _batch_of(stores: Stores) -> list[int]:
    """Seven pieces of several types and contacts, the long invoice in the middle, a generated piece, in an order
    that is neither by id nor by date."""
    summaries = stores.pieces.summaries()
    long_one = max(summaries, key=lambda s: s.id).id
    generated = next(p.id for p in stores.pieces.get_many([s.id for s in summaries[:400]]) if p.origin_ids)
    others = [s.id for s in summaries[100:1000:180]]
    return [*others[:3][::-1], long_one, generated, *others[3:]]


async def test_the_batch_pdf_holds_every_piece_in_batch_order(long_invoice_dir: Path) -> None:
    renderer = PdfRenderer(cache_dir=long_invoice_dir / "pdf-cache")
    try:
        with opened(long_invoice_dir, renderer) as (services, stores):
            ids = _batch_of(stores)
            numbers = [p.number for p in stores.pieces.get_many(ids)]
            alone = [len(PdfReader(io.BytesIO(await services.printing.piece_pdf(i))).pages) for i in ids]
            renders = renderer.renders
            progress: list[tuple[int, int]] = []

            printed = await services.printing.batch_pdf(
                ids, on_progress=lambda done, total: progress.append((done, total))
            )
            again = await services.printing.batch_pdf(ids)
    finally:
        renderer.close()

    assert max(alone) > 1 and len(set(ids)) == len(ids) == 7
    assert renderer.renders == renders, "every piece came from the renderer's cache"
    reader = PdfReader(io.BytesIO(printed.pdf))
    assert printed.pages == len(reader.pages) == sum(alone)
    assert printed.pieces == len(ids)
    assert progress == [(done, len(ids)) for done in range(1, len(ids) + 1)]
    first_pages = [sum(alone[:index]) for index in range(len(ids))]
    for number, first, count in zip(numbers, first_pages, alone, strict=True):
        for page in range(first, first + count):
            assert number in reader.pages[page].extract_text(), (number, page)
    assert again.pdf == printed.pdf


async def test_the_batch_pdf_skips_pieces_deleted_since_and_refuses_an_empty_batch(long_invoice_dir: Path) -> None:
    with opened(long_invoice_dir) as (services, stores):
        piece_id = stores.pieces.summaries()[0].id
        missing = max(s.id for s in stores.pieces.summaries()) + 1
        printed = await services.printing.batch_pdf([missing, piece_id])
        with pytest.raises(InvalidInput, match="empty"):
            await services.printing.batch_pdf([missing])
        with pytest.raises(InvalidInput):
            await services.printing.batch_pdf([])
        contacts = await services.printing.batch_contacts(_batch_of(stores))
        expected = dict.fromkeys(p.contact_id for p in stores.pieces.get_many(_batch_of(stores)))

    assert printed.pieces == 1
    assert [c.id for c in contacts] == list(expected)


async def test_summary_files_are_named_for_the_reader(demo_dir: Path) -> None:
    services = open_app(demo_dir)
    try:
        start, end = date(2026, 1, 1), date(2026, 3, 31)
        statement = await services.printing.statement(CONTACT, start=start, end=end)
        whole = await services.printing.statement(CONTACT)
        balance = await services.printing.aged_balance(as_of=end)
        consumption = await services.printing.consumption(CONTACT, start=start, end=end)
    finally:
        services.close()

    company = "L_Atelier_d_Elodie"
    assert statement.contact.company == "L'Atelier d'Élodie"
    assert summary_filename(statement, "fr") == f"Releve_de_factures_{company}_2026-01-01_2026-03-31.pdf"
    assert summary_filename(whole, "en") == f"Statement_of_invoices_{company}_{date.today().isoformat()}.pdf"
    assert summary_filename(balance, "fr") == "Balance_client_2026-03-31.pdf"
    assert summary_filename(consumption, "en") == f"Consumption_list_{company}_2026-01-01_2026-03-31.pdf"
    assert pdf_file_name("Lot 12 pièces", "", "2026-11-25") == "Lot_12_pieces_2026-11-25.pdf"
    assert pdf_file_name("../../etc/passwd") == "etc_passwd.pdf"
