"""A month's end in Chromium, on the demo data: last month's validated delivery notes become invoices from the
Generate tab; the grid then shows the notes converted and the new invoices, which become the batch."""

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
    choose(page, "filter-status", "Transformée")  # beside "Validée", which no note is any more
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
