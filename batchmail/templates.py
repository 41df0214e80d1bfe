"""Message templates ("messages-types"): a subject and a plain-text body with keywords, per document type and language.

Templates are Jinja2 run in an immutable sandbox with no globals and strict undefined values, so a template can
read the keywords and use filters, but can neither reach Python internals nor print an unknown keyword blank.
The keywords are also accepted in the ``%NAME%`` form users of older software type; it is translated to
``{{ NAME }}`` before compiling, which keeps line numbers. The user writes plain text: the text part is the
rendered text as is, the HTML part is the same text HTML-escaped with its line breaks as ``<br>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import jinja2
import markupsafe
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from batchmail.contacts import Contact, IssuingCompany, Language
from batchmail.documents.labels import TITLES
from batchmail.errors import InvalidInput
from batchmail.formatting import format_date, format_money
from batchmail.message import one_line
from batchmail.pieces import Piece, PieceType

ONE_PIECE_KEYWORDS = ("NUMFACT", "DATEFACT", "TYPEDOC", "NOMCLIENT", "SOCIETE", "MONTANT_TTC", "SOLDE", "ECHEANCE")
MULTI_PIECE_KEYWORDS = (
    "INTERVALLE_NUM_PIECES",
    "INTERVALLE_DT_PIECES",
    "MONTANT_TOTAL_TTC",
    "LISTE_PIECES_AVECSOLDE",
    "MONTANT_TOTAL_TTC_SOLDE",
)
# Not in the users' historical list: the issuing company's name, so a default template can be signed.
EXTRA_KEYWORDS = ("SOCIETE_EMETTRICE",)
KEYWORDS = (*ONE_PIECE_KEYWORDS, *MULTI_PIECE_KEYWORDS, *EXTRA_KEYWORDS)

_PERCENT_KEYWORD = re.compile(r"%([A-Z][A-Z0-9_]*)%")
_RANGE = "{} – {}"
_MAX_REPEAT = 10_000  # longest string or list a template may build with `*`
_MAX_TEXT = 1_000_000  # longest subject or body a template may write


@dataclass(kw_only=True, slots=True)
class MessageTemplate:
    name: str
    piece_type: PieceType | None = None  # None: fits every document type
    language: Language = Language.fr
    subject: str
    body: str  # plain text as the user wrote it


@dataclass(frozen=True, slots=True)
class RenderedText:
    subject: str
    text: str
    html: str


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
        }


def document_type_name(piece_type: PieceType, language: Language) -> str:
    """The name of a document type as the recipient's language writes it ("Facture", "Invoice", "Factuur")."""
    return TITLES[language][piece_type]


def default_template(piece_type: PieceType, language: Language) -> MessageTemplate:
    """The template a fresh install uses for a document type and language."""
    phrase = _phrase(piece_type, language)
    return MessageTemplate(
        name=f"{document_type_name(piece_type, language)} ({language})",
        piece_type=piece_type,
        language=language,
        subject=DEFAULT_SUBJECTS[language],
        body=DEFAULT_BODIES[language].replace("{phrase}", phrase),
    )


def check_template(template: MessageTemplate) -> None:
    """Refuse, with InvalidInput naming the field and line, a template that could not be rendered. Call at save."""
    _render_fields(template, dict.fromkeys(KEYWORDS, "x"))


def render_template(template: MessageTemplate, context: TemplateContext) -> RenderedText:
    """The subject (one line), text part and HTML part of a message. Raises InvalidInput on a bad template."""
    rendered = _render_fields(template, context.values())
    subject = one_line(rendered["subject"])
    return RenderedText(subject=subject, text=rendered["body"], html=_html(rendered["body"], context.language))


def _render_fields(template: MessageTemplate, values: dict[str, str]) -> dict[str, str]:
    rendered: dict[str, str] = {}
    for field, source in (("subject", template.subject), ("body", template.body)):
        compiled = _compile_field(template, field, source)
        parts: list[str] = []
        size = 0
        try:
            # Written piece by piece so that a loop writing without end is stopped before memory runs out.
            for part in compiled.generate(values):
                size += len(part)
                if size > _MAX_TEXT:
                    raise SecurityError(f"this template writes more than {_MAX_TEXT:,} characters")
                parts.append(part)
        except TemplateError as err:
            raise InvalidInput(f"template {template.name!r}, {field}: {_explain(err)}") from err
        rendered[field] = "".join(parts)
    return rendered


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing what could build a text large enough to exhaust memory: `**`, `%` formatting,
    `*` products past _MAX_REPEAT, string methods and filters that pad or format to a given width."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the ** operator is not allowed in a message template")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("formatting a text with % is not allowed in a message template")
        sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
        counts = [v for v in (left, right) if isinstance(v, int)]
        if sizes and counts and sizes[0] * max(counts[0], 0) > _MAX_REPEAT:
            raise SecurityError("this repetition would build too long a text")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr not in _STR_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """The `replace` filter, refusing a result past _MAX_TEXT (replacing "" inserts between every character)."""
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if len(text) + hits * len(new) > _MAX_TEXT:
        raise SecurityError("this replacement would build too long a text")
    return text.replace(old, new, -1 if count is None else count)


_STR_METHODS = frozenset(
    {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith", "split"}
)
_FILTERS = frozenset(
    {
        *("abs", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last", "length"),
        *("list", "lower", "max", "min", "reverse", "round", "sort", "string", "striptags", "sum", "title"),
        *("trim", "truncate", "unique", "upper", "wordcount"),
    }
)
_ENV = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.globals.clear()
_ENV.filters = {name: function for name, function in _ENV.filters.items() if name in _FILTERS}
_ENV.filters["replace"] = _replace


class _Problem(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _compile_field(template: MessageTemplate, field: str, source: str) -> jinja2.Template:
    try:
        return _compile(source)
    except _Problem as err:
        where = f", line {err.line}" if err.line else ""
        raise InvalidInput(f"template {template.name!r}, {field}{where}: {err.message}") from err


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    """Translate %NAME%, parse, refuse what `_checked` refuses, compile."""
    try:
        return _ENV.from_string(_checked(_ENV.parse(_PERCENT_KEYWORD.sub(r"{{ \1 }}", source))))
    except TemplateSyntaxError as err:  # also an unknown filter or test
        raise _Problem(err.lineno, f"syntax error: {err.message}") from err
    except RecursionError as err:
        raise _Problem(None, "expressions nested too deeply") from err


def _checked(tree: nodes.Template) -> nodes.Template:
    """The tree, if it has no macro, recursive loop, underscore attribute or unknown keyword."""
    for block in tree.find_all((nodes.Macro, nodes.CallBlock, nodes.For)):
        # A macro or a recursive loop can call itself without end.
        if not isinstance(block, nodes.For) or block.recursive:
            raise _Problem(block.lineno, "macros and recursive loops are not allowed in a message template")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(getattr(node, "arg", None), "value", None)
        if isinstance(attr, str) and attr.startswith("_"):
            raise _Problem(node.lineno, f"access to {attr!r} is not allowed")
    unknown = meta.find_undeclared_variables(tree) - set(KEYWORDS)
    if unknown:
        names = [n for n in tree.find_all(nodes.Name) if n.name in unknown]
        first = min(names, key=lambda n: n.lineno)
        known = ", ".join(f"%{k}%" for k in KEYWORDS)
        raise _Problem(first.lineno, f"unknown keyword %{first.name}% (known keywords: {known})")
    return tree


def _explain(err: TemplateError) -> str:
    if isinstance(err, SecurityError):
        return f"not allowed: {err}"
    return f"{type(err).__name__}: {err}"


def _html(text: str, language: Language) -> str:
    body = str(markupsafe.escape(text)).replace("\n", "<br>\n")
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n<div>{body}</div>\n</body>\n</html>\n"
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


def natural_key(number: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting FA-2026-00009 before FA-2026-00010 and INV-9 before INV-10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", number) if part)


# The words of the messages, per language.
_T = PieceType
# A supplier's own documents are "the" document; every other one is "ours".
_THEIRS = frozenset({_T.supplier_invoice, _T.supplier_credit_note})
_OURS = {Language.fr: "notre", Language.en: "our", Language.nl: "onze"}
_THE = {Language.fr: "la", Language.en: "the", Language.nl: "de"}


def _phrase(piece_type: PieceType, language: Language) -> str:
    """How a default message names the attached document: "notre facture", "l'avoir fournisseur"."""
    name = TITLES[language][piece_type].lower()
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
LIST_LINES = {
    Language.fr: "- {type} {number} du {date} – solde : {balance}",
    Language.en: "- {type} {number} of {date} – balance due: {balance}",
    Language.nl: "- {type} {number} van {date} – openstaand saldo: {balance}",
}
