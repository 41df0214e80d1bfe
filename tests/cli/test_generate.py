"""batchmail generate on data as users bring it: contacts from a CSV file, delivery notes of 8 to 15 lines under
another program's numbers, consolidated into one invoice per customer and mailed to a real SMTP server."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from batchmail.domain.company import IssuingCompany
from batchmail.domain.generation import GenerationSettings, Transformation
from batchmail.domain.pieces import PieceType, Status
from storage.stores import open_stores
from tests.cli.test_send_end_to_end import SENDER, add_account, pdf_text, run
from tests.servers.smtpd import smtp_server

DATA = Path(__file__).resolve().parents[1] / "data"
CUSTOMERS = (1, 2, 7)  # 7 has no email address
RATES = ("20", "10", "5.5")
COLUMNS = "number,type,date,due_date,contact_id,status,nature,description,quantity,unit_price,vat_rate,discount"


def delivery_notes(path: Path) -> dict[str, list[tuple[Decimal, Decimal]]]:
    """Two delivery notes per customer, 8 to 15 lines each; returns each note's (amount excl. tax, VAT rate)
    per line, computed here from the values written."""
    rng = random.Random(11)
    lines: dict[str, list[tuple[Decimal, Decimal]]] = {}
    rows = [COLUMNS.split(",")]
    for n, contact in enumerate(CUSTOMERS * 2):
        number = f"BL{1042 + n}"
        day = date(2026, 11, 3 + 4 * n).isoformat()
        for k in range(rng.randint(8, 15)):
            quantity, price = Decimal(rng.randint(1, 12)), Decimal(rng.randint(50, 99999)) / 100
            rate, discount = rng.choice(RATES), Decimal(rng.choice((0, 0, 5, 12.5)))
            amount = quantity * price * (100 - discount) / 100
            lines.setdefault(number, []).append((amount.quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal(rate)))
            row = [number, "delivery_note", day, "", str(contact), "validated", "livraison", f"Article {k + 1}"]
            rows.append([*row, str(quantity), str(price), rate, str(discount)])
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return lines


def invoice_total(notes: list[list[tuple[Decimal, Decimal]]]) -> Decimal:
    """Bases per rate summed over the notes, VAT rounded once per rate: how an invoice of those lines totals."""
    bases: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
    for note in notes:
        for amount, rate in note:
            bases[rate] += amount
    vat = sum((base * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP) for rate, base in bases.items())
    return sum(bases.values()) + vat


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict[str, list]]:
    data_dir = tmp_path / "data"
    notes = delivery_notes(tmp_path / "livraisons.csv")
    assert run(capsys, data_dir, "import", "contacts", str(DATA / "contacts.csv"))[0] == 0
    code, _, err = run(capsys, data_dir, "import", "pieces", str(tmp_path / "livraisons.csv"))
    assert code == 0, err
    with open_stores(data_dir) as stores:
        stores.company.save(IssuingCompany(name="Rhône Maintenance", payment_terms_days=30))
    return data_dir, notes


CONSOLIDATE = ("generate", "consolidate", "--type", "delivery_note", "--into", "invoice", "--date", "2026-12-01")


def test_consolidated_invoices_are_previewed_created_and_mailed(
    data_dir: tuple[Path, dict[str, list]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, notes = data_dir
    code, out, err = run(capsys, folder, *CONSOLIDATE, "--dry-run", "--json")
    preview = json.loads(out)
    assert code == 0, err
    assert [p["number"] for p in preview["created"]] == ["FA-2026-00001", "FA-2026-00002", "FA-2026-00003"]
    with open_stores(folder) as stores:
        assert stores.pieces.count() == len(notes)

    with smtp_server(username="factures", password="pa55word") as server:
        add_account(capsys, folder, server, "pa55word")
        code, out, err = run(capsys, folder, *CONSOLIDATE, "--send", "--json")
        received = list(server.messages)
    report = json.loads(out)

    created = report["generation"]["created"]
    assert code == 1, err  # contact 7 has no address: its invoice is created, not mailed
    assert [p["number"] for p in created] == [p["number"] for p in preview["created"]]
    for piece in created:
        expected = invoice_total([notes[number] for number in piece["origins"]])
        assert Decimal(piece["incl_tax"]) == expected and piece["status"] == "validated"
    assert [s["reason"] for s in report["send"]["skipped"]] == ["the contact does not receive documents by email"]
    assert len(received) == 2
    by_number = {p["number"]: p for p in created}
    for message in received:
        [attachment] = list(message.message.iter_attachments())
        text = " ".join(pdf_text(attachment.get_content()).split())
        piece = next(by_number[n] for n in by_number if n in str(message.message["Subject"]))
        assert message.mail_from == SENDER
        assert f"Suivant {', '.join(piece['origins'])}" in text
        for origin in piece["origins"]:
            assert f"Bon de livraison {origin} du" in text

    with open_stores(folder) as stores:
        for piece in created:
            stored = stores.pieces.get(piece["id"])
            assert stored.type is PieceType.invoice and len(stored.origin_ids) == 2
            for origin in stores.pieces.get_many(stored.origin_ids):
                assert origin.status is Status.converted and origin.derived_ids == [stored.id]

    code, out, _ = run(capsys, folder, *CONSOLIDATE, "--json")
    again = json.loads(out)
    assert code == 1 and again["created"] == [] and len(again["refused"]) == len(notes)
    assert all(r["reason"].startswith("already transformed") for r in again["refused"])


def test_bad_input_is_named_and_writes_nothing(
    data_dir: tuple[Path, dict[str, list]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, notes = data_dir
    with pytest.raises(SystemExit) as exited:
        run(capsys, folder, "generate", "duplicate", "--date", "2026-13-01")
    assert exited.value.code == 2 and "'2026-13-01' is not a date" in capsys.readouterr().err

    code, _, err = run(capsys, folder, "generate", "duplicate", "--date", "2026-12-01", "--contact", "999")
    assert code == 2 and "no piece selected" in err

    code, out, _ = run(capsys, folder, "generate", "transform", "--into", "quote", "--number", "BL1042")
    assert code == 1 and "refused BL1042 (Élodie Marchand (L'Atelier d'Élodie)): a delivery_note cannot become" in out

    with open_stores(folder) as stores:
        stores.settings.set("generation", GenerationSettings(enabled=frozenset()).to_json())
    code, out, _ = run(capsys, folder, "generate", "transform", "--into", "invoice", "--number", "BL1042")
    assert code == 1 and "delivery_note to invoice is not enabled in the settings" in out

    code, out, _ = run(capsys, folder, "generate", "duplicate", "--date", "2026-12-01", "--number", "BL1043")
    assert code == 0 and "created BL-2026-00001 (delivery_note, draft)" in out
    with open_stores(folder) as stores:
        assert stores.pieces.count() == len(notes) + 1
        enabled = GenerationSettings.from_json(stores.settings.get("generation")).enabled
        assert Transformation(PieceType.delivery_note, PieceType.invoice) not in enabled
