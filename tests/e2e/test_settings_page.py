"""The settings page in Chromium, on the demo data: a wrong archive address is refused under its field and what was
typed stays, a file that is not an image is refused as a logo; then a new accent colour, footer text, archive
address and PNG logo are saved, survive a reload (Cancel brings them back after an edit), show on the previewed
invoice, and the command line prints the new footer too."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from tests.documents.pdfkit import near, page_colours, pdf_pages, png_bytes
from tests.e2e.conftest import Cli

FOOTER = "Membre d'une association agréée, règlement par chèque accepté"
ACCENT = "#2e7d32"
ARCHIVE = "archives@example.fr"


def text_box(page: Page, name: str) -> Locator:
    """A field's own <input> or <textarea> (Quasar puts the test id there)."""
    return page.get_by_test_id(f"company-field-{name}")


def field(page: Page, name: str) -> Locator:
    """The whole field: label, box and the message under it."""
    return text_box(page, name).locator("xpath=ancestor::label[contains(@class, 'q-field')]")


@pytest.mark.browser
def test_rebrand_and_set_the_archive_bcc_from_the_settings(
    demo_dir: Path,
    start_app: Callable[[Path], str],
    stop_app: Callable[[str], None],
    page: Page,
    cli: Cli,
    tmp_path: Path,
) -> None:
    url = start_app(demo_dir)
    page.goto(f"{url}/settings")
    expect(text_box(page, "name")).to_have_value("Rhône Maintenance Équipements")
    expect(text_box(page, "late_penalty_rate")).to_have_value("12,15")  # as French writes it
    expect(page.get_by_test_id("logo-thumbnail")).to_be_hidden()

    text_box(page, "name").fill("Rhône Maintenance")  # at once: nothing the page sends once connected undoes it
    text_box(page, "footer_text").fill(FOOTER)
    text_box(page, "archive_bcc").fill("archives@")
    page.get_by_test_id("company-save").click()
    expect(field(page, "archive_bcc")).to_contain_text("Adresse e-mail invalide")
    expect(page.get_by_text("1 champ à corriger : rien n'est enregistré")).to_be_visible()
    expect(text_box(page, "archive_bcc")).to_have_value("archives@")
    expect(text_box(page, "footer_text")).to_have_value(FOOTER)

    text_box(page, "archive_bcc").fill(ARCHIVE)
    expect(field(page, "archive_bcc")).not_to_contain_text("Adresse e-mail invalide")
    text_box(page, "accent_color").fill(ACCENT.upper())
    logo = png_bytes(colour=b"\x8e\x24\xaa")
    upload = page.get_by_test_id("logo-upload").locator("input[type=file]")
    fake = tmp_path / "fake.png"
    fake.write_text("<html>not an image</html>")
    upload.set_input_files(fake)
    expect(page.get_by_test_id("logo-error")).to_have_text("Ce fichier n'est pas une image PNG, JPEG ou SVG")
    expect(page.get_by_test_id("logo-thumbnail")).to_be_hidden()
    logo_file = tmp_path / "logo.png"
    logo_file.write_bytes(logo)
    upload.set_input_files(logo_file)
    expect(page.get_by_test_id("logo-error")).to_have_text("")
    expect(page.get_by_test_id("logo-state")).to_have_text("Nouveau logo, enregistré avec le reste")
    expect(page.get_by_test_id("logo-thumbnail").locator("img")).to_have_attribute("src", re.compile("^data:image/png"))
    expect(page.get_by_test_id("company-name")).to_have_text("Rhône Maintenance Équipements")
    page.get_by_test_id("company-save").click()
    expect(page.get_by_text("Société facturante enregistrée")).to_be_visible()
    expect(page.get_by_test_id("company-name")).to_have_text("Rhône Maintenance")  # the header, without a reload

    page.reload()
    expect(text_box(page, "accent_color")).to_have_value(ACCENT)  # saved as the documents write it
    expect(text_box(page, "footer_text")).to_have_value(FOOTER)
    expect(text_box(page, "archive_bcc")).to_have_value(ARCHIVE)
    expect(page.get_by_test_id("logo-state")).to_have_text("")
    expect(page.get_by_test_id("logo-thumbnail").locator("img")).to_have_attribute("src", re.compile("^data:image/png"))
    assert [path.read_bytes() for path in (demo_dir / "branding").iterdir()] == [logo]
    text_box(page, "footer_text").fill("Brouillon de pied de page")
    page.get_by_test_id("company-cancel").click()
    expect(text_box(page, "footer_text")).to_have_value(FOOTER)

    preview = page.get_by_test_id("preview-document").get_attribute("href")
    assert preview is not None
    response = page.request.get(url + preview)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert FOOTER in pdf_pages(pdf)[0]
    assert near(page_colours(pdf, dpi=40), ACCENT) > 300
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1

    number = re.search(r"\bFA-\d{4}-\d{5}\b", pdf_pages(pdf)[0])
    assert number, "the previewed invoice shows its number"
    stop_app(url)  # the running app holds the data directory's lock
    cli(demo_dir, "render", number.group(0), "-o", str(tmp_path / "x.pdf"))
    assert FOOTER in pdf_pages((tmp_path / "x.pdf").read_bytes())[0]
