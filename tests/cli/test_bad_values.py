"""Values no one means, through the command line: numbers out of any range, ids that already exist, a piece number
that names no piece, data files broken by hand. Each gets a named error (file, line, field) and exit 2, and
nothing is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchmail.cli import main
from tests.cli.test_accounts import add_brevo
from tests.servers.brevo import BrevoServer, brevo_server

DATA = Path(__file__).parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data directory holding the test data's contacts and pieces."""
    folder = tmp_path / "data"
    for kind in ("contacts", "pieces"):
        imported(capsys, folder, kind)
    return folder


def imported(capsys: pytest.CaptureFixture[str], data_dir: Path, kind: str) -> None:
    code, _, err = run(capsys, data_dir, "import", kind, str(DATA / f"{kind}.csv"))
    assert code == 0, err


def edited(tmp_path: Path, kind: str, line: int, column: str, value: str) -> Path:
    """The test data's `kind` file with the cell at `line` (the header being line 1) and `column` replaced."""
    rows = (DATA / f"{kind}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = rows[0].rstrip("\n").split(",")
    cells = rows[line - 1].rstrip("\n").split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells) + "\n"
    path = tmp_path / f"{kind}-edited.csv"
    path.write_text("".join(rows), encoding="utf-8")
    return path


HUGE = "9" * 400


@pytest.mark.parametrize(
    ("kind", "column", "value", "reason"),
    [
        ("pieces", "quantity", HUGE, f"{HUGE[:40]!r} is too large (at most 999,999,999,999)"),
        ("pieces", "unit_price", HUGE, f"{HUGE[:40]!r} is too large (at most 999,999,999,999)"),
        ("pieces", "unit_price", "1e999999999", "'1e999999999' is too large (at most 999,999,999,999)"),
        ("pieces", "contact_id", "1" * 5000, f"{'1' * 40!r} is too large (at most 9 digits)"),
        ("payments", "amount", HUGE, f"{HUGE[:40]!r} is too large (at most 999,999,999,999)"),
    ],
)
def test_a_number_out_of_range_is_named_and_nothing_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, column: str, value: str, reason: str
) -> None:
    data_dir = tmp_path / "data"
    imported(capsys, data_dir, "contacts")
    if kind == "payments":
        imported(capsys, data_dir, "pieces")
    before = json.loads(run(capsys, data_dir, "list", "--json")[1])
    path = edited(tmp_path, kind, 3, column, value)
    code, out, err = run(capsys, data_dir, "import", kind, str(path))
    assert code == 2
    assert out == ""
    assert err.startswith(f"batchmail: {path}: 1 bad row(s), nothing imported:")
    assert f"line 3, {column}: {reason}" in err
    assert "Traceback" not in err
    assert json.loads(run(capsys, data_dir, "list", "--json")[1]) == before


def test_a_contact_id_of_5000_digits_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = edited(tmp_path, "contacts", 2, "id", "7" * 5000)
    code, _, err = run(capsys, tmp_path / "data", "import", "contacts", str(path))
    assert code == 2
    assert f"line 2, id: {'7' * 40!r} is too large (at most 9 digits)" in err


def test_importing_the_same_files_again_names_the_lines_that_exist(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, data_dir, "import", "contacts", str(DATA / "contacts.csv"))
    assert code == 2
    assert "line 2, id: contact 1 already exists" in err
    code, _, err = run(capsys, data_dir, "import", "pieces", str(DATA / "pieces.csv"))
    assert code == 2
    assert "line 2, number: piece number FA-2026-00042 already exists" in err
    assert "line 3, number" not in err, "a piece of several rows is named once, on its first row"


def test_sending_or_listing_an_unknown_number_says_so(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, data_dir, "send", "--number", "FA-2026-00042", "--number", "FA-9999", "--dry-run")
    assert code == 2
    assert out == ""
    assert err == "batchmail: --number: no piece is numbered FA-9999\n"
    code, out, err = run(capsys, data_dir, "list", "--number", "FA-9999")
    assert (code, err) == (2, "batchmail: --number: no piece is numbered FA-9999\n")
    code, out, _ = run(capsys, data_dir, "list", "--number", "FA-2026-00042", "--json")
    assert code == 0
    assert [row["number"] for row in json.loads(out)] == ["FA-2026-00042"]


def test_a_contact_id_held_twice_in_the_store_is_refused_on_open(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_dir / "contacts.json"
    store = json.loads(path.read_text(encoding="utf-8"))
    store["contacts"]["99"] = store["contacts"]["1"]
    path.write_text(json.dumps(store), encoding="utf-8")
    edited_bytes = path.read_bytes()
    code, out, err = run(capsys, data_dir, "list")
    assert code == 2
    assert out == ""
    assert err == f"batchmail: {path}: document 99 holds contact 1\n"
    assert path.read_bytes() == edited_bytes, "the file is left as it was, for the user to mend"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX devices and named pipes")
def test_an_attachment_that_is_a_device_or_a_pipe_exits_2_at_once(data_dir: Path, tmp_path: Path) -> None:
    pipe = tmp_path / "conditions.pdf"
    os.mkfifo(pipe)
    for attached in ("/dev/zero", str(pipe)):
        command = [sys.executable, "-m", "batchmail.cli", "--data-dir", str(data_dir), "send", "--attach", attached]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2
        assert done.stderr == f"batchmail: attachment {attached}: not a plain file (a folder, a device or a pipe)\n"


@pytest.fixture
def brevo() -> Iterator[BrevoServer]:
    with brevo_server() as server:
        yield server


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_a_corrupt_secrets_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], brevo: BrevoServer, content: bytes
) -> None:
    data_dir = tmp_path / "data"
    add_brevo(capsys, data_dir, brevo)
    (data_dir / "secrets.json").write_bytes(content)
    code, out, err = run(capsys, data_dir, "account", "test", "brevo")
    assert code == 2
    assert out == ""
    assert err.startswith(f"batchmail: {data_dir / 'secrets.json'}: ")
    assert "fix or remove it" in err
    assert "Traceback" not in err
