"""Which preview frames use the PDF.js viewer: only where the window's engine shows no PDF, unless told."""

from __future__ import annotations

import pytest

from ui.pdf_view import PdfViewer, uses_pdfjs


@pytest.mark.parametrize(
    ("viewer", "backend", "expected"),
    [
        (PdfViewer.auto, "gtk", True),  # Linux WebKitGTK: a blank frame otherwise
        (PdfViewer.auto, "edgechromium", False),
        (PdfViewer.auto, "cocoa", False),
        (PdfViewer.auto, "qt", False),
        (PdfViewer.auto, None, False),  # a browser
        (PdfViewer.builtin, "gtk", False),
        (PdfViewer.pdfjs, None, True),
        (PdfViewer.pdfjs, "edgechromium", True),
    ],
)
def test_the_viewer_is_pdfjs_only_where_needed_or_asked(viewer: PdfViewer, backend: str | None, expected: bool) -> None:
    assert uses_pdfjs(viewer, backend) is expected
