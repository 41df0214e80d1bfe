"""The issuing company as the settings page edits it, on a copy of the demo data: every bad field named at once and
nothing saved, values normalised, the logo recognised by its content and kept in the data directory, and the saved
branding (footer, accent colour, logo) on a real invoice rendered to PDF."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from pypdf import PdfReader

from batchmail.cli import main
from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType, Status
from batchmail.errors import InvalidInput
from batchmail.services.company import BRANDING_DIR, LOGO_MAX_BYTES, LogoKind, sniff_logo
from batchmail.services.company_form import EDITABLE_FIELDS, Problem, company_form
from batchmail.wiring import App, open_app
from storage.stores import open_stores
from tests.documents.pdfkit import near, page_colours, pdf_pages, png_bytes
from ui.labels import settings as settings_words

SVG_ROOT = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="4"><rect width="8" height="4"/></svg>'
SVG = b'<?xml version="1.0"?>\n' + SVG_ROOT
# The smallest JPEG header a decoder recognises: start of image, then an APP0 (JFIF) marker.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("company") / "data"
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    return data_dir


@pytest.fixture
def data_dir(demo_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(demo_template, copy, ignore=shutil.ignore_patterns("*.lock"))
    return copy


@pytest.fixture
async def services(data_dir: Path) -> AsyncIterator[App]:
    opened = open_app(data_dir)
    try:
        yield opened
    finally:
        opened.close()


async def test_every_bad_field_is_named_at_once_and_nothing_is_saved(services: App) -> None:
    before = await services.company.get()
    assert before is not None
    bad = {
        "name": "  ",
        "accent_color": "blue",
        "archive_bcc": "archives@",
        "email": "contact at example.fr",
        "iban": "FR7630002005500000157845612",  # the demo's IBAN with its last digit changed
        "bic": "RHME",
        "siren": "81462937",
        "payment_terms_days": "thirty",
        "late_penalty_rate": "150",
        "recovery_indemnity": "-40",
        "language": "de",
        "footer_text": "x" * 301,
    }

    problems = {(e.field, e.problem) for e in services.company.check(bad, before)}
    with pytest.raises(InvalidInput) as refused:
        await services.company.save(bad)

    assert problems == {
        ("name", Problem.required),
        ("accent_color", Problem.color),
        ("archive_bcc", Problem.email),
        ("email", Problem.email),
        ("iban", Problem.iban),
        ("bic", Problem.bic),
        ("siren", Problem.siren),
        ("payment_terms_days", Problem.days),
        ("late_penalty_rate", Problem.rate),
        ("recovery_indemnity", Problem.amount),
        ("language", Problem.language),
        ("footer_text", Problem.too_long),
    }
    message = str(refused.value)
    assert all(f"{field}:" in message for field, _ in problems), message
    assert "'archives@'" in message and "check digits" in message
    assert await services.company.get() == before


async def test_a_siret_must_begin_with_the_siren_and_unknown_fields_are_refused(services: App) -> None:
    errors = services.company.check({"name": "X", "siren": "814629374", "siret": "12345678900012"})
    assert [(e.field, e.problem) for e in errors] == [("siret", Problem.siret_siren)]
    with pytest.raises(InvalidInput, match="no field named logo_path"):
        await services.company.save({"logo_path": "/etc/passwd"})


async def test_values_are_normalised_saved_and_read_back_from_disk(data_dir: Path) -> None:
    services = open_app(data_dir)
    company = await services.company.get()
    assert company is not None
    form = company_form(company) | {
        "accent_color": "#C03",
        "footer_text": "  Merci de votre confiance  ",
        "archive_bcc": "Archives@Example.FR",
        "iban": "fr76 3000 6000 0112 3456 7890 189",
        "bic": "agri frpp",
        "siren": "812 345 678",
        "siret": "812 345 678 00012",
        "payment_terms_days": "45",
        "late_penalty_rate": "10,5 %",
        "recovery_indemnity": "40,00",
        "language": "en",
    }
    assert set(form) == set(EDITABLE_FIELDS)

    try:
        saved = await services.company.save(form)
    finally:
        services.close()
    reopened = open_app(data_dir)
    try:
        stored = await reopened.company.get()
    finally:
        reopened.close()

    assert stored == saved
    assert stored.accent_color == "#cc0033"
    assert stored.footer_text == "Merci de votre confiance"
    assert stored.archive_bcc == "Archives@example.fr"  # email-validator lowers the domain, keeps the local part
    assert (stored.iban, stored.bic) == ("FR7630006000011234567890189", "AGRIFRPP")
    assert (stored.siren, stored.siret) == ("812345678", "81234567800012")
    assert stored.payment_terms_days == 45 and stored.language is Language.en
    assert (stored.late_penalty_rate, stored.recovery_indemnity) == (Decimal("10.5"), Decimal("40.00"))
    assert stored.name == company.name and stored.address == company.address


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png_bytes(), LogoKind.png),
        (JPEG, LogoKind.jpeg),
        (SVG, LogoKind.svg),
        (b"\xef\xbb\xbf" + SVG, LogoKind.svg),  # a byte-order mark first
        (b"\n  " + SVG_ROOT, LogoKind.svg),  # no XML declaration, blank lines first
    ],
)
def test_a_logo_is_recognised_by_its_content(data: bytes, kind: LogoKind) -> None:
    assert sniff_logo(data) is kind


_LAUGHS = b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not a PNG, JPEG or SVG"),
        (b"%PDF-1.7\n", "not a PNG, JPEG or SVG"),
        (b"\x89PNG\r\n\x1a\n", "not a PNG, JPEG or SVG"),  # a signature without its header chunk
        (b"<html><body><svg xmlns='http://www.w3.org/2000/svg'/></body></html>", "not a PNG, JPEG or SVG"),
        (SVG[:-6], "not a PNG, JPEG or SVG"),  # cut before its end: not well-formed
        (
            b'<!DOCTYPE svg [<!ENTITY l0 "lol">' + _LAUGHS + b']><svg xmlns="http://www.w3.org/2000/svg">&l9;</svg>',
            "not a PNG, JPEG or SVG",
        ),
        (png_bytes() + b"\x00" * LOGO_MAX_BYTES, "more than"),
    ],
)
def test_a_logo_that_is_not_an_image_or_too_big_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput, match=f"logo: .*{reason}"):
        sniff_logo(data)


async def test_the_logo_is_copied_into_the_data_directory_replaced_and_removed(services: App, data_dir: Path) -> None:
    branding = data_dir / BRANDING_DIR
    settings = services.company

    with pytest.raises(InvalidInput, match="logo: not a PNG"):
        await settings.save({}, logo=b"<html>not an image</html>")
    assert not branding.exists() and (await settings.logo()) is None

    first = await settings.save({}, logo=png_bytes())
    assert Path(first.logo_path).parent == branding and first.logo_path.endswith(".png")
    assert Path(first.logo_path).read_bytes() == png_bytes()
    assert await settings.logo() == (await settings.check_logo(png_bytes()))

    second = await settings.save({"footer_text": "Logo SVG"}, logo=SVG)
    assert second.logo_path.endswith(".svg") and second.footer_text == "Logo SVG"
    assert [p.name for p in branding.iterdir()] == [Path(second.logo_path).name]  # the PNG is gone

    cleared = await settings.save({}, remove_logo=True)
    assert cleared.logo_path == "" and list(branding.iterdir()) == []
    assert await settings.logo() is None


async def test_the_saved_branding_reaches_a_rendered_invoice(services: App) -> None:
    settings = services.company
    piece_id = await settings.preview_piece_id()
    assert piece_id is not None
    piece = (await services.workspace.piece_view(piece_id)).piece
    assert piece.type is PieceType.invoice and piece.status is not Status.draft
    before = await services.printing.piece_pdf(piece_id)

    await settings.save(
        {"accent_color": "#2e7d32", "footer_text": "Membre d'une association agréée, règlement par chèque accepté"},
        logo=png_bytes(colour=b"\x8e\x24\xaa"),
    )
    pdf = await services.printing.piece_pdf(piece_id)

    text = pdf_pages(pdf)[0]
    assert "Membre d'une association agréée, règlement par chèque accepté" in text
    assert "association agréée" not in pdf_pages(before)[0]
    colours = page_colours(pdf, dpi=40)
    assert near(colours, "#2e7d32") > 300 and near(page_colours(before, dpi=40), "#2e7d32") == 0
    assert near(colours, "#8e24aa") > 0  # the logo's own colour
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_every_field_and_problem_has_words_on_the_settings_page() -> None:
    hints = {"capital", "rcs", "language", "archive_bcc", "footer_text"}
    for words in (settings_words.FR, settings_words.EN):
        assert {f"settings.field.{name}" for name in EDITABLE_FIELDS} <= set(words)
        assert {f"settings.hint.{name}" for name in hints} <= set(words)
        assert {f"settings.error.{problem.value}" for problem in Problem} <= set(words)


async def test_a_moved_data_directory_keeps_its_logo_when_the_company_is_saved(data_dir: Path, tmp_path: Path) -> None:
    services = open_app(data_dir)
    try:
        await services.company.save({}, logo=png_bytes())
    finally:
        services.close()
    moved = tmp_path / "moved"
    shutil.move(data_dir, moved)

    services = open_app(moved)
    try:
        company = await services.company.get()
        assert company is not None and Path(company.logo_path).parent == moved / BRANDING_DIR
        assert await services.company.logo() is not None  # the settings' thumbnail finds it
        await services.company.save({"footer_text": "Merci de votre confiance"})
        piece_id = await services.company.preview_piece_id()
        assert piece_id is not None
        pdf = await services.printing.piece_pdf(piece_id)
    finally:
        services.close()
    assert len(list((moved / BRANDING_DIR).glob("logo-*.png"))) == 1
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1  # the invoice still shows the logo


def test_a_logo_path_written_absolute_by_an_older_version_is_found_after_a_move(data_dir: Path, tmp_path: Path) -> None:
    branding = data_dir / BRANDING_DIR
    branding.mkdir()
    (branding / "logo-old.png").write_bytes(png_bytes())
    with open_stores(data_dir) as stores:
        company = stores.company.get()
        assert company is not None
    stored = orjson.loads((data_dir / "company.json").read_bytes())
    stored["company"]["1"]["logo_path"] = str(branding / "logo-old.png")  # absolute, as earlier versions wrote it
    (data_dir / "company.json").write_bytes(orjson.dumps(stored))
    moved = tmp_path / "moved"
    shutil.move(data_dir, moved)

    with open_stores(moved) as stores:
        company = stores.company.get()
    assert company is not None and company.logo_path == str(moved / BRANDING_DIR / "logo-old.png")
