from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.keywords import KEYWORDS, TemplateContext
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.type_names import document_type_name
from batchmail.errors import InvalidInput
from batchmail.sending.templates import (
    MessageTemplate,
    ProblemKind,
    TemplateProblem,
    check_template,
    default_template,
    find_problem,
    render_template,
)

NNBSP, NBSP = "\u202f", "\xa0"  # what Babel puts in French amounts: thousands and before the € sign
COMPANY = IssuingCompany(name="Atelier Martin")
CONTACT = Contact(id=7, name="Jean Dupont", company="ACME SARL", emails=["jean@acme.fr"])


def invoice(number: str, day: date, lines: list[Line], **changes: object) -> Piece:
    values: dict[str, object] = {
        "number": number,
        "type": PieceType.invoice,
        "date": day,
        "contact_id": 7,
        "status": Status.sent,
        "lines": lines,
    }
    values.update(changes)
    return Piece(**values)  # type: ignore[arg-type]


# 2 x 500.00 at 20 %: 1 000.00 + 200.00 VAT = 1 200.00 incl. tax; 200.00 paid, 1 000.00 due.
BIG = invoice(
    "FA-2026-00010",
    date(2026, 3, 5),
    [Line(description="Maintenance", quantity=Decimal(2), unit_price=Decimal("500.00"), vat_rate=Decimal(20))],
    due_date=date(2026, 4, 4),
    payments=[Payment(date=date(2026, 3, 10), amount=Decimal("200.00"))],
)
# 1 x 99.99 at 5.5 %: VAT 5.49945 -> 5.50, 105.49 incl. tax, all due.
SMALL = invoice(
    "FA-2026-00009",
    date(2026, 3, 1),
    [Line(description="Livre", quantity=Decimal(1), unit_price=Decimal("99.99"), vat_rate=Decimal("5.5"))],
)

ALL_KEYWORDS = "\n".join(f"{name}=%{name}%" for name in KEYWORDS)


def render(body: str, pieces: list[Piece], language: Language, contact: Contact = CONTACT) -> str:
    template = MessageTemplate(name="t", language=language, subject="s", body=body)
    context = TemplateContext(pieces=pieces, contact=contact, company=COMPANY, language=language)
    return render_template(template, context).text


def test_every_keyword_in_french() -> None:
    assert render(ALL_KEYWORDS, [BIG, SMALL], Language.fr) == (
        "NUMFACT=FA-2026-00010\n"
        "DATEFACT=05/03/2026\n"
        "TYPEDOC=Facture\n"
        "NOMCLIENT=Jean Dupont\n"
        "SOCIETE=ACME SARL\n"
        f"MONTANT_TTC=1{NNBSP}200,00{NBSP}€\n"
        f"SOLDE=1{NNBSP}000,00{NBSP}€\n"
        "ECHEANCE=04/04/2026\n"
        "INTERVALLE_NUM_PIECES=FA-2026-00009 – FA-2026-00010\n"
        "INTERVALLE_DT_PIECES=01/03/2026 – 05/03/2026\n"
        f"MONTANT_TOTAL_TTC=1{NNBSP}305,49{NBSP}€\n"
        f"LISTE_PIECES_AVECSOLDE=- Facture FA-2026-00009 du 01/03/2026 – solde : 105,49{NBSP}€\n"
        f"- Facture FA-2026-00010 du 05/03/2026 – solde : 1{NNBSP}000,00{NBSP}€\n"
        f"MONTANT_TOTAL_TTC_SOLDE=1{NNBSP}105,49{NBSP}€\n"
        "SOCIETE_EMETTRICE=Atelier Martin\n"
        f"MENTIONS_RETARD=Tout retard de paiement entraîne des pénalités au taux annuel de 12,15{NBSP}% (article "
        f"L441-10 du Code de commerce) et une indemnité forfaitaire pour frais de recouvrement de 40,00{NBSP}€ "
        "(article D441-5)."
    )


def test_every_keyword_in_english() -> None:
    assert render(ALL_KEYWORDS, [BIG, SMALL], Language.en) == (
        "NUMFACT=FA-2026-00010\n"
        "DATEFACT=05/03/2026\n"
        "TYPEDOC=Invoice\n"
        "NOMCLIENT=Jean Dupont\n"
        "SOCIETE=ACME SARL\n"
        "MONTANT_TTC=€1,200.00\n"
        "SOLDE=€1,000.00\n"
        "ECHEANCE=04/04/2026\n"
        "INTERVALLE_NUM_PIECES=FA-2026-00009 – FA-2026-00010\n"
        "INTERVALLE_DT_PIECES=01/03/2026 – 05/03/2026\n"
        "MONTANT_TOTAL_TTC=€1,305.49\n"
        "LISTE_PIECES_AVECSOLDE=- Invoice FA-2026-00009 of 01/03/2026 – balance due: €105.49\n"
        "- Invoice FA-2026-00010 of 05/03/2026 – balance due: €1,000.00\n"
        "MONTANT_TOTAL_TTC_SOLDE=€1,105.49\n"
        "SOCIETE_EMETTRICE=Atelier Martin\n"
        "MENTIONS_RETARD=Late payment incurs penalties at an annual rate of 12.15% (article L441-10 of the French "
        "Commercial Code) and a fixed indemnity for recovery costs of €40.00 (article D441-5)."
    )


def test_dutch_amounts_and_dates() -> None:
    assert render("%MONTANT_TTC% %DATEFACT% %TYPEDOC%", [BIG], Language.nl) == f"€{NBSP}1.200,00 5/03/2026 Factuur"


def test_one_piece_ranges_and_equal_dates_collapse() -> None:
    twin = invoice("FA-2026-00011", BIG.date, BIG.lines)
    assert render("%INTERVALLE_NUM_PIECES% | %INTERVALLE_DT_PIECES%", [BIG], Language.fr) == (
        "FA-2026-00010 | 05/03/2026"
    )
    assert render("%INTERVALLE_DT_PIECES%", [BIG, twin], Language.fr) == "05/03/2026"


def test_numbers_sort_naturally_and_credit_notes_reduce_the_totals() -> None:
    late = invoice("FA-2026-00100", date(2026, 5, 1), SMALL.lines)
    # 1 x 50.00 at 20 %: 60.00 incl. tax, owed back to the customer.
    credit = invoice(
        "AV-2026-00001",
        date(2026, 3, 2),
        [Line(description="Retour", quantity=Decimal(1), unit_price=Decimal(50), vat_rate=Decimal(20))],
        type=PieceType.credit_note,
    )
    text = render(
        "%INTERVALLE_NUM_PIECES%\n%MONTANT_TOTAL_TTC%\n%MONTANT_TOTAL_TTC_SOLDE%\n%LISTE_PIECES_AVECSOLDE%",
        [late, SMALL, credit],
        Language.en,
    )
    assert text.split("\n") == [
        "AV-2026-00001 – FA-2026-00100",
        "€150.98",  # 105.49 + 105.49 - 60.00
        "€150.98",
        "- Invoice FA-2026-00009 of 01/03/2026 – balance due: €105.49",
        "- Credit note AV-2026-00001 of 02/03/2026 – balance due: -€60.00",
        "- Invoice FA-2026-00100 of 01/05/2026 – balance due: €105.49",
    ]


def test_no_due_date_gives_an_empty_echeance() -> None:
    assert render("[%ECHEANCE%]", [SMALL], Language.fr) == "[]"


def test_percent_and_jinja_forms_are_the_same() -> None:
    percent = render("Facture %NUMFACT% : %SOLDE%, %NOMCLIENT%", [BIG], Language.fr)
    jinja = render("Facture {{ NUMFACT }} : {{SOLDE}}, {{ NOMCLIENT }}", [BIG], Language.fr)
    assert percent == jinja == f"Facture FA-2026-00010 : 1{NNBSP}000,00{NBSP}€, Jean Dupont"
    assert render("Remise de 10% et 20% : %NUMFACT%", [BIG], Language.fr) == "Remise de 10% et 20% : FA-2026-00010"


def test_unknown_keyword_is_refused_at_check_with_its_name_and_line() -> None:
    template = MessageTemplate(
        name="relance", subject="Relance %NUMFACT%", body="Bonjour,\n\n%NUMFACT%\n%MONTANT_HT%\n"
    )
    with pytest.raises(InvalidInput) as caught:
        check_template(template)
    assert "%MONTANT_HT%" in str(caught.value)
    assert "body, line 4" in str(caught.value)
    with pytest.raises(InvalidInput, match="MONTANT_HT"):
        render_template(template, TemplateContext(pieces=[BIG], contact=CONTACT, company=COMPANY, language=Language.fr))


def test_unknown_keyword_in_the_subject_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"subject, line 1: unknown keyword %NUMERO%"):
        check_template(MessageTemplate(name="t", subject="Facture {{ NUMERO }}", body="ok"))


def test_syntax_error_is_refused_with_its_line() -> None:
    with pytest.raises(InvalidInput, match=r"body, line 2: syntax error"):
        check_template(MessageTemplate(name="t", subject="s", body="Bonjour\n{% if NUMFACT %}\n"))


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ NUMFACT.__class__ }}",
        "{{ NUMFACT['__class__'] }}",
        "{{ NUMFACT|attr('__class__') }}",
        "{{ range(10) }}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ '{0:>999999999}'.format(NUMFACT) }}",
        "{{ '{x:>999999999}'.format_map({'x': NUMFACT}) }}",
        "{{ NUMFACT + 1 }}",
        "{{ 1 / 0 }}",
    ],
)
def test_sandbox_escapes_are_refused_at_check_and_at_render(attack: str) -> None:
    template = MessageTemplate(name="t", subject="s", body=f"Bonjour {attack}")
    with pytest.raises(InvalidInput):
        check_template(template)
    with pytest.raises(InvalidInput):
        render_template(template, TemplateContext(pieces=[BIG], contact=CONTACT, company=COMPANY, language=Language.fr))


def test_html_in_a_contact_name_is_escaped_in_the_html_part_only() -> None:
    contact = Contact(id=7, name="<b>Dupont</b> & fils", emails=["d@x.fr"])
    template = MessageTemplate(name="t", subject="Pour %NOMCLIENT%\n", body="Bonjour %NOMCLIENT%,\nR&D <3\n")
    rendered = render_template(
        template, TemplateContext(pieces=[BIG], contact=contact, company=COMPANY, language=Language.fr)
    )
    assert rendered.subject == "Pour <b>Dupont</b> & fils"
    assert rendered.text == "Bonjour <b>Dupont</b> & fils,\nR&D <3\n"
    assert "Bonjour &lt;b&gt;Dupont&lt;/b&gt; &amp; fils,<br>\nR&amp;D &lt;3<br>" in rendered.html
    assert "<b>" not in rendered.html


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("piece_type", list(PieceType))
def test_default_templates_name_the_number_and_amount_and_are_signed(piece_type: PieceType, language: Language) -> None:
    template = default_template(piece_type, language)
    check_template(template)
    piece = invoice("XX-2026-00001", date(2026, 3, 5), BIG.lines, type=piece_type, due_date=date(2026, 4, 4))
    rendered = render_template(
        template, TemplateContext(pieces=[piece], contact=CONTACT, company=COMPANY, language=language)
    )
    amount = {Language.fr: f"1{NNBSP}200,00{NBSP}€", Language.en: "€1,200.00", Language.nl: f"€{NBSP}1.200,00"}
    for part in (rendered.subject, rendered.text):
        assert "XX-2026-00001" in part
        assert amount[language] in part
    assert rendered.subject.startswith(document_type_name(piece_type, language))
    assert rendered.text.rstrip().endswith("Atelier Martin")
    assert "Jean Dupont" in rendered.text


def test_default_french_invoice_reads_well() -> None:
    rendered = render_template(
        default_template(PieceType.invoice, Language.fr),
        TemplateContext(pieces=[BIG], contact=CONTACT, company=COMPANY, language=Language.fr),
    )
    assert rendered.subject == f"Facture n° FA-2026-00010 – 1{NNBSP}200,00{NBSP}€ TTC"
    assert rendered.text == (
        "Bonjour Jean Dupont,\n\n"
        "Veuillez trouver ci-joint notre facture n° FA-2026-00010 du 05/03/2026, "
        f"d'un montant de 1{NNBSP}200,00{NBSP}€ TTC.\n"
        "Date d'échéance : 04/04/2026.\n\n"
        "Nous restons à votre disposition pour toute question.\n\n"
        "Cordialement,\nAtelier Martin\n"
    )


def test_a_context_without_pieces_is_refused() -> None:
    with pytest.raises(InvalidInput):
        render("%NUMFACT%", [], Language.fr)


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("s", "Bonjour,\n\nReste : %RESTE_DU% TTC", ("body", 3, ProblemKind.unknown_keyword, "RESTE_DU")),
        ("Facture {{ numero }}", "b", ("subject", 1, ProblemKind.unknown_keyword, "numero")),
        ("s", "a\n{% for x in y %}", ("body", 2, ProblemKind.syntax, "")),
        ("s", "{{ NUMFACT|center(80) }}", ("body", 1, ProblemKind.syntax, "")),
        ("s", "\n{% macro m() %}{% endmacro %}", ("body", 2, ProblemKind.not_allowed, "")),
        ("s", "a\nb\n{{ 'ab' * 9999 }}", ("body", 3, ProblemKind.not_allowed, "")),
        ("{{ 1 / 0 }}", "b", ("subject", 1, ProblemKind.error, "")),
        ("s", "{{ '{0:>99}'.format(NUMFACT) }}", ("body", 1, ProblemKind.not_allowed, "")),
    ],
)
def test_find_problem_takes_apart_what_check_refuses(subject: str, body: str, expected: tuple[object, ...]) -> None:
    template = MessageTemplate(name="t", subject=subject, body=body)

    problem = find_problem(template)

    assert problem is not None
    assert (problem.field, problem.line, problem.kind, problem.keyword) == expected
    with pytest.raises(InvalidInput) as caught:
        check_template(template)
    assert str(caught.value).startswith(f"template 't', {problem.field}")
    assert str(caught.value).endswith(problem.detail)


def test_find_problem_passes_what_check_passes_and_renders_on_real_values() -> None:
    template = MessageTemplate(name="t", subject="%NUMFACT%", body="{% if ECHEANCE %}{{ ECHEANCE[10] }}{% endif %}")
    context = TemplateContext(pieces=[SMALL], contact=CONTACT, company=COMPANY, language=Language.fr)
    assert find_problem(default_template(PieceType.invoice, Language.fr)) is None
    assert find_problem(template, context) is None  # SMALL has no due date
    late = TemplateContext(pieces=[BIG], contact=CONTACT, company=COMPANY, language=Language.fr)
    problem = find_problem(template, late)
    assert problem is not None and problem.field == "body" and problem.line == 1


def test_a_problem_points_at_the_keyword_as_typed() -> None:
    source = "Bonjour,\nFacture %NUMERO% du {{ DATE }}"
    unknown = TemplateProblem(field="body", line=2, kind=ProblemKind.unknown_keyword, keyword="NUMERO", detail="")
    jinja = TemplateProblem(field="body", line=2, kind=ProblemKind.unknown_keyword, keyword="DATE", detail="")
    assert unknown.span(source) == (17, 25) and source[17:25] == "%NUMERO%"
    span = jinja.span(source)
    assert span is not None and source[span[0] : span[1]] == "DATE"
    assert TemplateProblem(field="body", line=1, kind=ProblemKind.syntax, keyword="", detail="").span(source) is None
