"""A user's story on the templates page, in Chromium: edit the French invoice template with a keyword from the
picker, watch the preview on a real invoice, be refused an unknown keyword without losing the text, fix and save;
the saved template survives a reload and a send uses it."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.browser
def test_edit_the_french_invoice_template_refuse_an_unknown_keyword_save_and_send(
    demo_dir: Path, start_app: Callable[[Path], str], stop_app: Callable[[str], None], page: Page, cli: Cli
) -> None:
    invoices = json.loads(cli(demo_dir, "list", "--json", "--type", "invoice", "--status", "validated").stdout)
    dates = {row["number"]: date.fromisoformat(row["date"]).strftime("%d/%m/%Y") for row in invoices}
    assert invoices, "the demo data should hold validated invoices"

    url = start_app(demo_dir)
    page.goto(url + "/templates")
    expect(page.get_by_test_id("slot-invoice-fr-origin")).to_have_text("intégré")
    page.get_by_test_id("slot-invoice-fr").click()
    preview = page.get_by_test_id("preview-subject")
    expect(preview).to_contain_text(re.compile(r"^Facture n° FA-\d{4}-\d{5} – "))  # the built-in template
    number, day = page.get_by_test_id("preview-piece").inner_text().split(" · ")[:2]

    subject = page.get_by_test_id("template-subject")
    subject.fill("Votre facture ")
    subject.press("End")
    page.get_by_test_id("kw-NUMFACT").click()  # inserted at the cursor
    expect(subject).to_have_value("Votre facture %NUMFACT%")
    expect(preview).to_have_text(f"Votre facture {number}")
    assert re.fullmatch(r"FA-\d{4}-\d{5}", number)

    subject.fill("Votre facture %NUMERO% du %DATEFACT%")
    page.get_by_test_id("template-save").click()
    problem = page.get_by_test_id("template-problem")
    expect(problem).to_have_text("Mot-clé inconnu %NUMERO% (objet, ligne 1) : choisissez-en un dans la liste.")
    expect(subject).to_have_value("Votre facture %NUMERO% du %DATEFACT%")
    expect(page.get_by_test_id("template-editor")).to_be_visible()

    subject.fill("Votre facture %NUMFACT% du %DATEFACT%")
    expect(problem).to_be_hidden()
    expect(preview).to_have_text(f"Votre facture {number} du {day}")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("template-editor")).to_be_hidden()
    expect(page.get_by_test_id("slot-invoice-fr-origin")).to_have_text("enregistré")

    page.reload()
    expect(page.get_by_test_id("slot-invoice-fr-origin")).to_have_text("enregistré")
    expect(page.get_by_test_id("saved-Facture (fr)")).to_be_visible()
    page.get_by_test_id("slot-invoice-fr").click()
    expect(subject).to_have_value("Votre facture %NUMFACT% du %DATEFACT%")

    stop_app(url)  # the running app holds the data directory's lock
    numbers = [row["number"] for row in invoices[:4]]
    dry_run = cli(demo_dir, "send", "--dry-run", "--json", *(f"--number={n}" for n in numbers), check=False)
    messages = json.loads(dry_run.stdout)["messages"]
    assert messages, dry_run.stdout
    for message in messages:
        (sent,) = message["pieces"]
        assert message["subject"] == f"Votre facture {sent} du {dates[sent]}"
