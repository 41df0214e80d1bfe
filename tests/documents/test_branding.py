"""The company's branding on its documents: the accent colour (checked, and its contrast), the footer text and the
logo, seen in the rendered pages' pixels and text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from batchmail.documents.pdf import render_pdf
from batchmail.documents.piece_html import DEFAULT_ACCENT, accent_color, brand_style, build_piece_html
from tests.documents.pdfkit import (
    make_company,
    make_contact,
    make_piece,
    near,
    page_colours,
    pdf_pages,
    png_bytes,
)


def test_the_accent_colour_fills_the_title_bars_and_the_default_is_the_house_blue() -> None:
    branded = page_colours(
        render_pdf(build_piece_html(make_piece(), make_contact(), make_company(accent_color="#C0392B")))
    )
    plain = page_colours(render_pdf(build_piece_html(make_piece(), make_contact(), make_company())))

    # The lines' header row and the grand total are filled with it: hundreds of pixels even at 20 dpi.
    assert near(branded, "#c0392b") > 300 and near(branded, DEFAULT_ACCENT) == 0
    assert near(plain, DEFAULT_ACCENT) > 300 and near(plain, "#c0392b") == 0


@pytest.mark.parametrize(
    "value",
    ["red", "#12345", "#1234567", "#ggg", "1f4e79", "", "#fff; } body { display: none", '#fff" onload="x', "url(x)"],
)
def test_an_accent_that_is_not_a_hex_colour_falls_back_to_the_default(value: str) -> None:
    html = build_piece_html(make_piece(), make_contact(), make_company(accent_color=value))

    assert f'style="--accent: {DEFAULT_ACCENT}; --on-accent: #ffffff; --tint: ' in html
    assert "display: none" not in html and "onload" not in html and "url(x)" not in html


def test_a_hostile_accent_still_renders_the_whole_invoice_in_the_default_colour() -> None:
    company = make_company(accent_color="#fff; } html { display: none } :root {")

    pdf = render_pdf(build_piece_html(make_piece(), make_contact(), company))

    assert near(page_colours(pdf), DEFAULT_ACCENT) > 300
    assert "Total TTC" in pdf_pages(pdf)[0]


def test_short_colours_are_expanded_and_light_ones_get_dark_text() -> None:
    assert accent_color(" #C03 ") == "#cc0033" and accent_color("#1F4E79") == "#1f4e79"
    assert brand_style(make_company()) == "--accent: #1f4e79; --on-accent: #ffffff; --tint: #ebeff3"
    assert (
        brand_style(make_company(accent_color="#ffeb3b")) == "--accent: #ffeb3b; --on-accent: #1e1e1e; --tint: #fffded"
    )


def test_the_footer_text_is_escaped_and_absent_when_empty() -> None:
    html = build_piece_html(make_piece(), make_contact(), make_company(footer_text="<b>Promo</b> & co"))

    assert "&lt;b&gt;Promo&lt;/b&gt; &amp; co" in html and "<b>Promo</b>" not in html
    assert 'class="footer-text"' not in build_piece_html(make_piece(), make_contact(), make_company())


# ---- what a document may load -------------------------------------------------------------------------------------


def test_an_invoice_with_a_logo_shows_it(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    company = make_company(str(logo))

    pdf = render_pdf(build_piece_html(make_piece(), make_contact(), company), logo_path=company.logo_path)

    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1
