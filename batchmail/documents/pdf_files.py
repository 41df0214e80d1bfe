"""Finished PDFs: several merged into one, and the page count of one BatchMail wrote."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable

from pypdf import PdfReader, PdfWriter


def merge_pdfs(pdfs: Iterable[bytes]) -> tuple[bytes, int]:
    """The documents one after the other in one PDF, and its page count. Blocking: run it in a thread."""
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


_PAGES_DICT = re.compile(rb"<<[^<>]*?/Type\s*/Pages\b[^<>]*>>")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")


def page_count(pdf: bytes) -> int:
    """How many pages a PDF written by WeasyPrint has: the /Count of its page tree, which pydyf keeps flat and
    may put in a compressed object stream. A reader for our own output, not for any PDF."""
    chunks = [pdf]
    for match in _STREAM.finditer(pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            chunks.append(zlib.decompress(pdf[match.end() : end]))
        except zlib.error:
            continue  # not a Flate stream (an image, a font)
    counts = [int(count) for chunk in chunks for d in _PAGES_DICT.findall(chunk) for count in _COUNT.findall(d)]
    if not counts:
        raise ValueError("no page tree found in the PDF")
    return max(counts)
