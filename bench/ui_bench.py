"""Benchmark of the main screen at scale: 100,000 pieces, through the workspace service and in Chromium.

    python bench/ui_bench.py                  # generate into a temporary folder, measure, delete it
    python bench/ui_bench.py --data-dir DIR   # reuse DIR if it holds a store (bench/store_bench.py's), else fill it
    python bench/ui_bench.py --send 0         # skip the send that runs while the page is used

Service figures come from a fresh process: opening the data directory (`Services.open`), the first filter (which
indexes the pieces), then the filters the grid asks for (`workspace.matching_page`: count, totals and the first
block of rows), each the median of 5 runs with no kept result, wall clock and CPU time. Browser figures come from
the real app (`batchmail run --browser`) driven by Debian's Chromium: page open to first grid rows (the first open
after the app started, then the median of `--opens` opens in fresh browser contexts, so nothing cached), then
filter changes to updated rows, then the same while a batch of `--send` pieces is being sent to the test mailbox.
Beside each browser figure, the app process's CPU time over the operation (from /proc: less at the mercy of other
processes on a shared machine than the wall clock). Server memory is the app process's resident set at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.store_bench import _status_mb, generate  # noqa: E402

TARGETS = {"open_s": 3.0, "filter_ms": 200.0, "first_rows_s": 1.5, "change_ms": 500.0, "rss_mb": 1024.0}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ROWS = ".ag-center-cols-container .ag-row"
FIRST_NUMBER = '[data-testid=piece-grid] .ag-pinned-left-cols-container .ag-row[row-index="0"]'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="where the generated store goes (kept); default: a temp dir")
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=1_000, help="pieces sent while the page is used (0: none)")
    parser.add_argument("--opens", type=int, default=3, help="page opens measured in fresh browser contexts")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the fresh measuring process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure_service(args.measure))))
        return
    temp = None if args.data_dir else tempfile.mkdtemp(prefix="batchmail-ui-bench-")
    data_dir = args.data_dir or Path(str(temp))
    try:
        if not (data_dir / "pieces").exists():
            started = time.perf_counter()
            generate(data_dir, pieces=args.pieces, contacts=2_000, years=10)
            print(f"generated {args.pieces:,} pieces in {time.perf_counter() - started:.1f} s into {data_dir}")
        run = subprocess.run(
            [sys.executable, __file__, "--measure", str(data_dir)], capture_output=True, text=True, check=False
        )
        if run.returncode:
            sys.exit(f"measuring failed:\n{run.stderr}")
        figures = json.loads(run.stdout)
        figures.update(measure_browser(data_dir, send=args.send, opens=max(args.opens, 1)))
        report(figures)
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


def report(f: dict[str, Any]) -> None:
    rows: list[tuple[str, float, str, float | None]] = [
        ("open the data directory (Services.open)", f["open_s"], "s", TARGETS["open_s"]),
        ("first filter after open (indexes the pieces)", f["first_filter_ms"], "ms", TARGETS["filter_ms"]),
        ("filter: invoices of one year", f["filter_year_ms"], "ms", TARGETS["filter_ms"]),
        ("filter: customer pieces of 3 years", f["filter_wide_ms"], "ms", TARGETS["filter_ms"]),
        ("filter: free text over names and notes", f["filter_text_ms"], "ms", TARGETS["filter_ms"]),
        ("  the same three, CPU time", f["filter_cpu_ms"], "ms", None),
        ("scroll: next block of 100 rows (kept result)", f["next_block_wide_ms"], "ms", TARGETS["filter_ms"]),
        ("browser: first page open to first grid rows", f["first_rows_s"], "s", TARGETS["first_rows_s"]),
        ("browser: page open to first grid rows, median", f["open_median_s"], "s", TARGETS["first_rows_s"]),
        ("  app CPU per page open, median", f["open_cpu_ms"], "ms", None),
        ("browser: filter change to rows, median", f["change_median_ms"], "ms", TARGETS["change_ms"]),
        ("browser: filter change to rows, worst", f["change_max_ms"], "ms", TARGETS["change_ms"]),
        ("  app CPU per filter change, median", f["change_cpu_ms"], "ms", None),
    ]
    if "busy_change_median_ms" in f:
        rows += [
            (
                "browser, during the send: change to rows, median",
                f["busy_change_median_ms"],
                "ms",
                TARGETS["change_ms"],
            ),
            ("browser, during the send: change to rows, worst", f["busy_change_max_ms"], "ms", TARGETS["change_ms"]),
        ]
    rows.append(("server memory (app process, resident)", f["rss_mb"], "MB", TARGETS["rss_mb"]))
    print(
        f"{f['pieces']:,} pieces, {f['contacts']:,} contacts; rows matched: year {f['year_rows']:,}, "
        f"wide {f['wide_rows']:,}, text {f['text_rows']:,}; load average at the end: {os.getloadavg()[0]:.1f}"
    )
    print(f"{'measure':<52}{'value':>10}  {'target':>10}")
    for name, value, unit, target in rows:
        if target is None:
            print(f"{name:<52}{value:>8.1f} {unit:<2}")
            continue
        verdict = "ok" if value < target else "MISSED"
        print(f"{name:<52}{value:>8.1f} {unit:<2} < {target:>6g} {unit:<2} {verdict}")
    if "sent" in f:
        print(f"(the send of {f['send_pieces']:,} pieces had reached {f['sent']:,} when the measures ended)")


# The service, in a fresh process


async def measure_service(data_dir: Path) -> dict[str, Any]:
    from batchmail.services.facade import Services

    from batchmail.domain.pieces import PieceType, Side
    from batchmail.domain.selection import Criteria, Period

    started = time.perf_counter()
    services = Services.open(data_dir)
    figures: dict[str, Any] = {"open_s": time.perf_counter() - started}
    try:
        workspace = services.workspace
        figures["pieces"] = services.stores.pieces.count()
        figures["contacts"] = services.stores.contacts.count()
        year = max(s.date.year for s in services.stores.pieces.summaries())
        t0 = time.perf_counter()
        await workspace.matching(Criteria())
        figures["first_filter_ms"] = (time.perf_counter() - t0) * 1000
        queries = {
            "year": Criteria(types=frozenset({PieceType.invoice})).with_period(Period.parse(str(year - 1))),
            "wide": Criteria(side=Side.customer, start=Period.parse(str(year - 2)).start),
            "text": Criteria(text="prochaine visite"),
        }
        cpu = []
        for name, criteria in queries.items():
            times = []
            for _ in range(5):
                workspace._snapshot.results.clear()  # type: ignore[union-attr]  # nothing kept, as after a change
                t0, c0 = time.perf_counter(), time.process_time()
                totals, _ = await workspace.matching_page(criteria, 100)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            figures[f"filter_{name}_ms"] = statistics.median(times) * 1000
            figures[f"{name}_rows"] = totals.count
            t0 = time.perf_counter()
            await workspace.page(criteria, 100, 100)  # the next block as the grid scrolls: from the kept result
            figures[f"next_block_{name}_ms"] = (time.perf_counter() - t0) * 1000
        figures["filter_cpu_ms"] = statistics.median(cpu) * 1000
        figures["service_rss_mb"] = _status_mb("VmRSS")
    finally:
        services.close()
    return figures


# The browser


def measure_browser(data_dir: Path, *, send: int, opens: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    prepare(data_dir, send)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "NICEGUI_STORAGE_PATH"}}
    env["BROWSER"] = "true"  # the app's own attempt to open a browser opens nothing
    with tempfile.NamedTemporaryFile() as log:
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "--data-dir",
                str(data_dir),
                "run",
                "--browser",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        figures: dict[str, Any] = {}
        try:
            link = _wait_for_entry_link(Path(log.name), app)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
                entered = browser.new_context()
                entered.request.get(link)  # the one-time link: the session cookie every new context is given
                cookies = entered.cookies()
                times, cpu = [], []
                for _ in range(opens):
                    context = browser.new_context(viewport={"width": 1440, "height": 900})  # a new one: no cache
                    context.add_cookies(cookies)
                    page = context.new_page()
                    t0, c0 = time.perf_counter(), _process_cpu_ms(app.pid)
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.locator(f"[data-testid=piece-grid] {ROWS}").first.wait_for()
                    times.append(time.perf_counter() - t0)
                    page.get_by_test_id("send").wait_for()  # the page is complete: the batch and the treatments
                    cpu.append(_process_cpu_ms(app.pid) - c0)
                    if len(times) < opens:
                        context.close()
                figures["first_rows_s"], figures["open_median_s"] = times[0], statistics.median(times)
                figures["open_cpu_ms"] = statistics.median(cpu)
                changes = filter_changes(page, app.pid)
                figures["change_median_ms"], figures["change_max_ms"] = statistics.median(changes[0]), max(changes[0])
                figures["change_cpu_ms"] = statistics.median(changes[1])
                if send:
                    page.get_by_test_id("send").click()
                    page.get_by_test_id("send-progress").wait_for()
                    busy = filter_changes(page, app.pid)[0]
                    figures["busy_change_median_ms"], figures["busy_change_max_ms"] = statistics.median(busy), max(busy)
                    progress = page.get_by_test_id("send-progress-text").inner_text()
                    figures["send_pieces"], figures["sent"] = send, _done(progress)
                browser.close()
            figures["rss_mb"] = _process_rss_mb(app.pid)
        finally:
            app.terminate()
            app.wait(timeout=30)
    return figures


def filter_changes(page: Any, pid: int) -> tuple[list[float], list[float]]:
    """Milliseconds from choosing a filter value to the grid showing rows that match it, for a few choices, and the
    app process's CPU milliseconds over each (up to 0.2 s after the rows, for the work that follows them)."""
    times, cpu = [], []
    for select, option, prefix in (
        ("filter-type", "Facture", "FA-"),
        ("filter-type", "Devis", "DE-"),
        ("filter-type", "Commande fournisseur", "CF-"),
        ("filter-type", "Facture", "FA-"),
    ):
        page.get_by_test_id(select).click()
        choice = page.get_by_role("option", name=option, exact=True)
        choice.wait_for()
        t0, c0 = time.perf_counter(), _process_cpu_ms(pid)
        choice.click()
        page.wait_for_function(
            "([selector, prefix]) => document.querySelector(selector)?.innerText.startsWith(prefix)",
            arg=[FIRST_NUMBER, prefix],
        )
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.2)
        cpu.append(_process_cpu_ms(pid) - c0)
        page.keyboard.press("Escape")
    return times, cpu


def prepare(data_dir: Path, count: int) -> None:
    """No remembered filters; with `count`, an issuing company to send from and `count` invoices in the batch."""

    async def run() -> None:
        from batchmail.services.facade import Services

        from batchmail.domain.company import IssuingCompany
        from batchmail.domain.pieces import PieceType
        from batchmail.domain.selection import Criteria

        services = Services.open(data_dir)
        try:
            await services.workspace.remember_filters({})
            if not count:
                return
            if services.stores.company.get() is None:
                company = IssuingCompany(name="Banc d'essai SARL", email="factures@banc.example.fr")
                await asyncio.to_thread(services.stores.company.save, company)
            invoices = await services.workspace.matching_ids(Criteria(types=frozenset({PieceType.invoice})))
            await services.workspace.clear_batch()
            await services.workspace.add_to_batch(invoices[:count])
        finally:
            services.close()

    asyncio.run(run())


def _done(progress: str) -> int:
    digits = "".join(ch if ch.isdigit() or ch == "/" else "" for ch in progress)
    return int(digits.split("/")[0]) if "/" in digits and digits.split("/")[0] else 0


def _process_cpu_ms(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc; fields after the command name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _process_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_entry_link(log: Path, process: subprocess.Popen[bytes], timeout: float = 60.0) -> str:
    """The one-time link the app prints once it serves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the app stopped before it served")
        found = re.search(r"BatchMail is ready: open (\S+)", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.1)
    sys.exit(f"the app did not serve within {timeout:.0f} s")


if __name__ == "__main__":
    main()
