"""Files a mail carries besides the pieces' own PDFs: one ZIP of several PDFs, and the user's extra files.

A ZIP is built byte for byte the same from the same files (fixed timestamps and attributes), so re-sending a
grouped mail gives the same content hash and the outbox can tell it is the same message.
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.errors import InvalidInput
from batchmail.sending.message import Attachment

ZIP_MIME_TYPE = "application/zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a ZIP can say: any real date would change the bytes
_FILE_MODE = 0o100644 << 16  # a plain file, readable by all, in the member's "external attributes"
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def zip_pdfs(files: Sequence[tuple[str, bytes]], name: str) -> Attachment:
    """One deflated ZIP named `name` holding `files` (member name, content) in the order given.

    Member names are made ASCII (accents dropped, other characters as "_") and unique ("x.pdf", "x-2.pdf"), so
    every unzip tool on every system shows them as they are meant.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in zip(unique_names(name for name, _ in files), (c for _, c in files), strict=True):
            info = zipfile.ZipInfo(member, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the machine, so the attributes read the same everywhere
            info.external_attr = _FILE_MODE
            archive.writestr(info, content)
    return Attachment(filename=ascii_filename(name), content=buffer.getvalue(), mime_type=ZIP_MIME_TYPE)


def zip_name(piece_types: Sequence[PieceType], issuer: str, day: date, language: Language) -> str:
    """The name of a grouped mail's ZIP: "Factures_Rhone_Maintenance_2026-11-24.zip", "Documents_..." if mixed."""
    kinds = set(piece_types)
    words = PLURALS[language][kinds.pop()] if len(kinds) == 1 else MIXED[language]
    return ascii_filename(f"{words} {issuer} {day.isoformat()}.zip")


def load_attachment(path: Path, *, max_bytes: int) -> Attachment:
    """A file the user chose to add to every mail of a batch, of at most `max_bytes` (the account's largest
    message); InvalidInput naming it if it cannot be read or is not a plain file of that size.

    Opened without waiting (a named pipe would block the open) and checked on the open file, not on its name,
    before a byte is read: a device such as /dev/zero would read on until memory runs out."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        raise InvalidInput(f"attachment {path}: cannot be read ({err.strerror or err})") from err
    problem = _size_problem(os.fstat(handle), max_bytes)
    if problem:
        os.close(handle)
        raise InvalidInput(f"attachment {path}: {problem}")
    with os.fdopen(handle, "rb") as file:
        try:
            content = file.read(max_bytes + 1)
        except OSError as err:
            raise InvalidInput(f"attachment {path}: cannot be read ({err.strerror or err})") from err
    if len(content) > max_bytes:  # it grew while being read
        raise InvalidInput(f"attachment {path}: grew past {max_bytes / 1e6:.1f} MB while being read")
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Attachment(filename=path.name, content=content, mime_type=mime_type)


def _size_problem(status: os.stat_result, max_bytes: int) -> str:
    if not stat.S_ISREG(status.st_mode):
        return "not a plain file (a folder, a device or a pipe)"
    if status.st_size > max_bytes:
        size, largest = status.st_size / 1e6, max_bytes / 1e6
        return f"{size:.1f} MB, more than the {largest:.1f} MB a message may carry through this account"
    return ""


def ascii_filename(name: str) -> str:
    """`name` in letters, digits, ".", "-" and "_" only: "Bon de réception.pdf" -> "Bon_de_reception.pdf"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = ascii_name.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = _UNSAFE.sub("_", stem).strip("._") or "document"
    suffix = _UNSAFE.sub("", suffix)
    return f"{stem}.{suffix}" if suffix else stem


def unique_names(names: Iterable[str]) -> list[str]:
    """Each name made ASCII-safe, a "-2", "-3"... added before the extension to the second of equal names."""
    taken: set[str] = set()
    result: list[str] = []
    for raw in names:
        name = ascii_filename(raw)
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        candidate, counter = name, 1
        while candidate.casefold() in taken:
            counter += 1
            candidate = f"{stem}-{counter}.{suffix}" if suffix else f"{stem}-{counter}"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


_T = PieceType
# The document words of a ZIP's name, in the plural. The singular forms are in documents/labels.py (TITLES).
PLURALS: dict[Language, dict[PieceType, str]] = {
    Language.fr: {
        _T.quote: "Devis",
        _T.order: "Commandes",
        _T.delivery_note: "Bons de livraison",
        _T.invoice: "Factures",
        _T.credit_note: "Avoirs",
        _T.purchase_request: "Demandes de prix",
        _T.purchase_order: "Commandes fournisseur",
        _T.goods_receipt: "Bons de réception",
        _T.supplier_invoice: "Factures fournisseur",
        _T.supplier_credit_note: "Avoirs fournisseur",
    },
    Language.en: {
        _T.quote: "Quotes",
        _T.order: "Orders",
        _T.delivery_note: "Delivery notes",
        _T.invoice: "Invoices",
        _T.credit_note: "Credit notes",
        _T.purchase_request: "Requests for quotation",
        _T.purchase_order: "Purchase orders",
        _T.goods_receipt: "Goods receipts",
        _T.supplier_invoice: "Supplier invoices",
        _T.supplier_credit_note: "Supplier credit notes",
    },
    Language.nl: {
        _T.quote: "Offertes",
        _T.order: "Bestellingen",
        _T.delivery_note: "Leveringsbonnen",
        _T.invoice: "Facturen",
        _T.credit_note: "Creditnota's",
        _T.purchase_request: "Prijsaanvragen",
        _T.purchase_order: "Bestelbonnen",
        _T.goods_receipt: "Ontvangstbonnen",
        _T.supplier_invoice: "Aankoopfacturen",
        _T.supplier_credit_note: "Aankoopcreditnota's",
    },
}
MIXED = {Language.fr: "Documents", Language.en: "Documents", Language.nl: "Documenten"}
