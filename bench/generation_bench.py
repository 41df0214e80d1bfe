"""Benchmark of generation and reminders on a store of 100,000 pieces (bench/store_bench.py's): 1,000 orders
transformed into invoices, previewed then created, and the reminder preview of every overdue invoice, through the
services the Generate and Remind tabs and `batchmail generate` and `remind` call.

    python bench/generation_bench.py                  # generate the store into a temporary folder, then delete it
    python bench/generation_bench.py --data-dir DIR   # reuse DIR if it holds a store (a copy is measured on)

The measures run in a fresh process on a copy of the store, so the store can be reused as it was. Target: preview
and creation together under 10 s; the reminder preview under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_bench import generate

TARGET_S = 10.0
REMINDER_TARGET_S = 2.0
ORDERS = 1_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="a store of bench/store_bench.py's to reuse (kept as it is)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the fresh measuring process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    temp = Path(tempfile.mkdtemp(prefix="batchmail-bench-"))
    try:
        source = args.data_dir or temp / "store"
        if not (source / "pieces").exists():
            started = time.perf_counter()
            generate(source, pieces=100_000, contacts=2_000, years=10)
            print(f"generated 100,000 pieces in {time.perf_counter() - started:.1f} s into {source}")
        copy = temp / "measured"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("*.lock"))
        run = subprocess.run(
            [sys.executable, __file__, "--measure", str(copy)], capture_output=True, text=True, check=False
        )
        if run.returncode:
            sys.exit(f"measuring failed:\n{run.stderr}")
        report(json.loads(run.stdout))
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def report(figures: dict[str, float]) -> None:
    total = figures["preview_s"] + figures["create_s"]
    print(f"{figures['pieces']:,} pieces; {figures['orders']:,} orders transformed into invoices")
    print(f"  select the orders          {figures['select_s']:6.2f} s")
    print(f"  preview (numbers, totals)  {figures['preview_s']:6.2f} s")
    print(f"  create, one commit         {figures['create_s']:6.2f} s")
    verdict = "ok" if total < TARGET_S else "MISSED"
    print(f"  preview + create           {total:6.2f} s  < {TARGET_S:g} s {verdict}")
    verdict = "ok" if figures["remind_s"] < REMINDER_TARGET_S else "MISSED"
    print(
        f"  reminder preview           {figures['remind_s']:6.2f} s  < {REMINDER_TARGET_S:g} s {verdict} "
        f"({figures['overdue']:,} overdue invoices: {figures['reminder_mails']:,} mails, "
        f"{figures['left_out']:,} left out)"
    )
    if not figures["checked"]:
        sys.exit("the created invoices or their converted orders are not as previewed")


async def measure(data_dir: Path) -> dict[str, float]:
    from batchmail.domain.generation import GenerationRequest, Mode
    from batchmail.domain.pieces import PieceType, Status
    from batchmail.domain.reminders import ReminderRequest
    from batchmail.domain.selection import Criteria
    from batchmail.wiring import open_app

    app = open_app(data_dir)
    try:
        started = time.perf_counter()
        in_force = frozenset({Status.validated, Status.sent})
        rows = await app.workspace.find(Criteria(types=frozenset({PieceType.order}), statuses=in_force))
        orders = [row.summary.id for row in rows[:ORDERS]]
        selected = time.perf_counter()
        last_day = max(summary.date for summary in app._stores.pieces.summaries())
        request = GenerationRequest(mode=Mode.transform, day=max(last_day, date.today()), into=PieceType.invoice)
        preview = await app.generation.preview(orders, request)
        previewed = time.perf_counter()
        made = await app.generation.generate(orders, request)
        created = time.perf_counter()
        origins = app._stores.pieces.get_many(orders)
        as_of = date(last_day.year, 6, 30)  # mid-year: the year's invoices not yet paid are overdue
        overdue = sum(1 for s in app._stores.pieces.summaries() if s.type is PieceType.invoice and s.is_overdue(as_of))
        before_reminders = time.perf_counter()
        reminders = await app.reminders.preview(ReminderRequest(as_of=as_of))
        reminded = time.perf_counter()
        checked = (
            [p.number for p in made.created] == [p.number for p in preview.created]
            and len(made.created) == len(orders)
            and all(o.status is Status.converted and o.derived_ids for o in origins)
        )
        return {
            "pieces": app._stores.pieces.count(),
            "orders": len(orders),
            "select_s": selected - started,
            "preview_s": previewed - selected,
            "create_s": created - previewed,
            "checked": checked,
            "remind_s": reminded - before_reminders,
            "overdue": overdue,
            "reminder_mails": len(reminders.mails),
            "left_out": len(reminders.left_out),
        }
    finally:
        app.close()


if __name__ == "__main__":
    main()
