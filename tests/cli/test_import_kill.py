"""Kill a pieces import (SIGKILL) at points spread over its writes, many times: an import spanning 2025-2027
touches three year files, and after every kill the store holds the pieces it held before or those plus every
imported one, never some of them; an import left undone runs again to the end."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

from batchmail.domain.pieces import PieceType
from storage.pieces import COMMIT_RECORD
from storage.stores import PIECES_FOLDER, open_stores
from tests.cli.processes import batchmail

KILLS = 10
DEADLINE = 120.0  # seconds for one import, on a slow shared machine
YEARS = (2025, 2026, 2027)


def write_contacts(path: Path, count: int) -> None:
    """Customers coded as another program codes them (1001, 1002...), with French names and addresses."""
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "kind", "company", "name", "email", "language", "address"])
        for n in range(1001, 1001 + count):
            address = f"{n} rue de l'Église\n69002 Lyon"
            writer.writerow([n, "customer", f"Société Générale d'Entretien {n}", f"Hélène Dupré {n}",
                             f"compta{n}@example.fr", "fr", address])  # fmt: skip


def write_pieces(path: Path, *, first: int, per_year: int, contacts: int, seed: int) -> int:
    """`per_year` invoices in each of 2025-2027 numbered from `first`, 8 to 15 lines each. Returns the count."""
    chooser = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "type", "date", "due_date", "contact_id", "status", "nature", "description",
                         "quantity", "unit_price", "vat_rate", "discount"])  # fmt: skip
        for year in YEARS:
            for seq in range(first, first + per_year):
                day = date(year, 1, 1) + timedelta(days=chooser.randrange(360))
                head = [f"FA-{year}-{seq:05}", PieceType.invoice, day, day + timedelta(days=30),
                        1001 + chooser.randrange(contacts), "validated", "maintenance"]  # fmt: skip
                for line in range(chooser.randint(8, 15)):
                    price = f"{chooser.randint(100, 99999) / 100:.2f}"
                    writer.writerow([*head, f"Intervention n°{line + 1} « chaudière »", chooser.randint(1, 9),
                                     price, "20", ""])  # fmt: skip
    return per_year * len(YEARS)


def finished(process: subprocess.Popen[bytes]) -> None:
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, err.decode()


def writing_window(data_dir: Path, pieces_csv: Path) -> tuple[float, float]:
    """Seconds from the start of an import to its first temporary file, and to its end (a run to measure)."""
    pieces_dir = data_dir / PIECES_FOLDER
    start = time.monotonic()
    process = batchmail(data_dir, "import", "pieces", str(pieces_csv))
    first_write = None
    while process.poll() is None:
        if first_write is None and any(pieces_dir.glob(".*.tmp")):
            first_write = time.monotonic() - start
        time.sleep(0.0005)
    end = time.monotonic() - start
    finished(process)
    return (first_write if first_write is not None else end * 0.8), end


def held(data_dir: Path) -> dict[str, int]:
    """Each piece's number and its count of lines, as the store holds them after an open."""
    with open_stores(data_dir) as stores:
        ids = [summary.id for summary in stores.pieces.summaries()]
        return {piece.number: len(piece.lines) for piece in stores.pieces.get_many(ids)}


def test_an_import_over_three_years_killed_anywhere_leaves_old_or_new_and_runs_again(tmp_path: Path) -> None:
    contacts_csv, old_csv, new_csv = tmp_path / "contacts.csv", tmp_path / "old.csv", tmp_path / "new.csv"
    write_contacts(contacts_csv, 60)
    write_pieces(old_csv, first=1, per_year=20, contacts=60, seed=1)
    imported = write_pieces(new_csv, first=1001, per_year=400, contacts=60, seed=2)
    before = tmp_path / "before"
    finished(batchmail(before, "import", "contacts", str(contacts_csv)))
    finished(batchmail(before, "import", "pieces", str(old_csv)))
    old = held(before)
    assert {number[3:7] for number in old} == {str(year) for year in YEARS}

    measured = tmp_path / "measured"
    shutil.copytree(before, measured)
    first_write, end = writing_window(measured, new_csv)
    new = held(measured)
    assert len(new) == len(old) + imported

    chooser = random.Random(20261203)
    outcomes = []
    for kill in range(KILLS):
        data_dir = tmp_path / f"killed-{kill}"
        shutil.copytree(before, data_dir)
        # Spread over the writes (where a kill can split them), a little before and after too.
        delay = first_write + (end - first_write) * (kill + chooser.random()) / KILLS - 0.05
        process = batchmail(data_dir, "import", "pieces", str(new_csv))
        time.sleep(max(0.0, delay))
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=DEADLINE)
        state = held(data_dir)
        assert state in (old, new), f"kill {kill} at {delay:.3f} s left {len(state)} pieces ({len(old)} or {len(new)})"
        leftovers = [p.name for p in (data_dir / PIECES_FOLDER).iterdir() if p.name.startswith(".")]
        assert leftovers == [], f"the open after kill {kill} left {leftovers}"
        outcomes.append("old" if state == old else "new")
        if state == old:
            finished(batchmail(data_dir, "import", "pieces", str(new_csv)))
            assert held(data_dir) == new
    assert not (measured / PIECES_FOLDER / COMMIT_RECORD).exists()
    print(f"kills between {first_write:.2f} s and {end:.2f} s: {outcomes}")
