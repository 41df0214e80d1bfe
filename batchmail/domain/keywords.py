"""The keywords of message templates (the names WinPrest users know, docs/keywords.md) and their values for the
pieces of one mail, written the way the mail's language writes amounts and dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_date, format_money, format_percent
from batchmail.domain.language import Language
from batchmail.domain.numbering import natural_key
from batchmail.domain.pieces import Piece
from batchmail.domain.type_names import document_type_name
from batchmail.errors import InvalidInput

ONE_PIECE_KEYWORDS = ("NUMFACT", "DATEFACT", "TYPEDOC", "NOMCLIENT", "SOCIETE", "MONTANT_TTC", "SOLDE", "ECHEANCE")
MULTI_PIECE_KEYWORDS = (
    "INTERVALLE_NUM_PIECES",
    "INTERVALLE_DT_PIECES",
    "MONTANT_TOTAL_TTC",
    "LISTE_PIECES_AVECSOLDE",
    "MONTANT_TOTAL_TTC_SOLDE",
)
# Not in the users' historical list: the issuing company's name, so a default template can be signed, and the
# late-payment mentions its settings give (penalty rate, fixed recovery indemnity), which a reminder must state.
EXTRA_KEYWORDS = ("SOCIETE_EMETTRICE", "MENTIONS_RETARD")
KEYWORDS = (*ONE_PIECE_KEYWORDS, *MULTI_PIECE_KEYWORDS, *EXTRA_KEYWORDS)

_RANGE = "{} – {}"


@dataclass(kw_only=True, slots=True)
class TemplateContext:
    """What a template is rendered for: the pieces of one mail (at least one), their contact, the issuer."""

    pieces: Sequence[Piece]
    contact: Contact
    company: IssuingCompany
    language: Language

    def values(self) -> dict[str, str]:
        """Every keyword's value, formatted for the context's language."""
        if not self.pieces:
            raise InvalidInput("a message needs at least one piece to fill its keywords")
        lang = self.language
        first = self.pieces[0]
        numbers = sorted((p.number for p in self.pieces), key=natural_key)
        dates = sorted(p.date for p in self.pieces)
        listed = sorted(self.pieces, key=lambda p: (p.date, natural_key(p.number)))
        return {
            "NUMFACT": first.number,
            "DATEFACT": format_date(first.date, lang),
            "TYPEDOC": document_type_name(first.type, lang),
            "NOMCLIENT": self.contact.name,
            "SOCIETE": self.contact.company,
            "MONTANT_TTC": format_money(first.totals.incl_tax, lang),
            "SOLDE": format_money(first.balance, lang),
            "ECHEANCE": format_date(first.due_date, lang) if first.due_date else "",
            "INTERVALLE_NUM_PIECES": _range(numbers[0], numbers[-1]),
            "INTERVALLE_DT_PIECES": _range(format_date(dates[0], lang), format_date(dates[-1], lang)),
            "MONTANT_TOTAL_TTC": format_money(
                sum((p.type.sign * p.totals.incl_tax for p in self.pieces), Decimal(0)), lang
            ),
            "LISTE_PIECES_AVECSOLDE": "\n".join(_list_line(p, lang) for p in listed),
            "MONTANT_TOTAL_TTC_SOLDE": format_money(
                sum((p.type.sign * p.balance for p in self.pieces), Decimal(0)), lang
            ),
            "SOCIETE_EMETTRICE": self.company.name,
            "MENTIONS_RETARD": late_payment_mentions(self.company, lang),
        }


def late_payment_mentions(company: IssuingCompany, language: Language) -> str:
    """The late-payment penalties and recovery indemnity the company's settings state (art. L441-10, D441-5)."""
    return LATE_PAYMENT[language].format(
        rate=format_percent(company.late_penalty_rate, language),
        indemnity=format_money(company.recovery_indemnity, language),
    )


def _list_line(piece: Piece, language: Language) -> str:
    return LIST_LINES[language].format(
        type=document_type_name(piece.type, language),
        number=piece.number,
        date=format_date(piece.date, language),
        balance=format_money(piece.type.sign * piece.balance, language),
    )


def _range(low: str, high: str) -> str:
    return low if low == high else _RANGE.format(low, high)


LIST_LINES = {
    Language.fr: "- {type} {number} du {date} – solde : {balance}",
    Language.en: "- {type} {number} of {date} – balance due: {balance}",
    Language.nl: "- {type} {number} van {date} – openstaand saldo: {balance}",
}

LATE_PAYMENT = {
    Language.fr: (
        "Tout retard de paiement entraîne des pénalités au taux annuel de {rate} (article L441-10 du Code de "
        "commerce) et une indemnité forfaitaire pour frais de recouvrement de {indemnity} (article D441-5)."
    ),
    Language.en: (
        "Late payment incurs penalties at an annual rate of {rate} (article L441-10 of the French Commercial Code) "
        "and a fixed indemnity for recovery costs of {indemnity} (article D441-5)."
    ),
    Language.nl: (
        "Bij laattijdige betaling zijn verwijlintresten verschuldigd tegen een jaarlijkse rentevoet van {rate} en "
        "een forfaitaire vergoeding voor invorderingskosten van {indemnity}."
    ),
}
