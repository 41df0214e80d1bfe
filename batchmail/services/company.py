"""The issuing company as the settings edit it: identity, legal mentions, bank, terms, branding and the archive
blind copy, checked field by field (batchmail/company_form.py), and its logo kept in the data directory.

The logo is recognised by its content (PNG, JPEG or SVG), never by its name, and copied to
`<data>/branding/logo-<hash>.<ext>`: a new logo gets a new name, so the company never points to a half-written file
and nothing (a browser, the PDF cache) can mistake the new logo for the old one.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from xml.etree import ElementTree

from batchmail.domain.company import IssuingCompany
from batchmail.domain.pieces import PieceType, Status
from batchmail.domain.selection import Criteria, select
from batchmail.errors import InvalidInput
from batchmail.files import write_atomic
from batchmail.services.company_form import FieldError, parse_company
from batchmail.services.repositories import CompanyRepository, PieceRepository

LOGO_MAX_BYTES = 2 * 1024 * 1024
BRANDING_DIR = "branding"
_JPEG_START = b"\xff\xd8\xff"  # a start-of-image marker, then the first byte of the next marker
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


class LogoKind(StrEnum):
    png = "png"  # the 8-byte PNG signature followed by its IHDR chunk
    jpeg = "jpeg"  # a JPEG start-of-image marker followed by another marker
    svg = "svg"  # well-formed XML whose root element is <svg>

    @property
    def mime(self) -> str:
        return {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}[self.value]

    @property
    def suffix(self) -> str:
        return {"png": ".png", "jpeg": ".jpg", "svg": ".svg"}[self.value]


@dataclass(frozen=True, kw_only=True, slots=True)
class Logo:
    kind: LogoKind
    data: bytes


def sniff_logo(data: bytes) -> LogoKind:
    """The kind of image `data` holds, by its content; raises InvalidInput naming the logo otherwise. Blocking for
    an SVG (it is parsed): call it off the event loop."""
    if not data:
        raise InvalidInput("logo: the file is empty")
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidInput(f"logo: {len(data):,} bytes, more than the {LOGO_MAX_BYTES:,} a logo may have")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return LogoKind.png
    if data.startswith(_JPEG_START) and len(data) > len(_JPEG_START) + 1:
        return LogoKind.jpeg
    if _is_svg(data):
        return LogoKind.svg
    raise InvalidInput("logo: not a PNG, JPEG or SVG image")


class CompanyService:
    """Reads and saves the issuing company."""

    def __init__(self, *, company: CompanyRepository, pieces: PieceRepository, branding_dir: Path) -> None:
        self._company = company
        self._pieces = pieces
        self.branding_dir = branding_dir.resolve()  # where the logos chosen in the settings are kept
        self._lock = threading.Lock()  # one save at a time: logo file, company, old logo removal

    async def get(self) -> IssuingCompany | None:
        return await asyncio.to_thread(self._company.get)

    def check(self, values: Mapping[str, str], base: IssuingCompany | None = None) -> list[FieldError]:
        """Every problem `save(values)` would refuse, for a form to show under each field. Quick and pure."""
        return parse_company(values, base=base or IssuingCompany(name=""))[1]

    async def save(
        self, values: Mapping[str, str], *, logo: bytes | None = None, remove_logo: bool = False
    ) -> IssuingCompany:
        """Change the fields in `values` (text, as `company_form` gives it) and, if asked, the logo; returns the
        company as saved. Raises InvalidInput naming every bad field (or the logo) and then changes nothing.
        Without a company yet (fresh install), one is created and its name is required."""
        if logo is not None and remove_logo:
            raise InvalidInput("logo: give a new logo or remove it, not both")
        return await asyncio.to_thread(self._save, values, logo, remove_logo)

    async def logo(self) -> Logo | None:
        """The saved logo's content, for a thumbnail; None without one or when its file is gone."""

        def run() -> Logo | None:
            company = self._company.get()
            if company is None or not company.logo_path:
                return None
            try:
                data = Path(company.logo_path).read_bytes()
                return Logo(kind=sniff_logo(data), data=data)
            except (OSError, InvalidInput):
                return None

        return await asyncio.to_thread(run)

    async def check_logo(self, data: bytes) -> Logo:
        """`data` as a logo, checked by content and size (raises InvalidInput naming the logo)."""
        return Logo(kind=await asyncio.to_thread(sniff_logo, data), data=data)

    async def preview_piece_id(self) -> int | None:
        """A real invoice to show the branding on: the newest one that is not a draft (else the newest), or None
        when the store holds no invoice."""

        def run() -> int | None:
            rows = select(self._pieces.summaries(), Criteria(types=frozenset({PieceType.invoice})), {})
            final = [row for row in rows if row.status is not Status.draft]
            return (final or rows)[0].id if rows else None

        return await asyncio.to_thread(run)

    def _save(self, values: Mapping[str, str], logo: bytes | None, remove_logo: bool) -> IssuingCompany:
        with self._lock:
            company, errors = parse_company(values, base=self._company.get() or IssuingCompany(name=""))
            if errors:
                raise InvalidInput("issuing company: " + "; ".join(map(str, errors)))
            if logo is not None:
                kind = sniff_logo(logo)
                path = self.branding_dir / f"logo-{hashlib.sha256(logo).hexdigest()[:16]}{kind.suffix}"
                write_atomic(path, logo)
                company.logo_path = str(path)
            elif remove_logo:
                company.logo_path = ""
            self._company.save(company)
            self._remove_old_logos(keep=company.logo_path)
            return company

    def _remove_old_logos(self, *, keep: str) -> None:
        """Logos of the branding folder the company no longer shows (once the company points elsewhere). Compared
        by name: a data directory moved or reached by another path still names its logo the same."""
        if not self.branding_dir.is_dir():
            return
        kept = Path(keep).name if keep else None
        for path in self.branding_dir.glob("logo-*"):
            if path.name != kept:
                path.unlink(missing_ok=True)


def _is_svg(data: bytes) -> bool:
    """Well-formed XML with an <svg> root. Python's expat expands no external entity and caps entity expansion,
    so a hostile file costs a refusal, not the machine."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return False
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError):
        return False
    return root.tag in (f"{_SVG_NAMESPACE}svg", "svg")
