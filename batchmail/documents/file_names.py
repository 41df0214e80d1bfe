"""The file names of documents, readable and safe on every system: "Facture_FA-2026-00042.pdf"."""

from __future__ import annotations

import re
import unicodedata

from batchmail.documents.labels import LABELS
from batchmail.domain.formatting import language_of
from batchmail.domain.pieces import Piece
from batchmail.domain.summaries import AgedBalance, Statement, SummaryDocument
from batchmail.domain.type_names import document_type_name


def piece_filename(piece: Piece, language: str) -> str:
    """A file name safe on every system: "Facture_FA-2026-00042.pdf", "Bon_de_reception_BR-2026-00003.pdf"."""
    return pdf_file_name(document_type_name(piece.type, language_of(language)), piece.number or piece.date.isoformat())


def pdf_file_name(*parts: str) -> str:
    """A PDF file name safe on every system from readable parts, accents dropped, anything else but letters,
    digits, dots and dashes turned to "_": ("Relevé de factures", "L'Atelier") -> "Releve_de_factures_L_Atelier.pdf"."""
    name = "_".join(part for part in parts if part)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9.-]+", "_", ascii_name).strip("._") + ".pdf"


def summary_filename(document: SummaryDocument, language: str) -> str:
    """ "Releve_de_factures_L_Atelier_d_Elodie_2026-01-01_2026-11-25.pdf": the title in `language` (the reader's),
    the contact's company (or name) and the period; a statement without an end ends on the day it was judged on."""
    labels = LABELS[language_of(language)]
    if isinstance(document, AgedBalance):
        return pdf_file_name(labels["aged_balance"], document.as_of.isoformat())
    contact = document.contact
    if isinstance(document, Statement):
        title, first, last = "statement", document.start, document.end or document.as_of
    else:
        title, first, last = "consumption", document.start, document.end
    period = (first.isoformat() if first else "", last.isoformat())
    return pdf_file_name(labels[title], contact.company or contact.name, *period)
