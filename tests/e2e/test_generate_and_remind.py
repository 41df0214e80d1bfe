"""A month's end in Chromium, on the demo data: last month's validated delivery notes become invoices from the
Generate tab; the grid then shows the notes converted and the new invoices, which become the batch. Then the
overdue invoices are reminded from the Remind tab, and the grid shows their new level."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_batch_page import ARTIFACTS, Cli, choose, last_month

GENERATE_TIMEOUT_MS = 60_000
REMIND_TIMEOUT_MS = 300_000  # every overdue invoice's PDF, and at level 3 each contact's statement


@pytest.mark.browser
def test_delivery_notes_become_invoices(
    demo_dir: Path, start_app: Callable[..., str], stop_app: Callable[[str], None], page: Page, cli: Cli
) -> None:
    period = last_month(date.today())
    filters = ["--type", "delivery_note", "--status", "validated", "--period", period]
    notes = json.loads(cli(demo_dir, "list", "--json", *filters).stdout)
    plan = json.loads(
        cli(demo_dir, "generate", "transform", *filters, "--into", "invoice", "--dry-run", "--json").stdout
    )
    converted = ["--type", "delivery_note", "--status", "converted", "--period", period]
    converted_before = len(json.loads(cli(demo_dir, "list", "--json", *converted).stdout))
    assert notes and len(plan["created"]) == len(notes) and plan["refused"] == []
    count = rf"^{len(notes)} pièces? "

    url = start_app(demo_dir)
    page.goto(url)
    choose(page, "filter-type", "Bon de livraison")
    choose(page, "filter-status", "Validée")
    page.get_by_test_id("filter-period").fill(period)
    expect(page.get_by_test_id("piece-count")).to_contain_text(re.compile(count))
    page.get_by_test_id("select-all").click()
    page.get_by_test_id("add-to-batch").click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text(re.compile(count))

    page.get_by_test_id("treatment-generate").click()
    expect(page.get_by_test_id("generate-into")).to_contain_text("Facture")
    page.get_by_test_id("generate-validate").click()
    page.get_by_test_id("generate-preview").click()
    summary = page.get_by_test_id("generate-summary")
    expect(summary).to_have_text(f"{len(notes)} pièce(s) à créer · 0 refusée(s)")
    created_table = page.get_by_test_id("generate-created")
    expect(created_table).to_contain_text(plan["created"][0]["number"])

    page.get_by_test_id("generate-run").click()
    expect(summary).to_have_text(f"{len(notes)} pièce(s) créée(s) · 0 refusée(s)", timeout=GENERATE_TIMEOUT_MS)
    expect(page.get_by_test_id("piece-count")).to_contain_text("Aucune pièce")  # the notes are converted now
    choose(page, "filter-status", "Transformée")
    all_converted = rf"^{converted_before + len(notes)} pièces? "
    expect(page.get_by_test_id("piece-count")).to_contain_text(re.compile(all_converted))
    page.get_by_test_id("generate-to-batch").click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text(re.compile(count))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "generate-tab.png"), full_page=True)
    stop_app(url)

    numbers = [p["number"] for p in plan["created"]]
    made = json.loads(cli(demo_dir, "list", "--json", *(a for n in numbers for a in ("--number", n))).stdout)
    assert sorted(p["number"] for p in made) == sorted(numbers)
    assert {(p["type"], p["status"]) for p in made} == {("invoice", "validated")}


@pytest.mark.browser
def test_overdue_invoices_are_reminded_and_the_grid_shows_their_level(
    demo_dir: Path, start_app: Callable[..., str], stop_app: Callable[[str], None], page: Page, cli: Cli
) -> None:
    plan = json.loads(cli(demo_dir, "remind", "--dry-run", "--json").stdout)
    reachable = [mail for mail in plan["mails"] if not mail["problem"]]
    assert reachable, "the demo data should hold overdue invoices of contacts with an address"
    first = reachable[0]
    number = first["pieces"][0]

    url = start_app(demo_dir)
    page.goto(url)
    page.get_by_test_id("treatment-remind").click()
    page.get_by_test_id("remind-preview").click()
    summary = page.get_by_test_id("remind-summary")
    expect(summary).to_contain_text(f"{len(plan['mails'])} mail(s)")
    expect(page.get_by_test_id("remind-mails")).to_contain_text(number)
    page.get_by_test_id("remind-send").click()
    sent = page.get_by_test_id("remind-sent")
    expect(sent).to_contain_text(f"{len(reachable)} envoyé(s)", timeout=REMIND_TIMEOUT_MS)

    page.get_by_test_id("filter-text").fill(number)
    expect(page.get_by_test_id("piece-count")).to_contain_text(re.compile(r"^1 pièce "))
    today = date.today().strftime("%d/%m/%Y")
    row = page.locator(".ag-center-cols-container .ag-row").first
    expect(row).to_contain_text(re.compile(rf"\d+ · {today}$"))  # reminders sent, and the day of the last
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "remind-tab.png"), full_page=True)
    stop_app(url)

    again = json.loads(cli(demo_dir, "remind", "--dry-run", "--json").stdout)
    assert number not in {n for mail in again["mails"] for n in mail["pieces"]}
    assert {"number": number, "reason": "already reminded today"}.items() <= next(
        left for left in again["left_out"] if left["number"] == number
    ).items()
