"""The data directory: one owner at a time, a schema version in every file, stale temporary files cleared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from batchmail.domain.contacts import Contact
from batchmail.errors import StoreLocked
from batchmail.sending.accounts import mailbox_account
from storage.stores import SCHEMAS, open_stores
from tests.storage.conftest import make_piece

REPO = Path(__file__).resolve().parents[2]


def test_a_second_open_of_the_same_directory_is_refused(tmp_path: Path) -> None:
    with open_stores(tmp_path):
        with pytest.raises(StoreLocked) as caught:
            open_stores(tmp_path)
        assert caught.value.path == tmp_path
        assert "in use by another BatchMail process" in str(caught.value)
    with open_stores(tmp_path):  # closed: free again
        pass


def test_another_process_cannot_open_it_either(tmp_path: Path) -> None:
    script = (
        "import sys\nfrom pathlib import Path\nfrom batchmail.errors import StoreLocked\n"
        "from storage.stores import open_stores\n"
        "try:\n    open_stores(Path(sys.argv[1]))\nexcept StoreLocked as err:\n    print('locked:', err)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open_stores(tmp_path):
        run = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env, check=False
        )
    assert run.stdout.startswith(f"locked: {tmp_path}: in use by another BatchMail process"), run.stderr
    run = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env, check=False
    )
    assert run.returncode == 0 and run.stdout == ""


def test_every_file_carries_its_schema_version_and_the_data_survives_a_reopen(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        stores.contacts.add(Contact(name="Ana"))
        stores.pieces.add(make_piece())
        stores.accounts.add(mailbox_account())
        stores.settings.set("language", "fr")
    files = {
        "contacts.json": "contacts",
        "company.json": "company",
        "accounts.json": "accounts",
        "pieces/2026.json": "pieces",
    }
    for name, kind in files.items():
        assert orjson.loads((tmp_path / name).read_bytes())["_meta"] == {"1": {"schema": SCHEMAS[kind]}}
    with open_stores(tmp_path) as stores:
        assert [c.name for c in stores.contacts.all()] == ["Ana"]
        assert stores.pieces.get(1).number == "FA-2026-00001"
        assert stores.settings.get("language") == "fr"
        assert stores.accounts.get("test-mailbox") == mailbox_account()


def test_opening_writes_no_file_and_clears_temporary_files_left_by_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pieces").mkdir()
    leftover = tmp_path / "pieces" / ".2026.json.k3j2.tmp"
    leftover.write_bytes(b'{"half')
    with open_stores(tmp_path):
        pass
    assert not leftover.exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [".lock"]
