"""A user's story on the batch page, in Chromium: filter the demo pieces, put them all in the batch, send it, read
the report."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from batchmail.paths import mailbox_dir

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SEND_TIMEOUT_MS = 120_000
Cli = Callable[..., subprocess.CompletedProcess[str]]


def last_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def piece_count(page: Page) -> int:
    text = page.get_by_test_id("piece-count").inner_text()
    found = re.match(r"\d+", text.replace("\u202f", "").replace("\u00a0", ""))
    return int(found.group()) if found else 0


def read_mail(path: Path) -> tuple[str, tuple[str, ...]]:
    """A test-mailbox message's subject and envelope recipients."""
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    envelope = str(message["X-BatchMail-Envelope-To"])
    return str(message["Subject"]), tuple(sorted(address.strip() for address in envelope.split(",")))


def choose(page: Page, select_id: str, option: str) -> None:
    page.get_by_test_id(select_id).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_filter_select_send_and_report(demo_dir: Path, start_app: Callable[[Path], str], page: Page, cli: Cli) -> None:
    period = last_month(date.today())
    filters = ["--type", "invoice", "--status", "validated", "--period", period]
    listed = json.loads(cli(demo_dir, "list", "--json", *filters).stdout)
    plan = json.loads(cli(demo_dir, "send", "--dry-run", "--json", *filters, check=False).stdout)
    assert listed, f"the demo data should hold validated invoices dated {period}"
    assert len(plan["messages"]) + len(plan["skipped"]) == len(listed)

    page.goto(start_app(demo_dir))
    expect(page.get_by_test_id("test-mode")).to_be_visible()
    expect(page.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    expect(page.get_by_test_id("piece-count")).to_contain_text("pièces")
    everything = piece_count(page)
    assert everything > len(listed)

    choose(page, "filter-type", "Facture")
    choose(page, "filter-status", "Validée")
    page.get_by_test_id("filter-period").fill(period)
    expect(page.get_by_test_id("piece-count")).to_contain_text(re.compile(rf"^{len(listed)} pièces? "))

    page.get_by_test_id("select-all").click()
    expect(page.get_by_test_id("selected-count")).to_have_text(f"{len(listed)} sélectionnée(s)")
    page.get_by_test_id("add-to-batch").click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text(re.compile(rf"^{len(listed)} pièces? "))
    page.get_by_test_id("send").click()

    report = page.get_by_test_id("report")
    expect(report).to_be_visible(timeout=SEND_TIMEOUT_MS)
    expect(page.get_by_test_id("report-sent")).to_have_text(str(len(plan["messages"])))
    expect(page.get_by_test_id("report-skipped")).to_have_text(str(len(plan["skipped"])))
    expect(page.get_by_test_id("report-failed")).to_have_text("0")
    for skipped in plan["skipped"]:
        expect(report).to_contain_text(skipped["piece"])
    mails = [read_mail(path) for path in mailbox_dir(demo_dir).rglob("*.eml")]
    assert sorted(mails) == sorted((m["subject"], tuple(sorted(m["recipients"]))) for m in plan["messages"])

    # Sent invoices are no longer "validated": the refreshed grid keeps only the skipped ones.
    left = len(plan["skipped"])
    expect(page.get_by_test_id("piece-count")).to_contain_text(
        re.compile(rf"^{left} pièces? ") if left else re.compile("Aucune pièce")
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "batch-page-report.png"), full_page=True)
