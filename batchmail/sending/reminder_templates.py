"""The messages of payment reminders, one per dunning level and language, and of statements of invoices: the
built-in wording, and which template a reminder or a statement mail uses among the saved ones.

A reminder lists all the contact's overdue invoices with the multi-piece keywords; its tone hardens with its
level. Levels beyond the built-in three need a saved template: a reminder is never sent in the wrong words.
"""

from __future__ import annotations

from collections.abc import Sequence

from batchmail.domain.language import Language
from batchmail.errors import InvalidInput
from batchmail.sending.templates import MessageTemplate, TemplateUse

_LEVEL_NAMES = {
    Language.fr: "Relance niveau {level}",
    Language.en: "Reminder level {level}",
    Language.nl: "Herinnering niveau {level}",
}
_STATEMENT_NAMES = {
    Language.fr: "Relevé de factures",
    Language.en: "Statement of invoices",
    Language.nl: "Rekeninguittreksel",
}

REMINDER_SUBJECTS: dict[int, dict[Language, str]] = {
    1: {
        Language.fr: "Rappel : factures échues {{ INTERVALLE_NUM_PIECES }} – {{ MONTANT_TOTAL_TTC_SOLDE }}",
        Language.en: "Reminder: overdue invoices {{ INTERVALLE_NUM_PIECES }} – {{ MONTANT_TOTAL_TTC_SOLDE }}",
        Language.nl: "Herinnering: vervallen facturen {{ INTERVALLE_NUM_PIECES }} – {{ MONTANT_TOTAL_TTC_SOLDE }}",
    },
    2: {
        Language.fr: "Deuxième relance : {{ MONTANT_TOTAL_TTC_SOLDE }} restent dus",
        Language.en: "Second reminder: {{ MONTANT_TOTAL_TTC_SOLDE }} still due",
        Language.nl: "Tweede herinnering: {{ MONTANT_TOTAL_TTC_SOLDE }} nog verschuldigd",
    },
    3: {
        Language.fr: "Mise en demeure de payer : {{ MONTANT_TOTAL_TTC_SOLDE }}",
        Language.en: "Formal notice to pay: {{ MONTANT_TOTAL_TTC_SOLDE }}",
        Language.nl: "Ingebrekestelling: {{ MONTANT_TOTAL_TTC_SOLDE }}",
    },
}
_OPENINGS: dict[int, dict[Language, str]] = {
    1: {
        Language.fr: "Sauf erreur de notre part, les factures suivantes restent impayées à ce jour :",
        Language.en: "Unless we are mistaken, the following invoices are still unpaid:",
        Language.nl: "Tenzij wij ons vergissen, zijn de volgende facturen nog niet betaald:",
    },
    2: {
        Language.fr: "Malgré notre précédent rappel, les factures suivantes restent impayées :",
        Language.en: "Despite our previous reminder, the following invoices are still unpaid:",
        Language.nl: "Ondanks onze vorige herinnering zijn de volgende facturen nog niet betaald:",
    },
    3: {
        Language.fr: "Malgré nos relances, les factures suivantes restent impayées. Nous vous mettons en demeure "
        "de les régler sous huit jours :",
        Language.en: "Despite our reminders, the following invoices are still unpaid. We formally ask you to pay "
        "them within eight days:",
        Language.nl: "Ondanks onze herinneringen zijn de volgende facturen nog niet betaald. Wij stellen u in "
        "gebreke ze binnen acht dagen te betalen:",
    },
}
_CLOSINGS = {
    Language.fr: (
        "Montant total dû : {{ MONTANT_TOTAL_TTC_SOLDE }}.\n"
        "Si votre règlement a croisé ce message, merci de ne pas en tenir compte.\n\n"
        "{{ MENTIONS_RETARD }}\n\nCordialement,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
    Language.en: (
        "Total due: {{ MONTANT_TOTAL_TTC_SOLDE }}.\n"
        "If your payment has crossed this message, please disregard it.\n\n"
        "{{ MENTIONS_RETARD }}\n\nKind regards,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
    Language.nl: (
        "Totaal verschuldigd: {{ MONTANT_TOTAL_TTC_SOLDE }}.\n"
        "Indien uw betaling dit bericht heeft gekruist, mag u het als onbestaande beschouwen.\n\n"
        "{{ MENTIONS_RETARD }}\n\nMet vriendelijke groeten,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
}
_GREETINGS = {
    Language.fr: "Bonjour {{ NOMCLIENT }},",
    Language.en: "Dear {{ NOMCLIENT }},",
    Language.nl: "Beste {{ NOMCLIENT }},",
}
_STATEMENT_SUBJECTS = {
    Language.fr: "Relevé de vos factures – solde dû {{ MONTANT_TOTAL_TTC_SOLDE }}",
    Language.en: "Statement of your invoices – balance due {{ MONTANT_TOTAL_TTC_SOLDE }}",
    Language.nl: "Overzicht van uw facturen – openstaand saldo {{ MONTANT_TOTAL_TTC_SOLDE }}",
}
_STATEMENT_BODIES = {
    Language.fr: "Veuillez trouver ci-joint le relevé de vos factures du {{ INTERVALLE_DT_PIECES }}.\n"
    "Solde dû à ce jour : {{ MONTANT_TOTAL_TTC_SOLDE }}.\n\nCordialement,\n{{ SOCIETE_EMETTRICE }}\n",
    Language.en: "Please find attached the statement of your invoices of {{ INTERVALLE_DT_PIECES }}.\n"
    "Balance due today: {{ MONTANT_TOTAL_TTC_SOLDE }}.\n\nKind regards,\n{{ SOCIETE_EMETTRICE }}\n",
    Language.nl: "In bijlage vindt u het overzicht van uw facturen van {{ INTERVALLE_DT_PIECES }}.\n"
    "Openstaand saldo vandaag: {{ MONTANT_TOTAL_TTC_SOLDE }}.\n\nMet vriendelijke groeten,\n{{ SOCIETE_EMETTRICE }}\n",
}
BUILTIN_LEVELS = len(REMINDER_SUBJECTS)


def builtin_reminder(level: int, language: Language) -> MessageTemplate | None:
    """The built-in reminder of that level and language; None beyond the built-in levels."""
    if level not in REMINDER_SUBJECTS:
        return None
    body = f"{_GREETINGS[language]}\n\n{_OPENINGS[level][language]}\n{{{{ LISTE_PIECES_AVECSOLDE }}}}\n\n"
    return MessageTemplate(
        name=_LEVEL_NAMES[language].format(level=level),
        language=language,
        subject=REMINDER_SUBJECTS[level][language],
        body=body + _CLOSINGS[language],
        use=TemplateUse.reminder,
        level=level,
    )


def builtin_statement(language: Language) -> MessageTemplate:
    return MessageTemplate(
        name=_STATEMENT_NAMES[language],
        language=language,
        subject=_STATEMENT_SUBJECTS[language],
        body=f"{_GREETINGS[language]}\n\n{_STATEMENT_BODIES[language]}",
        use=TemplateUse.statement,
    )


def reminder_template(
    saved: Sequence[MessageTemplate], level: int, language: Language, company_language: Language | None
) -> MessageTemplate:
    """The template of a reminder of `level` to a reader of `language`: a saved one of that level in that
    language, else in the company's language, else the built-in one. InvalidInput when there is none."""
    for wanted in dict.fromkeys((language, company_language or language)):
        found = next(
            (t for t in saved if t.use is TemplateUse.reminder and t.level == level and t.language == wanted), None
        )
        if found is not None:
            return found
    builtin = builtin_reminder(level, language)
    if builtin is None:
        where = "write one on the Templates page, for reminders of that level"
        raise InvalidInput(f"reminder level {level} has no message template in {language.value}: {where}")
    return builtin


def statement_template(
    saved: Sequence[MessageTemplate], language: Language, company_language: Language | None
) -> MessageTemplate:
    """The template of a statement mail: a saved one in that language, else the company's, else the built-in."""
    for wanted in dict.fromkeys((language, company_language or language)):
        found = next((t for t in saved if t.use is TemplateUse.statement and t.language == wanted), None)
        if found is not None:
            return found
    return builtin_statement(language)
