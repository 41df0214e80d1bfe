"""batchmail remind and statements on data as users bring it (contacts from a CSV file, invoices under another
program's numbers), mailed to a real SMTP server; then the same day again, and bad values."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from batchmail.domain.company import IssuingCompany
from storage.stores import open_stores
from tests.cli.test_send_end_to_end import add_account, run
from tests.servers.smtpd import smtp_server

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = date.today()
COLUMNS = "number,type,date,due_date,contact_id,status,nature,description,quantity,unit_price,vat_rate,discount"


def invoices(path: Path) -> None:
    """Invoices of contacts 1, 2 and 7 (7 has no address), 40, 12 and 3 days overdue, and one not yet due."""
    rows = [COLUMNS.split(",")]
    for number, contact, days_overdue in (
        ("F1001", 1, 40),
        ("F1002", 1, 12),
        ("F1003", 2, 12),
        ("F1004", 7, 20),
        ("F1005", 2, 3),
        ("F1006", 1, -5),
    ):
        due = TODAY - timedelta(days=days_overdue)
        for line in range(8):
            day = (due - timedelta(days=30)).isoformat()
            rows.append(
                [
                    number,
                    "invoice",
                    day,
                    due.isoformat(),
                    str(contact),
                    "sent",
                    "",
                    f"Article {line}",
                    "2",
                    "12.50",
                    "20",
                    "",
                ]
            )
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "data"
    invoices(tmp_path / "factures.csv")
    assert run(capsys, folder, "import", "contacts", str(DATA / "contacts.csv"))[0] == 0
    code, _, err = run(capsys, folder, "import", "pieces", str(tmp_path / "factures.csv"))
    assert code == 0, err
    with open_stores(folder) as stores:
        stores.company.save(IssuingCompany(name="Rhône Maintenance", email="factures@rhone-maintenance.example.fr"))
    return folder


def test_remind_previews_sends_and_does_not_send_twice_the_same_day(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, data_dir, "remind", "--dry-run", "--json")
    preview = json.loads(out)
    assert code == 0, err
    assert [(m["contact_id"], m["level"], m["pieces"], m["total_due"]) for m in preview["mails"]] == [
        (1, 1, ["F1001", "F1002"], "480.00"),  # 8 lines of 2 x 12.50 at 20 %: 240.00 each
        (2, 1, ["F1003"], "240.00"),
        (7, 1, ["F1004"], "240.00"),
    ]
    assert [(x["number"], x["reason"]) for x in preview["left_out"]] == [
        ("F1005", "3 day(s) overdue: level 1 comes at 7")
    ]

    with smtp_server(username="factures", password="pa55word") as server:
        add_account(capsys, data_dir, server, "pa55word")
        code, out, err = run(capsys, data_dir, "remind", "--json", "--min-days-overdue", "10")
        received = list(server.messages)
        report = json.loads(out)
        assert code == 1, err  # contact 7 has no address: skipped, and named
        assert sorted(m.recipients[0] for m in received) == ["elodie.marchand@example.fr", "helene.muller@example.be"]
        [skipped] = [s for send in report["sends"] for s in send["skipped"]]
        assert skipped["piece"] == "F1004"
        for message in received:
            assert "Rappel : factures échues" in str(message.message["Subject"])
            assert all(part.get_content_type() == "application/pdf" for part in message.message.iter_attachments())

        code, out, _ = run(capsys, data_dir, "remind", "--dry-run", "--min-days-overdue", "10")
        assert "would send a level 1 reminder to Pieter De Smet" in out  # still no address: skipped again
        assert "not reminded F1001 (Élodie Marchand (L'Atelier d'Élodie)): already reminded today" in out
        code, out, _ = run(capsys, data_dir, "remind", "--min-days-overdue", "10")
        assert code == 1 and "skipped       F1004" in out
        assert len(server.messages) == 2

    with open_stores(data_dir) as stores:
        levels = {
            p.number: (p.reminder_level, p.last_reminder)
            for p in stores.pieces.get_many(s.id for s in stores.pieces.summaries())
        }
    assert levels["F1001"] == levels["F1002"] == levels["F1003"] == (1, TODAY)
    assert levels["F1004"] == levels["F1005"] == (0, None)


def test_statements_and_bad_values(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start, end = (TODAY - timedelta(days=120)).isoformat(), TODAY.isoformat()
    code, out, _ = run(
        capsys, data_dir, "statements", "--from", start, "--to", end, "--contact", "1", "--dry-run", "--json"
    )
    [mail] = json.loads(out)["mails"]
    assert code == 0 and mail["pieces"] == ["F1001", "F1002", "F1006"] and mail["total_due"] == "720.00"

    with pytest.raises(SystemExit) as exited:
        run(capsys, data_dir, "remind", "--as-of", "31/12/2026")
    assert exited.value.code == 2 and "'31/12/2026' is not a date" in capsys.readouterr().err
    for args, message in (
        (("remind", "--level", "4"), "--level: 4 is not a dunning level (1 to 3)"),
        (("remind", "--contact", "999"), "--contact: no contact has the id 999"),
        (("remind", "--min-days-overdue", "0"), "--min-days-overdue: 0 (expected 1 or more)"),
        (("statements", "--from", end, "--to", start), "the period starts"),
    ):
        code, _, err = run(capsys, data_dir, *args)
        assert code == 2 and message in err, (args, err)
