"""The batch workspace in Chromium, on the demo data: filter, select all, add to the batch, filter on another
contact, add two rows by right-click, check the batch against the store, reload, switch to English, sort."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import Locator, Page, expect

from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_money
from batchmail.domain.pieces import PieceType, Status
from batchmail.domain.selection import Criteria, Period, PieceSummary
from batchmail.services.workspace import PieceTotals, Sort, SortKey
from batchmail.wiring import open_app
from tests.e2e.test_batch_page import ARTIFACTS, choose, last_month

GRID = "[data-testid=piece-grid]"


class Expected(NamedTuple):
    invoices: PieceTotals  # the validated invoices of the period
    contact: Contact  # a contact with two other pieces at the top of its list (newest first)
    top: list[PieceSummary]  # those two pieces
    batch: PieceTotals  # the batch they all make
    cheapest_of_contact: Decimal  # the smallest total incl. tax of the contact's pieces
    cheapest: Decimal  # the smallest of all


def store_expectations(data_dir: Path, period: str) -> Expected:
    """From the store, before the app opens it."""

    async def run() -> Expected:
        services = open_app(data_dir)
        try:
            workspace = services.workspace
            invoices = Criteria(types=frozenset({PieceType.invoice}), statuses=frozenset({Status.validated}))
            invoices.with_period(Period.parse(period))
            first = set(await workspace.matching_ids(invoices))
            for contact in await workspace.find_contacts():
                page = await workspace.page(Criteria(contact_ids=frozenset({contact.id})), 0, 2)
                top = [row.summary for row in page.rows]
                if len(top) == 2 and not first & {s.id for s in top} and contact.company:
                    break
            else:
                raise AssertionError("the demo data should have a contact with two pieces outside the invoices")
            await workspace.add_to_batch([*first, *(s.id for s in top)])
            batch = await workspace.batch_summary()
            await workspace.clear_batch()
            smallest = Sort(key=SortKey.total, descending=False)
            of_contact = await workspace.page(Criteria(contact_ids=frozenset({contact.id})), 0, 1, smallest)
            of_all = await workspace.page(Criteria(), 0, 1, smallest)
            return Expected(
                invoices=await workspace.matching(invoices),
                contact=contact,
                top=top,
                batch=batch,
                cheapest_of_contact=of_contact.rows[0].summary.total_incl_tax,
                cheapest=of_all.rows[0].summary.total_incl_tax,
            )
        finally:
            services.close()

    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API already runs an event loop in this thread
        return thread.submit(asyncio.run, run()).result()


def totals_text(totals: PieceTotals, language: str) -> str:
    money = format_money(totals.total_incl_tax, language), format_money(totals.balance, language)
    if language == "fr":
        return f"{totals.count} pièces · total TTC {money[0]} · solde {money[1]}"
    return f"{totals.count} pieces · total incl. tax {money[0]} · balance {money[1]}"


def grid_row(page: Page, index: int, container: str = "center-cols") -> Locator:
    """A row of the selection grid; its number is in the pinned column's container ("pinned-left-cols")."""
    return page.locator(f'{GRID} .ag-{container}-container .ag-row[row-index="{index}"]')


@pytest.mark.browser
def test_filter_add_to_batch_reload_and_english(demo_dir: Path, start_app: Callable[[Path], str], page: Page) -> None:
    period = last_month(date.today())
    expected = store_expectations(demo_dir, period)
    invoices, contact, top, batch = expected.invoices, expected.contact, expected.top, expected.batch
    assert invoices.count > 1

    page.goto(start_app(demo_dir))
    expect(grid_row(page, 0)).to_be_visible()
    expect(page.get_by_test_id("batch-summary")).to_have_text(re.compile("Le lot est vide"))

    choose(page, "filter-type", "Facture")
    choose(page, "filter-status", "Validée")
    page.get_by_test_id("filter-period").fill(period)
    expect(page.get_by_test_id("piece-count")).to_have_text(totals_text(invoices, "fr"))
    page.get_by_test_id("select-all").click()
    expect(page.get_by_test_id("selected-count")).to_have_text(f"{invoices.count} sélectionnée(s)")
    page.get_by_test_id("add-to-batch").click()
    expect(page.get_by_test_id("batch-summary")).to_have_text(totals_text(invoices, "fr"))

    page.get_by_test_id("filter-reset").click()
    expect(page.get_by_test_id("filter-period")).to_have_value("")  # the filters are built again, empty
    contact_filter = page.get_by_test_id("filter-contact")
    contact_filter.click()
    page.keyboard.type(contact.name.split()[0])
    page.get_by_role("option", name=contact.display_name, exact=True).click()
    for index, piece in enumerate(top):
        expect(grid_row(page, index, "pinned-left-cols")).to_contain_text(piece.number)
        grid_row(page, index).click(button="right")
        page.get_by_test_id("menu-add").click()
    expect(page.get_by_test_id("batch-summary")).to_have_text(totals_text(batch, "fr"))
    expect(grid_row(page, 0).locator(".material-icons")).to_have_text("inventory_2")

    page.reload()
    expect(page.get_by_test_id("batch-summary")).to_have_text(totals_text(batch, "fr"))
    expect(grid_row(page, 1, "pinned-left-cols")).to_contain_text(top[1].number)
    expect(page.locator("[data-testid=batch-grid] .ag-center-cols-container .ag-row").first).to_be_visible()
    expect(page.get_by_test_id("filter-contact")).to_have_value(contact.display_name)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace-fr.png"))

    page.get_by_test_id("nav-settings").click()
    choose(page, "language", "English")
    page.get_by_test_id("nav-batch").click()
    expect(page.get_by_test_id("batch-summary")).to_have_text(totals_text(batch, "en"))
    expect(page.get_by_test_id("add-to-batch")).to_have_text(re.compile("Add to batch"))
    expect(page.locator(f"{GRID} .ag-header-cell-text", has_text="Total incl. tax")).to_be_visible()
    expect(grid_row(page, 0)).to_contain_text(format_money(top[0].total_incl_tax, "en"))
    expect(page.locator("[data-testid=batch-grid] .ag-center-cols-container .ag-row").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "workspace-en.png"))

    # Sorted by total, smallest first: new filters keep that order from their first rows on.
    page.locator(f"{GRID} .ag-header-cell-text", has_text="Total incl. tax").click()
    expect(grid_row(page, 0).locator("[col-id=total]")).to_have_text(format_money(expected.cheapest_of_contact, "en"))
    page.get_by_test_id("filter-reset").click()
    expect(grid_row(page, 0).locator("[col-id=total]")).to_have_text(format_money(expected.cheapest, "en"))
