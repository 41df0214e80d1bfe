"""A user's story on the Send tab, in Chromium, against a real SMTP server (aiosmtpd, STARTTLS and AUTH): put one
contact's invoices in the batch, choose one mail per recipient with the PDFs in a ZIP, high priority and a copy to
the sender, preview it and open the mail, send it, watch the report say it left; then read what the server got."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect

from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import PieceType, Status
from batchmail.domain.selection import Criteria
from batchmail.wiring import open_app
from storage.stores import open_stores
from tests.e2e.conftest import REPO, Cli
from tests.e2e.test_batch_page import ARTIFACTS, SEND_TIMEOUT_MS, choose
from tests.servers.smtpd import smtp_server

ARCHIVE = "archives@rhone-maintenance.example.fr"
SENDER = "factures@rhone-maintenance.example.fr"
PASSWORD = "pa55word"
TERMS = FilePayload(name="conditions-générales.txt", mimeType="text/plain", buffer="Paiement à 30 jours.\n".encode())
INVOICES = ("--type", "invoice", "--status", "validated")


def contact_with_invoices(data_dir: Path) -> tuple[Contact, list[str]]:
    """A contact with an address and at least two validated invoices never sent, and their numbers; the company
    given an archive address for its automatic blind copy."""

    async def run() -> tuple[Contact, list[str]]:
        services = open_app(data_dir)
        try:
            for contact in await services.workspace.find_contacts():
                criteria = Criteria(
                    contact_ids=frozenset({contact.id}),
                    types=frozenset({PieceType.invoice}),
                    statuses=frozenset({Status.validated}),
                )
                rows = [row.summary for row in await services.workspace.find(criteria)]
                if contact.email and contact.send_by_email and len(rows) >= 2 and not any(r.last_sent for r in rows):
                    return contact, sorted(row.number for row in rows)
            raise AssertionError("the demo data should have a contact with two validated invoices to send")
        finally:
            services.close()

    with open_stores(data_dir) as stores:
        company = stores.company.get()
        assert company is not None
        company.archive_bcc = ARCHIVE
        stores.company.save(company)
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API already runs an event loop in this thread
        return thread.submit(asyncio.run, run()).result()


def add_smtp_account(data_dir: Path, port: int, ca_file: Path) -> None:
    """`batchmail account add-smtp`, the password typed on standard input."""
    hidden = {"PYTEST_CURRENT_TEST", "BATCHMAIL_DATA_DIR", "NICEGUI_STORAGE_PATH"}
    command = [sys.executable, "-m", "batchmail.cli", "--data-dir", str(data_dir), "account", "add-smtp"]
    command += ["--name", "office", "--host", "127.0.0.1", "--port", str(port), "--security", "starttls"]
    command += ["--user", "factures", "--password-stdin", "--from", SENDER, "--ca-file", str(ca_file)]
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    done = subprocess.run(
        command, cwd=REPO, env=env, input=PASSWORD + "\n", capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.browser
def test_send_one_contacts_invoices_in_one_zip_and_read_the_report(
    demo_dir: Path, start_app: Callable[[Path], str], page: Page, cli: Cli
) -> None:
    contact, numbers = contact_with_invoices(demo_dir)
    with smtp_server(username="factures", password=PASSWORD) as server:
        add_smtp_account(demo_dir, server.port, server.ca_pem)
        options = ("--group-by-recipient", "--zip", "--priority", "high", "--cc-sender")
        plan = json.loads(
            cli(demo_dir, "send", "--contact", str(contact.id), *INVOICES, *options, "--dry-run", "--json").stdout
        )
        (planned,) = plan["messages"]
        assert planned["pieces"] == numbers and planned["bcc"] == [ARCHIVE]
        greeting = planned["text"].strip().splitlines()[0]

        page.goto(start_app(demo_dir))
        choose(page, "filter-type", "Facture")
        choose(page, "filter-status", "Validée")
        page.get_by_test_id("filter-contact").click()
        page.keyboard.type(contact.name.split()[0])
        page.get_by_role("option", name=contact.display_name, exact=True).click()
        expect(page.get_by_test_id("piece-count")).to_contain_text(f"{len(numbers)} pièces")
        page.get_by_test_id("select-all").click()
        page.get_by_test_id("add-to-batch").click()
        expect(page.get_by_test_id("batch-summary")).to_contain_text(f"{len(numbers)} pièces")

        expect(page.get_by_test_id("send-auto-bcc")).to_contain_text(ARCHIVE)
        page.get_by_test_id("send-grouping").get_by_role("button", name="Un mail par destinataire").click()
        for option in ("send-zip", "send-priority", "send-cc-sender"):
            page.get_by_test_id(option).click()
            expect(page.get_by_test_id(option)).to_have_attribute("aria-checked", "true")
        page.get_by_test_id("send-upload").locator("input[type=file]").set_input_files(files=[TERMS])
        expect(page.get_by_test_id("send-file")).to_contain_text(TERMS["name"])

        page.get_by_test_id("send-preview").click()
        dialog = page.get_by_test_id("send-preview-dialog")
        expect(dialog.get_by_test_id("send-preview-count")).to_contain_text("1 mail(s)")
        dialog.get_by_test_id("send-preview-messages").locator("tbody tr").first.click()
        message = page.get_by_test_id("message-view")
        expect(message.get_by_test_id("message-subject")).to_have_text(planned["subject"])
        expect(message.get_by_test_id("message-cc")).to_have_text(SENDER)
        expect(message.get_by_test_id("message-bcc")).to_contain_text(ARCHIVE)
        expect(page.frame_locator("[data-testid=message-html]").locator("body")).to_contain_text(greeting)
        message.get_by_test_id("message-tab-text").click()
        expect(message.get_by_test_id("message-text")).to_contain_text(greeting)
        message.get_by_test_id("message-tab-files").click()
        expect(message.get_by_test_id("message-files")).to_contain_text(".zip")
        expect(message.get_by_test_id("message-files")).to_contain_text(TERMS["name"])
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "send-tab-message.png"))
        message.get_by_test_id("message-close").click()
        dialog.get_by_test_id("send-preview-close").click()

        page.get_by_test_id("send").click()
        expect(page.get_by_test_id("report")).to_be_visible(timeout=SEND_TIMEOUT_MS)
        expect(page.get_by_test_id("report-sent")).to_have_text("1")
        expect(page.get_by_test_id("report-failed")).to_have_text("0")
        expect(page.get_by_test_id("report-message-list")).to_contain_text("envoyé")
        page.screenshot(path=str(ARTIFACTS / "send-tab-report.png"), full_page=True)
        received = list(server.messages)

    (mail,) = received
    assert mail.mail_from == SENDER
    assert mail.recipients == [contact.email, SENDER, ARCHIVE]
    assert mail.message["Subject"] == planned["subject"]
    assert mail.message["Cc"] == SENDER and mail.message["Bcc"] is None
    assert ARCHIVE.encode() not in mail.data
    assert (mail.message["X-Priority"], mail.message["Importance"]) == ("1", "high")
    archive, terms = mail.message.iter_attachments()
    assert archive.get_content_type() == "application/zip"
    assert (terms.get_filename(), terms.get_payload(decode=True)) == (TERMS["name"], TERMS["buffer"])
    members = zipfile.ZipFile(io.BytesIO(archive.get_content())).namelist()
    assert len(members) == len(numbers) and all(name.endswith(".pdf") for name in members)

    page.reload()  # the choices are remembered for the next batch
    expect(page.get_by_test_id("send-zip")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("send-priority")).to_have_attribute("aria-checked", "true")
