"""CSV import through the command line: contacts keep their ids, pieces refer to them, payments settle them;
a file with one bad row imports nothing and names the row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from batchmail.cli import main

DATA = Path(__file__).parents[1] / "data"


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_contacts_pieces_and_payments_import_in_turn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    for kind in ("contacts", "pieces", "payments"):
        code, out, err = run(capsys, data_dir, "import", kind, str(DATA / f"{kind}.csv"))
        assert code == 0, err
        assert out.startswith("Imported ")
    pieces = json.loads(run(capsys, data_dir, "list", "--json")[1])
    assert pieces
    assert all(p["contact"] != "?" for p in pieces), "every piece found the contact its file named"
    assert any(p["status"] in ("paid", "partially_paid") for p in pieces)


def test_a_bad_row_imports_nothing_and_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    bad = tmp_path / "contacts.csv"
    shutil.copy(DATA / "contacts.csv", bad)
    with bad.open("a", encoding="utf-8") as out:
        out.write("99,customer,Acme,Bad Row,not-an-address,fr,,,,yes\n")
    lines = bad.read_text(encoding="utf-8").count("\n")
    code, _, err = run(capsys, data_dir, "import", "contacts", str(bad))
    assert code == 2
    assert f"line {lines}, email: 'not-an-address' is not a valid email address" in err
    assert json.loads(run(capsys, data_dir, "list", "--json")[1]) == []
    code, _, _ = run(capsys, data_dir, "import", "contacts", str(DATA / "contacts.csv"))
    assert code == 0
    code, _, err = run(capsys, data_dir, "import", "contacts", str(DATA / "contacts.csv"))
    assert code == 2
    assert "line 2, id: contact 1 already exists" in err
