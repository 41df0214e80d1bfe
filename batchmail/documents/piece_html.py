"""The HTML of every document: the package's Jinja2 templates (beside this file), their filters writing amounts,
dates and identifiers per language, and the company's branding as CSS."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from batchmail.documents.labels import LABELS
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_date, format_money, format_percent, format_quantity, language_of
from batchmail.domain.language import Language
from batchmail.domain.pieces import Piece, PieceRef, PieceType, Status
from batchmail.domain.type_names import TITLES

DOCUMENTS_DIR = Path(__file__).resolve().parent
TEMPLATE = "piece.html"

# Payment terms, bank details and late-payment mentions: on what the customer pays from.
_SALES_TERMS = frozenset({PieceType.invoice, PieceType.quote, PieceType.order})
_VALIDITY = frozenset({PieceType.quote, PieceType.purchase_request})
_CREDIT_NOTES = frozenset({PieceType.credit_note, PieceType.supplier_credit_note})

DEFAULT_ACCENT = IssuingCompany(name="").accent_color
_ORIGINS_NAMED = 3  # a consolidated piece names its first origins in its heading; its lines' titles name them all
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_INK = (0x1E, 0x1E, 0x1E)  # the stylesheet's --ink
_SHORT_HEX = 3  # "#abc" stands for "#aabbcc"
_LINEAR_UP_TO = 10  # WCAG: a channel up to 0.03928 of 255 is linear


def build_piece_html(
    piece: Piece,
    contact: Contact,
    company: IssuingCompany,
    *,
    origins: Sequence[PieceRef] = (),
    language: str | None = None,
) -> str:
    """The HTML of one piece in `language` (default: the contact's). Pure: reads only the package's template."""
    lang = language_of(language or contact.language)
    totals = piece.totals
    if piece.type.is_billing:
        due_label = "due_date"
    elif piece.type in _VALIDITY:
        due_label = "valid_until"
    else:
        due_label = "expected_date"
    return (
        document_environment()
        .get_template(TEMPLATE)
        .render(
            language=lang.value,
            L=LABELS[lang],
            title=TITLES[lang][piece.type],
            piece=piece,
            contact=contact,
            company=company,
            totals=totals,
            # What the document itself says is still owed, drafts included (Piece.balance is 0 for a draft).
            balance=totals.incl_tax - piece.paid,
            billing=piece.type.is_billing,
            balance_label="balance" if piece.type in _CREDIT_NOTES else "balance_due",
            due_label=due_label,
            sales_terms=piece.type in _SALES_TERMS,
            acceptance=piece.type is PieceType.quote,
            draft=piece.status is Status.draft,
            origin=origin_text(origins, lang),
            logo_url=Path(company.logo_path).resolve().as_uri() if company.logo_path else "",
            brand=brand_style(company),
        )
    )


def origin_text(origins: Sequence[PieceRef], language: Language) -> str:
    """What a piece follows, as its heading says it: "Commande CO-2026-00012"; several by their numbers."""
    if len(origins) == 1:
        return f"{TITLES[language][origins[0].type]} {origins[0].number}"
    numbers = [ref.number for ref in origins]
    more = f" (+{len(numbers) - _ORIGINS_NAMED})" if len(numbers) > _ORIGINS_NAMED else ""
    return ", ".join(numbers[:_ORIGINS_NAMED]) + more


def accent_color(value: str) -> str:
    """`value` as "#rrggbb" when it is "#rgb" or "#rrggbb", else the default accent: it lands in CSS."""
    value = value.strip()
    if not _HEX_COLOR.fullmatch(value):
        return DEFAULT_ACCENT
    digits = value[1:].lower()
    return "#" + ("".join(2 * d for d in digits) if len(digits) == _SHORT_HEX else digits)


def brand_style(company: IssuingCompany) -> str:
    """The company's colours as CSS custom properties for a `style` attribute on <html> (style.css uses them):
    --accent, --on-accent (white or ink, whichever reads better on it) and --tint (the accent, very light)."""
    accent = accent_color(company.accent_color)
    rgb = tuple(int(accent[i : i + 2], 16) for i in (1, 3, 5))
    light = _luminance(rgb)
    # WCAG contrast ratios of white and of the ink on the accent.
    on_accent = "#ffffff" if 1.05 / (light + 0.05) >= (light + 0.05) / (_luminance(_INK) + 0.05) else "#1e1e1e"
    tint = "#" + "".join(f"{round(255 - 0.09 * (255 - c)):02x}" for c in rgb)
    return f"--accent: {accent}; --on-accent: {on_accent}; --tint: {tint}"


def _luminance(rgb: tuple[int, ...]) -> float:
    """WCAG relative luminance."""
    linear = [c / 255 / 12.92 if c <= _LINEAR_UP_TO else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@cache
def document_environment() -> Environment:
    """The Jinja2 environment of every document (pieces and summaries): its templates, filters and escaping."""
    env = Environment(
        loader=FileSystemLoader(DOCUMENTS_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=_money, date=_date, percent=_percent, quantity=_quantity, iban=_iban, company_id=_company_id
    )
    return env


def _iban(value: str) -> str:
    """Groups of four, as banks print it: "FR76 3000 6000 0112 3456 7890 189"."""
    compact = "".join(value.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _company_id(value: str) -> str:
    """A SIREN as "814 629 374", a SIRET as "814 629 374 00020"; anything else as entered."""
    digits = "".join(value.split())
    if not digits.isdigit() or len(digits) not in (9, 14):
        return value
    return " ".join([digits[0:3], digits[3:6], digits[6:9], digits[9:]]).strip()


@pass_context
def _money(context: Context, amount: Any) -> str:
    return format_money(amount, context["language"])


@pass_context
def _date(context: Context, value: Any) -> str:
    return format_date(value, context["language"])


@pass_context
def _percent(context: Context, rate: Any) -> str:
    return format_percent(rate, context["language"])


@pass_context
def _quantity(context: Context, quantity: Any) -> str:
    return format_quantity(quantity, context["language"])
