"""The PDF.js viewer, for window engines that show no PDF (Linux WebKitGTK), driven in Chromium: started with
`--pdf-viewer pdfjs`, a piece's quick view draws the invoice's pages with their text; the viewer opens only the
app's own PDFs and shows the server's refusal as it is."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.e2e.test_workspace_page import grid_row


def drawn_pixels(frame: FrameLocator) -> int:
    """How many pixels of the first page's canvas are not white."""
    count: int = frame.locator(".page canvas").first.evaluate(
        """canvas => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let drawn = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (Math.min(data[i], data[i + 1], data[i + 2]) < 250) drawn++;
            }
            return drawn;
        }"""
    )
    return count


@pytest.mark.browser
def test_a_piece_quick_view_draws_its_pdf_with_pdfjs(demo_dir: Path, start_app: Callable[..., str], page: Page) -> None:
    url = start_app(demo_dir, "--pdf-viewer", "pdfjs")
    page.goto(f"{url}/pieces")
    first = grid_row(page, 0, "pinned-left-cols")
    expect(first).to_contain_text(re.compile(r"\w+-\d{4}-\d{5}"))
    number = re.search(r"\w+-\d{4}-\d{5}", first.inner_text())
    assert number
    grid_row(page, 0).click(button="right")
    page.get_by_test_id("menu-open-piece").click()

    frame_element = page.locator(f'iframe[title="{number.group(0)}"]')
    viewer_src = re.compile(r"^/viewer/index\.html\?file=%2Fpdf%2Fpiece%2F\d+&lang=fr$")
    expect(frame_element).to_have_attribute("src", viewer_src)
    frame = page.frame_locator(f'iframe[title="{number.group(0)}"]')
    expect(frame.locator("body")).to_have_attribute("data-shown", "1", timeout=30_000)
    expect(frame.locator(".textLayer")).to_contain_text(number.group(0))
    assert drawn_pixels(frame) > 5_000


@pytest.mark.browser
def test_the_viewer_opens_only_the_apps_pdfs_and_shows_a_refusal(
    demo_dir: Path, start_app: Callable[..., str], page: Page
) -> None:
    url = start_app(demo_dir, "--pdf-viewer", "pdfjs")
    status = page.get_by_test_id("viewer-status")
    for elsewhere in ("https://example.com/pdf/x.pdf", "//example.com/pdf/x.pdf", "/settings", "javascript:alert(1)"):
        page.goto(f"{url}/viewer/index.html?file={quote(elsewhere, safe='')}&lang=en")
        expect(status).to_have_text("This document cannot be shown here.")
        expect(page.locator(".page")).to_have_count(0)
    page.goto(f"{url}/viewer/index.html?file={quote('/pdf/summary/statement?contact=abc', safe='')}")
    expect(status).to_contain_text("abc")  # the route's own words on the bad parameter
    expect(page.locator(".page")).to_have_count(0)
