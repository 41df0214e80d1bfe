"""Message templates ("messages-types"): a subject and a plain-text body with keywords, per document type and language.

Templates are Jinja2 run in an immutable sandbox with no globals and strict undefined values, so a template can
read the keywords and use filters, but can neither reach Python internals nor print an unknown keyword blank.
The keywords are also accepted in the ``%NAME%`` form users of older software type; it is translated to
``{{ NAME }}`` before compiling, which keeps line numbers. The user writes plain text: the text part is the
rendered text as is, the HTML part is the same text HTML-escaped with its line breaks as ``<br>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import markupsafe

from batchmail.domain.keywords import KEYWORDS, TemplateContext
from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.domain.type_names import document_type_name
from batchmail.errors import InvalidInput
from batchmail.sending.message import one_line
from batchmail.sending.template_runner import RUNNER
from batchmail.sending.template_sandbox import FieldProblem, ProblemKind


class TemplateUse(StrEnum):
    """What a template writes: the mail carrying pieces, a payment reminder, a statement of invoices."""

    piece = "piece"
    reminder = "reminder"
    statement = "statement"


@dataclass(kw_only=True, slots=True)
class MessageTemplate:
    name: str
    piece_type: PieceType | None = None  # None: fits every document type
    language: Language = Language.fr
    subject: str
    body: str  # plain text as the user wrote it
    use: TemplateUse = TemplateUse.piece
    level: int = 0  # a reminder's dunning level, from 1; 0 for the other uses


@dataclass(frozen=True, slots=True)
class RenderedText:
    subject: str
    text: str
    html: str


def default_template(piece_type: PieceType, language: Language, *, several: bool = False) -> MessageTemplate:
    """The template a fresh install uses for a document type and language; `several`: its wording for a mail
    holding several pieces (grouped per recipient), which names them all and their total."""
    subjects, bodies = (GROUPED_SUBJECTS, GROUPED_BODIES) if several else (DEFAULT_SUBJECTS, DEFAULT_BODIES)
    return MessageTemplate(
        name=f"{document_type_name(piece_type, language)} ({language})",
        piece_type=piece_type,
        language=language,
        subject=subjects[language],
        body=bodies[language].replace("{phrase}", _phrase(piece_type, language)),
    )


def check_template(template: MessageTemplate) -> None:
    """Refuse, with InvalidInput naming the field and line, a template that could not be rendered. Call at save."""
    problem = find_problem(template)
    if problem is not None:
        raise InvalidInput(f"template {template.name!r}, {problem}")


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """Why a template cannot be saved, and where: what `check_template` refuses, taken apart for an editor."""

    field: str  # "subject" or "body"
    line: int | None  # in that field, from 1; None when Jinja2 does not say
    kind: ProblemKind
    keyword: str  # the unknown keyword's name (without %), "" for the other kinds
    detail: str  # what Jinja2 or the sandbox said, in English

    def __str__(self) -> str:
        where = f", line {self.line}" if self.line else ""
        return f"{self.field}{where}: {self.detail}"

    def span(self, source: str) -> tuple[int, int] | None:
        """Start and end offsets in `source` (the field's text) of the unknown keyword, as typed."""
        if not self.keyword or not self.line:
            return None
        lines = source.split("\n")
        if self.line > len(lines):
            return None
        start = sum(len(line) + 1 for line in lines[: self.line - 1])
        text = lines[self.line - 1]
        found = re.search(rf"%{self.keyword}%", text) or re.search(rf"\b{self.keyword}\b", text)
        return (start + found.start(), start + found.end()) if found else None


def find_problem(template: MessageTemplate, context: TemplateContext | None = None) -> TemplateProblem | None:
    """The first thing that keeps the template from rendering, field by field, or None. Blocking (the template
    worker renders it, within its bounds): call it from a worker thread.

    Without a context the template is rendered as `check_template` does (every keyword set), so None here means
    the save check passes; with one, on that context's real values.
    """
    values = context.values() if context else dict.fromkeys(KEYWORDS, "x")
    written = RUNNER.render(_fields(template), values, KEYWORDS)
    if isinstance(written, FieldProblem):
        return TemplateProblem(
            field=written.field,
            line=written.line,
            kind=written.kind,
            keyword=written.keyword,
            detail=written.detail,
        )
    return None


def render_template(template: MessageTemplate, context: TemplateContext) -> RenderedText:
    """The subject (one line), text part and HTML part of a message. Raises InvalidInput on a bad template.
    Blocking (the template worker renders it, within its bounds): call it from a worker thread."""
    written = RUNNER.render(_fields(template), context.values(), KEYWORDS)
    if isinstance(written, FieldProblem):
        where = f", line {written.line}" if written.line else ""
        raise InvalidInput(f"template {template.name!r}, {written.field}{where}: {written.detail}")
    subject = one_line(written["subject"])
    return RenderedText(subject=subject, text=written["body"], html=_html(written["body"], context.language))


def _fields(template: MessageTemplate) -> tuple[tuple[str, str], ...]:
    return (("subject", template.subject), ("body", template.body))


def _html(text: str, language: Language) -> str:
    body = str(markupsafe.escape(text)).replace("\n", "<br>\n")
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n<div>{body}</div>\n</body>\n</html>\n"
    )


# The words of the messages, per language.
_T = PieceType
# A supplier's own documents are "the" document; every other one is "ours".
_THEIRS = frozenset({_T.supplier_invoice, _T.supplier_credit_note})
_OURS = {Language.fr: "notre", Language.en: "our", Language.nl: "onze"}
_THE = {Language.fr: "la", Language.en: "the", Language.nl: "de"}


def _phrase(piece_type: PieceType, language: Language) -> str:
    """How a default message names the attached document: "notre facture", "l'avoir fournisseur"."""
    name = document_type_name(piece_type, language).lower()
    if piece_type not in _THEIRS:
        return f"{_OURS[language]} {name}"
    if language is Language.fr and name[0] in "aeiouy":
        return f"l'{name}"
    return f"{_THE[language]} {name}"


DEFAULT_SUBJECTS = {
    Language.fr: "{{ TYPEDOC }} n° {{ NUMFACT }} – {{ MONTANT_TTC }} TTC",
    Language.en: "{{ TYPEDOC }} {{ NUMFACT }} – {{ MONTANT_TTC }} incl. VAT",
    Language.nl: "{{ TYPEDOC }} {{ NUMFACT }} – {{ MONTANT_TTC }} incl. btw",
}
DEFAULT_BODIES = {
    Language.fr: (
        "Bonjour {{ NOMCLIENT }},\n\n"
        "Veuillez trouver ci-joint {phrase} n° {{ NUMFACT }} du {{ DATEFACT }}, "
        "d'un montant de {{ MONTANT_TTC }} TTC.\n"
        "{% if ECHEANCE %}Date d'échéance : {{ ECHEANCE }}.\n{% endif %}\n"
        "Nous restons à votre disposition pour toute question.\n\n"
        "Cordialement,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
    Language.en: (
        "Dear {{ NOMCLIENT }},\n\n"
        "Please find attached {phrase} {{ NUMFACT }} dated {{ DATEFACT }}, "
        "for an amount of {{ MONTANT_TTC }} including VAT.\n"
        "{% if ECHEANCE %}Due date: {{ ECHEANCE }}.\n{% endif %}\n"
        "Please do not hesitate to contact us with any questions.\n\n"
        "Kind regards,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
    Language.nl: (
        "Beste {{ NOMCLIENT }},\n\n"
        "In bijlage vindt u {phrase} {{ NUMFACT }} van {{ DATEFACT }}, "
        "voor een bedrag van {{ MONTANT_TTC }} incl. btw.\n"
        "{% if ECHEANCE %}Vervaldatum: {{ ECHEANCE }}.\n{% endif %}\n"
        "Aarzel niet om ons te contacteren als u vragen heeft.\n\n"
        "Met vriendelijke groeten,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
}
GROUPED_SUBJECTS = {
    Language.fr: "Vos documents {{ INTERVALLE_NUM_PIECES }} – {{ MONTANT_TOTAL_TTC }} TTC",
    Language.en: "Your documents {{ INTERVALLE_NUM_PIECES }} – {{ MONTANT_TOTAL_TTC }} incl. VAT",
    Language.nl: "Uw documenten {{ INTERVALLE_NUM_PIECES }} – {{ MONTANT_TOTAL_TTC }} incl. btw",
}
GROUPED_BODIES = {
    Language.fr: (
        "Bonjour {{ NOMCLIENT }},\n\n"
        "Veuillez trouver ci-joint nos documents, d'un montant total de {{ MONTANT_TOTAL_TTC }} TTC :\n"
        "{{ LISTE_PIECES_AVECSOLDE }}\n\n"
        "Nous restons à votre disposition pour toute question.\n\n"
        "Cordialement,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
    Language.en: (
        "Dear {{ NOMCLIENT }},\n\n"
        "Please find attached our documents, for a total of {{ MONTANT_TOTAL_TTC }} including VAT:\n"
        "{{ LISTE_PIECES_AVECSOLDE }}\n\n"
        "Please do not hesitate to contact us with any questions.\n\n"
        "Kind regards,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
    Language.nl: (
        "Beste {{ NOMCLIENT }},\n\n"
        "In bijlage vindt u onze documenten, voor een totaalbedrag van {{ MONTANT_TOTAL_TTC }} incl. btw:\n"
        "{{ LISTE_PIECES_AVECSOLDE }}\n\n"
        "Aarzel niet om ons te contacteren als u vragen heeft.\n\n"
        "Met vriendelijke groeten,\n{{ SOCIETE_EMETTRICE }}\n"
    ),
}
