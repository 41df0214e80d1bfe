"""The summaries as HTML, on the pieces' letterhead: statement.html, balance.html and consumption.html, which
extend documents/letterhead.html and share style.css with the pieces (plus summary.css).

Pure like `build_piece_html`: the same Jinja2 environment (filters that write money and dates in the document's
language), the package's templates only. A statement and a consumption list speak the contact's language, the
aged balance (an internal document) the company's.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from batchmail.documents.labels import LABELS
from batchmail.documents.piece_html import brand_style, document_environment
from batchmail.domain.company import IssuingCompany
from batchmail.domain.formatting import language_of
from batchmail.domain.language import Language
from batchmail.domain.money import ZERO, to_cents
from batchmail.domain.pieces import PieceType
from batchmail.domain.summaries import (
    AgeBucket,
    AgedBalance,
    Consumption,
    ConsumptionLine,
    EntryKind,
    Statement,
    StatementLine,
)
from batchmail.domain.type_names import TITLES

_TENTH = Decimal("0.1")
_HUNDRED = Decimal(100)


def build_statement_html(statement: Statement, company: IssuingCompany, *, language: str | None = None) -> str:
    lang = language_of(language or statement.contact.language)
    names = {contact.id: contact.name for contact in statement.contacts}
    return _render(
        "statement.html",
        "statement",
        company,
        lang,
        subject=statement.contact.display_name,
        statement=statement,
        several=len({line.contact_id for line in statement.lines}) > 1,
        names=names,
        describe=_describer(lang),
    )


def build_balance_html(balance: AgedBalance, company: IssuingCompany, *, language: str | None = None) -> str:
    lang = language_of(language or company.language)
    total = balance.total
    shares: dict[AgeBucket, Decimal] = {}
    if total > ZERO and all(amount >= ZERO for amount in balance.totals.values()):  # no share of a net credit
        shares = {bucket: (amount * _HUNDRED / total).quantize(_TENTH) for bucket, amount in balance.totals.items()}
    return _render(
        "balance.html",
        "aged_balance",
        company,
        lang,
        subject=balance.as_of.isoformat(),
        balance=balance,
        buckets=list(AgeBucket),
        shares=shares,
    )


def build_consumption_html(consumption: Consumption, company: IssuingCompany, *, language: str | None = None) -> str:
    lang = language_of(language or consumption.contact.language)
    return _render(
        "consumption.html",
        "consumption",
        company,
        lang,
        subject=consumption.contact.display_name,
        consumption=consumption,
        average=_average_price,
    )


def _render(
    template: str, title: str, company: IssuingCompany, language: Language, *, subject: str, **values: Any
) -> str:
    labels = LABELS[language]
    return (
        document_environment()
        .get_template(template)
        .render(
            language=language.value,
            L=labels,
            title=labels[title],
            subject=subject,
            company=company,
            brand=brand_style(company),
            logo_url=Path(company.logo_path).resolve().as_uri() if company.logo_path else "",
            **values,
        )
    )


def _describer(language: Language) -> Callable[[StatementLine], str]:
    labels, titles = LABELS[language], TITLES[language]

    def describe(line: StatementLine) -> str:
        if line.kind is EntryKind.payment:
            return labels["payment_entry"].format(number=line.number)
        if line.kind is EntryKind.refund:
            return labels["refund_entry"].format(number=line.number)
        return f"{titles[PieceType(line.kind.value)]} {line.number}"

    return describe


def _average_price(line: ConsumptionLine) -> Decimal:
    return to_cents(line.amount / line.quantity) if line.quantity else ZERO
