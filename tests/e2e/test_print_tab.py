"""The Print tab in Chromium, on the demo data: the invoices of one contact go in the batch; the statement of that
contact is previewed (the frame's PDF says what the service computes) and the batch is downloaded as one PDF."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_money, plain_spaces
from batchmail.domain.pieces import PieceType
from batchmail.domain.selection import Criteria
from batchmail.domain.summaries import Statement
from batchmail.wiring import open_app
from tests.e2e.test_batch_page import ARTIFACTS, choose
from ui.treatments.printing import default_period

CONTACT = 1  # Élodie Marchand, of L'Atelier d'Élodie: her statement covers her colleagues too
PRINT_TIMEOUT_MS = 180_000


def expectations(data_dir: Path) -> tuple[Contact, int, dict[int, str], Statement]:
    """From the store, before the app locks it: the contact, how many pieces she has, her invoices (id: number)
    and her statement over the Print tab's default period."""

    async def run() -> tuple[Contact, int, dict[int, str], Statement]:
        services = open_app(data_dir)
        try:
            (contact,) = await services.workspace.contacts_by_id([CONTACT])
            theirs = await services.workspace.find(Criteria(contact_ids=frozenset({CONTACT})))
            invoices = {row.summary.id: row.summary.number for row in theirs if row.summary.type is PieceType.invoice}
            start, end = default_period(date.today())
            statement = await services.printing.statement(CONTACT, start=start, end=end)
            return contact, len(theirs), invoices, statement
        finally:
            services.close()

    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API already runs an event loop in this thread
        return thread.submit(asyncio.run, run()).result()


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), plain_spaces(" ".join(" ".join(p.extract_text().split()) for p in reader.pages))


@pytest.mark.browser
def test_preview_a_statement_and_download_the_batch(
    demo_dir: Path, start_app: Callable[[Path], str], page: Page
) -> None:
    contact, count, invoices, statement = expectations(demo_dir)
    numbers = list(invoices.values())
    assert numbers and statement.total_due
    total_due = plain_spaces(format_money(statement.total_due, "fr"))

    url = start_app(demo_dir)
    page.goto(url)
    page.get_by_test_id("filter-contact").click()
    page.keyboard.type(contact.name.split()[0])
    page.get_by_role("option", name=contact.display_name, exact=True).click()
    expect(page.get_by_test_id("piece-count")).to_contain_text(re.compile(rf"^{count} pièces "))
    choose(page, "filter-type", "Facture")
    expect(page.get_by_test_id("piece-count")).to_contain_text(re.compile(rf"^{len(numbers)} pièces "))
    page.get_by_test_id("select-all").click()
    page.get_by_test_id("add-to-batch").click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text(re.compile(rf"^{len(numbers)} pièces "))

    page.get_by_test_id("treatment-print").click()
    page.get_by_test_id("print-choice").get_by_text("Relevé de factures").click()
    expect(page.get_by_test_id("print-contact")).to_have_value(contact.display_name)
    summary = page.get_by_test_id("print-summary")
    expect(summary).to_contain_text(f"solde dû {format_money(statement.total_due, 'fr')}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "print-tab.png"), full_page=True)
    page.get_by_test_id("print-preview").click()
    frame = page.get_by_test_id("print-frame")
    expect(frame).to_have_attribute("src", re.compile(rf"^/pdf/summary/statement\?contact={CONTACT}&"))
    page.screenshot(path=str(ARTIFACTS / "print-preview.png"))

    response = page.request.get(url + (frame.get_attribute("src") or ""))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    _, text = pdf_text(response.body())
    assert contact.name in text and f"Solde dû {total_due}" in text

    piece_id, number = next(iter(invoices.items()))
    one = page.request.get(f"{url}/pdf/piece/{piece_id}")
    assert one.headers["content-type"] == "application/pdf" and number in pdf_text(one.body())[1]
    assert page.request.get(f"{url}/pdf/kept/not-a-token").status == 404
    bad = page.request.get(f"{url}/pdf/summary/statement?contact=abc")
    assert bad.status == 400 and "abc" in bad.text()
    backwards = page.request.get(f"{url}/pdf/summary/statement?contact={CONTACT}&from=2026-05-01&to=2026-01-01")
    assert backwards.status == 400 and "début est après" in backwards.text()

    page.keyboard.press("Escape")
    page.get_by_test_id("print-from").fill("01/05/2099")
    expect(summary).to_have_text("La date de début est après la date de fin")
    page.get_by_test_id("print-run").click()
    expect(page.locator(".q-notification", has_text="La date de début est après la date de fin")).to_be_visible()

    page.get_by_test_id("print-choice").get_by_text("Pièces du lot").click()
    expect(summary).to_contain_text(re.compile(rf"^{len(numbers)} pièces "))
    with page.expect_download(timeout=PRINT_TIMEOUT_MS) as download_info:
        page.get_by_test_id("print-run").click()
    download = download_info.value
    assert download.suggested_filename == f"Lot_{len(numbers)}_pieces_{date.today().isoformat()}.pdf"
    pages, text = pdf_text(Path(download.path()).read_bytes())
    assert pages >= len(numbers)
    assert [number for number in numbers if number not in text] == []
    expect(page.get_by_test_id("print-ready")).to_contain_text(f"{len(numbers)} pièce(s), {pages} page(s)")
