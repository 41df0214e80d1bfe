"""Every keyword of a message template filled in French and English, for one piece and for several in one mail."""

from __future__ import annotations

import dataclasses

import pytest

from batchmail.domain.keywords import KEYWORDS
from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.sending.compose import Grouping
from batchmail.sending.templates import MessageTemplate
from tests.sending.composekit import (
    AV2,
    FA9,
    FA10,
    FA20,
    FA21,
    JEAN,
    MARY,
    NBSP,
    NNBSP,
    run,
)

ALL_KEYWORDS_PERCENT = "\n".join(f"{name}=%{name}%" for name in KEYWORDS)
ALL_KEYWORDS_JINJA = "\n".join(f"{name}={{{{ {name} }}}}" for name in KEYWORDS)
TEMPLATES = {
    Language.fr: MessageTemplate(name="tout", language=Language.fr, subject="%INTERVALLE_NUM_PIECES%", body=""),
    Language.en: MessageTemplate(name="all", language=Language.en, subject="{{ INTERVALLE_NUM_PIECES }}", body=""),
}


def every_keyword(piece_type: PieceType, language: Language) -> MessageTemplate:
    """A lookup giving, per language, a template of every keyword: % form in French, Jinja form in English."""
    body = ALL_KEYWORDS_PERCENT if language is Language.fr else ALL_KEYWORDS_JINJA
    return dataclasses.replace(TEMPLATES[language], body=body)


async def test_every_keyword_of_a_grouped_mail_in_french() -> None:
    result, _ = await run([FA10, FA9, AV2], grouping=Grouping.per_recipient, templates=every_keyword)

    assert result.drafts[0].message.subject == "AV-2026-00002 – FA-2026-00010"
    assert result.drafts[0].message.text_body.split("\n") == [
        "NUMFACT=AV-2026-00002",  # the first piece by number
        "DATEFACT=02/03/2026",
        "TYPEDOC=Avoir",
        "NOMCLIENT=Jean Dupont",
        "SOCIETE=ACME SARL",
        f"MONTANT_TTC=60,00{NBSP}€",
        f"SOLDE=60,00{NBSP}€",
        "ECHEANCE=",  # the credit note has no due date
        "INTERVALLE_NUM_PIECES=AV-2026-00002 – FA-2026-00010",
        "INTERVALLE_DT_PIECES=01/03/2026 – 05/03/2026",
        f"MONTANT_TOTAL_TTC=1{NNBSP}245,49{NBSP}€",  # 1 200.00 + 105.49 - 60.00
        f"LISTE_PIECES_AVECSOLDE=- Facture FA-2026-00009 du 01/03/2026 – solde : 105,49{NBSP}€",
        f"- Avoir AV-2026-00002 du 02/03/2026 – solde : -60,00{NBSP}€",
        f"- Facture FA-2026-00010 du 05/03/2026 – solde : 1{NNBSP}000,00{NBSP}€",
        f"MONTANT_TOTAL_TTC_SOLDE=1{NNBSP}045,49{NBSP}€",  # 1 000.00 + 105.49 - 60.00
        "SOCIETE_EMETTRICE=Rhône Maintenance Équipements",
        f"MENTIONS_RETARD=Tout retard de paiement entraîne des pénalités au taux annuel de 12,15{NBSP}% (article "
        f"L441-10 du Code de commerce) et une indemnité forfaitaire pour frais de recouvrement de 40,00{NBSP}€ "
        "(article D441-5).",
    ]


async def test_every_keyword_of_a_grouped_mail_in_english() -> None:
    english_jean = dataclasses.replace(JEAN, language=Language.en)
    result, _ = await run([FA10, FA9, AV2], {1: english_jean}, grouping=Grouping.per_recipient, templates=every_keyword)

    assert result.drafts[0].message.text_body.split("\n") == [
        "NUMFACT=AV-2026-00002",
        "DATEFACT=02/03/2026",
        "TYPEDOC=Credit note",
        "NOMCLIENT=Jean Dupont",
        "SOCIETE=ACME SARL",
        "MONTANT_TTC=€60.00",
        "SOLDE=€60.00",
        "ECHEANCE=",
        "INTERVALLE_NUM_PIECES=AV-2026-00002 – FA-2026-00010",
        "INTERVALLE_DT_PIECES=01/03/2026 – 05/03/2026",
        "MONTANT_TOTAL_TTC=€1,245.49",
        "LISTE_PIECES_AVECSOLDE=- Invoice FA-2026-00009 of 01/03/2026 – balance due: €105.49",
        "- Credit note AV-2026-00002 of 02/03/2026 – balance due: -€60.00",
        "- Invoice FA-2026-00010 of 05/03/2026 – balance due: €1,000.00",
        "MONTANT_TOTAL_TTC_SOLDE=€1,045.49",
        "SOCIETE_EMETTRICE=Rhône Maintenance Équipements",
        "MENTIONS_RETARD=Late payment incurs penalties at an annual rate of 12.15% (article L441-10 of the French "
        "Commercial Code) and a fixed indemnity for recovery costs of €40.00 (article D441-5).",
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            Language.en,
            [
                "02/11/2026",  # both pieces of the same day: one date, not a range
                "FA-2026-00020 – FA-2026-00021",
                "€1,517.40",  # 1 481.40 + 36.00
                "- Invoice FA-2026-00020 of 02/11/2026 – balance due: €1,000.00",
                "- Invoice FA-2026-00021 of 02/11/2026 – balance due: €36.00",
                "€1,036.00",  # 1 000.00 + 36.00
            ],
        ),
        (
            Language.fr,
            [
                "02/11/2026",
                "FA-2026-00020 – FA-2026-00021",
                f"1{NNBSP}517,40{NBSP}€",
                f"- Facture FA-2026-00020 du 02/11/2026 – solde : 1{NNBSP}000,00{NBSP}€",
                f"- Facture FA-2026-00021 du 02/11/2026 – solde : 36,00{NBSP}€",
                f"1{NNBSP}036,00{NBSP}€",
            ],
        ),
    ],
)
async def test_multi_piece_keywords_with_equal_dates(language: Language, expected: list[str]) -> None:
    mary = dataclasses.replace(MARY, language=language)
    body = (
        "%INTERVALLE_DT_PIECES%\n%INTERVALLE_NUM_PIECES%\n%MONTANT_TOTAL_TTC%\n"
        "%LISTE_PIECES_AVECSOLDE%\n%MONTANT_TOTAL_TTC_SOLDE%"
    )
    forced = MessageTemplate(name="relevé", language=language, subject="%SOCIETE%", body=body)
    result, _ = await run([FA21, FA20], {2: mary}, grouping=Grouping.per_recipient, template=forced)

    assert result.drafts[0].message.text_body.split("\n") == expected
    assert result.drafts[0].message.subject == "Smith Ltd"
