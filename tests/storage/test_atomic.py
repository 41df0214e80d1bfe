"""Atomic writes: a killed writer leaves a whole file; a bad file is reported, named, and never touched."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from tinydb import TinyDB

from batchmail.domain.contacts import Contact
from batchmail.errors import StoreError
from storage.atomic import AtomicJSONStorage, storage_of
from storage.stores import open_stores

REPO = Path(__file__).resolve().parents[2]


def whole_state(path: Path) -> int:
    """The number of documents in the file, after checking it is one of the states the writer committed."""
    data = orjson.loads(path.read_bytes())
    count = data["state"]["1"]["count"] if "state" in data else 0
    docs = data.get("docs", {})
    assert sorted(map(int, docs)) == list(range(1, count + 1))
    assert all(doc["payload"] == f"{doc['n']:08d}" * 250 for doc in docs.values())
    return count


def test_a_writer_killed_at_random_moments_leaves_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random()
    counts = [0]
    for _ in range(6):
        writer = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("kill_writer.py")), str(path)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().split() == [b"ready", str(counts[-1]).encode()]
        time.sleep(rng.uniform(0.05, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        counts.append(whole_state(path))
    assert counts == sorted(counts) and counts[-1] > 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"_meta": {"1": {"schema": 1}}, "contacts": {"1": {"id": 1, "na', "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object of tables, found list"),
        (b'{"_meta": {"1": {"schema": 99}}}', "written by a newer BatchMail (schema 99"),
        (b'{"contacts": {}}', "no schema version"),
        (b'{"_meta": {"1": {"schema": 1}}, "contacts": []}', "table 'contacts' is a list"),
        (b'{"_meta": {"1": {"schema": 1}}, "contacts": {"1": {"id": 1}}}', "document 1 is malformed"),
        (b"", "the file is empty"),
    ],
)
def test_a_bad_file_stops_opening_with_its_name_and_stays_untouched(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    data_dir = tmp_path / "data"
    with open_stores(data_dir) as stores:
        stores.contacts.add(Contact(name="Ana"))
    bad = data_dir / "contacts.json"
    bad.write_bytes(content)
    before = os.stat(bad)
    with pytest.raises(StoreError) as caught:
        open_stores(data_dir)
    assert caught.value.path == bad
    assert str(bad) in str(caught.value) and reason in str(caught.value)
    assert bad.read_bytes() == content
    assert os.stat(bad).st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith("contacts")) == ["contacts.json"]
    bad.unlink()
    with open_stores(data_dir) as stores:  # the failed open let go of the directory
        assert stores.contacts.count() == 0


def test_a_failed_write_leaves_memory_equal_to_disk(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.table("t").insert({"amount": "1.10"})
    on_disk = path.read_bytes()
    with pytest.raises(TypeError):
        db.table("t").insert({"amount": Decimal("2.20")})  # orjson refuses Decimal: the write fails
    assert path.read_bytes() == on_disk
    assert storage_of(db).read() == orjson.loads(on_disk)
    assert [dict(doc) for doc in db.table("t").all()] == [{"amount": "1.10"}]


def test_a_failed_repository_write_changes_neither_disk_nor_memory(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        ana = stores.contacts.add(Contact(name="Ana", emails=["ana@example.org"]))
        on_disk = (tmp_path / "contacts.json").read_bytes()
        broken = stores.contacts.get(ana.id)
        broken.name = Decimal("1")  # type: ignore[assignment]
        with pytest.raises(TypeError):
            stores.contacts.update(broken)
        assert (tmp_path / "contacts.json").read_bytes() == on_disk
        assert stores.contacts.get(ana.id).name == "Ana"
        assert stores.contacts.all()[0].name == "Ana"


def test_a_batch_that_raises_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.table("t").insert({"n": 1})
    on_disk = path.read_bytes()
    with pytest.raises(RuntimeError), storage_of(db).batch():
        db.table("t").insert({"n": 2})
        db.table("t").insert({"n": 3})
        raise RuntimeError("stop")
    assert path.read_bytes() == on_disk
    assert len(db.table("t")) == 1
    with storage_of(db).batch():
        db.table("t").insert({"n": 2})
        db.table("t").insert({"n": 3})
        assert path.read_bytes() == on_disk  # nothing written before the end of the block
    assert len(orjson.loads(path.read_bytes())["t"]) == 3


def test_an_older_file_is_migrated_in_memory_and_written_only_with_the_next_change(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    old = b'{"_meta": {"1": {"schema": 1}}, "t": {"1": {"name": "Ana"}}}'
    path.write_bytes(old)

    def add_language(tables: dict) -> None:
        for doc in tables["t"].values():
            doc["language"] = "fr"

    db = TinyDB(path, storage=AtomicJSONStorage, schema=2, migrations={1: add_language})
    assert db.table("t").get(doc_id=1) == {"name": "Ana", "language": "fr"}
    assert path.read_bytes() == old
    db.table("t").insert({"name": "Bo", "language": "nl"})
    written = orjson.loads(path.read_bytes())
    assert written["_meta"]["1"]["schema"] == 2
    assert written["t"]["1"] == {"name": "Ana", "language": "fr"}


def test_a_file_without_its_migration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_bytes(b'{"_meta": {"1": {"schema": 1}}}')
    with pytest.raises(StoreError, match="no migration from schema 1 to 2"):
        AtomicJSONStorage(path, schema=3, migrations={2: lambda tables: None})


def test_a_missing_file_is_an_empty_store_and_opening_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    assert db.table("t").all() == []
    assert not path.exists()
