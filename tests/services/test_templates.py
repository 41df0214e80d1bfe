"""The user's message templates through the service: checked at save, and the one each mail uses, with its
fallbacks (the company's language, a template for every type, the built-in default)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchmail.domain.company import IssuingCompany
from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.compose import SendOptions, compose
from batchmail.sending.templates import MessageTemplate, ProblemKind, default_template
from batchmail.services.templates import Origin
from batchmail.wiring import App, wire
from storage.stores import Stores, open_stores
from tests.sending.composekit import AV2, FA10, FA20, FA21, JEAN, MARY, NBSP, NNBSP, SENDER, TODAY, CountingRenderer

FR_INVOICE = MessageTemplate(
    name="Facture FR", piece_type=PieceType.invoice, language=Language.fr, subject="Facture %NUMFACT%", body="Bonjour"
)
EN_INVOICE = MessageTemplate(
    name="Invoice EN", piece_type=PieceType.invoice, language=Language.en, subject="Invoice %NUMFACT%", body="Hello"
)
EN_ANY = MessageTemplate(name="Any EN", language=Language.en, subject="{{ TYPEDOC }} {{ NUMFACT }}", body="Hi")


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[App, Stores]]:
    stores = open_stores(tmp_path / "data")
    app = wire(stores, today=lambda: TODAY)
    stores.company.save(IssuingCompany(name="Rhône Maintenance", language=Language.fr))
    try:
        yield app, stores
    finally:
        app.close()


async def test_save_list_get_delete(app: App) -> None:
    for template in (FR_INVOICE, EN_ANY, EN_INVOICE):
        await app.templates.save(template)

    assert [t.name for t in await app.templates.list()] == ["Any EN", "Facture FR", "Invoice EN"]
    assert await app.templates.get("Invoice EN") == EN_INVOICE
    await app.templates.delete("Invoice EN")
    with pytest.raises(NotFound):
        await app.templates.get("Invoice EN")


async def test_an_unknown_keyword_is_refused_at_save_with_its_name_and_line_and_nothing_is_stored(
    app: App, tmp_path: Path
) -> None:
    store_file = tmp_path / "data" / "templates.json"
    await app.templates.save(FR_INVOICE)
    before = store_file.read_bytes()
    bad = MessageTemplate(name="Relance", subject="Relance %NUMFACT%", body="Bonjour,\n\nReste dû : %RESTE_DU%\n")

    with pytest.raises(InvalidInput) as caught:
        await app.templates.save(bad)

    assert "%RESTE_DU%" in str(caught.value) and "body, line 3" in str(caught.value)
    assert store_file.read_bytes() == before
    assert [t.name for t in await app.templates.list()] == ["Facture FR"]


async def test_a_sandbox_escape_is_refused_at_save(app: App) -> None:
    with pytest.raises(InvalidInput, match="__class__"):
        await app.templates.save(MessageTemplate(name="x", subject="s", body="{{ NUMFACT.__class__ }}"))
    assert await app.templates.list() == []


async def test_lookup_prefers_the_type_and_language_then_the_companys_language_then_any_type(
    app: App,
) -> None:
    lookup = app.templates.lookup
    assert await lookup(PieceType.invoice, Language.en) == default_template(PieceType.invoice, Language.en)

    await app.templates.save(FR_INVOICE)
    # No English invoice template: the company's language (French) wins over the built-in English one.
    assert await lookup(PieceType.invoice, Language.en) == FR_INVOICE
    # No quote template at all: the built-in one in the reader's language.
    assert await lookup(PieceType.quote, Language.en) == default_template(PieceType.quote, Language.en)

    await app.templates.save(EN_ANY)
    assert await lookup(PieceType.quote, Language.en) == EN_ANY
    assert await lookup(PieceType.invoice, Language.en) == FR_INVOICE  # the type comes before "any type"

    await app.templates.save(EN_INVOICE)
    assert await lookup(PieceType.invoice, Language.en) == EN_INVOICE
    assert await lookup(PieceType.invoice, Language.fr) == FR_INVOICE
    assert await lookup(PieceType.quote, Language.nl) == default_template(PieceType.quote, Language.nl)


async def test_compose_uses_the_saved_templates_through_the_lookup_table(app: App) -> None:
    await app.templates.save(dataclasses.replace(FR_INVOICE, subject="%TYPEDOC% %NUMFACT% : %MONTANT_TTC%"))
    await app.templates.save(EN_ANY)
    quote = dataclasses.replace(FA21, id=30, number="DE-2026-00001", type=PieceType.quote)
    company = await app.company.get()
    assert company is not None
    options = SendOptions(sender=SENDER, today=TODAY, templates=await app.templates.lookup_table())

    result = await compose([FA10, FA20, quote], {1: JEAN, 2: MARY}, company, options, CountingRenderer())

    assert [d.message.subject for d in result.drafts] == [
        f"Facture FA-2026-00010 : 1{NNBSP}200,00{NBSP}€",
        # Mary reads English but there is no English invoice template: the company's French one, and its values
        # written in French as its words are.
        f"Facture FA-2026-00020 : 1{NNBSP}481,40{NBSP}€",
        "Quote DE-2026-00001",  # the English template for any type
    ]
    assert [d.message.attachments[0].filename for d in result.drafts] == [
        "Facture_FA-2026-00010.pdf",
        "Facture_FA-2026-00020.pdf",
        "Quote_DE-2026-00001.pdf",
    ]


async def test_a_new_template_never_overwrites_another_and_a_rename_replaces_the_old_name(
    app: App, tmp_path: Path
) -> None:
    await app.templates.save(FR_INVOICE)
    store_file = tmp_path / "data" / "templates.json"
    before = store_file.read_bytes()

    with pytest.raises(InvalidInput, match="'Facture FR' already exists"):
        await app.templates.save(dataclasses.replace(FR_INVOICE, subject="Autre %NUMFACT%"))
    assert store_file.read_bytes() == before

    edited = dataclasses.replace(FR_INVOICE, subject="Votre facture %NUMFACT%")
    await app.templates.save(edited, replacing="Facture FR")
    assert await app.templates.list() == [edited]

    renamed = dataclasses.replace(edited, name="  Factures clients ")
    await app.templates.save(renamed, replacing="Facture FR")
    assert await app.templates.list() == [dataclasses.replace(edited, name="Factures clients")]

    await app.templates.save(EN_INVOICE)
    with pytest.raises(InvalidInput, match="'Factures clients' already exists"):
        await app.templates.save(dataclasses.replace(EN_INVOICE, name="Factures clients"), replacing="Invoice EN")
    assert [t.name for t in await app.templates.list()] == ["Factures clients", "Invoice EN"]


async def test_the_overview_says_which_template_every_type_and_language_uses_and_where_it_comes_from(
    app: App,
) -> None:
    for template in (FR_INVOICE, EN_ANY):
        await app.templates.save(template)

    overview = await app.templates.overview()

    assert len(overview.applied) == len(PieceType) * 3
    found = {(a.piece_type, a.language): (a.template.name, a.origin) for a in overview.applied}
    assert found[PieceType.invoice, Language.fr] == ("Facture FR", Origin.saved)
    assert found[PieceType.invoice, Language.en] == ("Facture FR", Origin.company_language)
    assert found[PieceType.quote, Language.en] == ("Any EN", Origin.every_type)
    assert found[PieceType.quote, Language.fr] == ("Devis (fr)", Origin.builtin)
    assert found[PieceType.supplier_invoice, Language.nl] == ("Aankoopfactuur (nl)", Origin.builtin)
    # Every answer is lookup's, which a send uses.
    for applied in overview.applied:
        assert applied.template == await app.templates.lookup(applied.piece_type, applied.language)
    assert [t.name for t in overview.saved] == ["Any EN", "Facture FR"]
    assert overview.company_language is Language.fr
    assert {(a.piece_type, a.language) for a in overview.uses("Facture FR")} == {
        (PieceType.invoice, Language.fr),
        (PieceType.invoice, Language.en),
        (PieceType.invoice, Language.nl),
    }


async def test_a_duplicate_serves_only_when_forced_and_deleting_the_original_hands_over(app: App) -> None:
    await app.templates.save(FR_INVOICE)

    copy = await app.templates.duplicate("Facture FR", "Facture FR (copie)")

    assert copy == dataclasses.replace(FR_INVOICE, name="Facture FR (copie)")
    assert await app.templates.get("Facture FR (copie)") == copy
    overview = await app.templates.overview()
    assert overview.uses("Facture FR (copie)") == []
    with pytest.raises(InvalidInput, match="already exists"):
        await app.templates.duplicate("Facture FR", "Facture FR (copie)")

    await app.templates.delete("Facture FR")
    assert await app.templates.lookup(PieceType.invoice, Language.fr) == copy
    await app.templates.delete("Facture FR (copie)")
    overview = await app.templates.overview()
    assert next(a for a in overview.applied if a.piece_type is PieceType.invoice).origin is Origin.builtin
    assert await app.templates.lookup(PieceType.invoice, Language.fr) == default_template(
        PieceType.invoice, Language.fr
    )


@pytest.mark.parametrize(
    ("subject", "body", "kind", "field", "line", "keyword"),
    [
        ("Facture %NUMERO%", "Bonjour", ProblemKind.unknown_keyword, "subject", 1, "NUMERO"),
        ("%NUMFACT%", "Bonjour,\n\n{{ montant }}", ProblemKind.unknown_keyword, "body", 3, "montant"),
        ("%NUMFACT%", "Bonjour\n{% if NUMFACT %}", ProblemKind.syntax, "body", 2, ""),
        ("%NUMFACT%", "{{ NUMFACT.__class__ }}", ProblemKind.not_allowed, "body", 1, ""),
        ("{{ NOMCLIENT.zfill(9) }}", "Bonjour", ProblemKind.not_allowed, "subject", 1, ""),
        ("%NUMFACT%", "a\n{{ NUMFACT + 1 }}", ProblemKind.error, "body", 2, ""),
    ],
)
async def test_check_and_save_name_the_problem_and_where_it_is(
    app: App, subject: str, body: str, kind: ProblemKind, field: str, line: int, keyword: str
) -> None:
    template = MessageTemplate(name="Essai", subject=subject, body=body)

    problem = await app.templates.check(template)

    assert problem is not None
    assert (problem.kind, problem.field, problem.line, problem.keyword) == (kind, field, line, keyword)
    with pytest.raises(InvalidInput) as caught:
        await app.templates.save(template)
    assert f"template 'Essai', {field}, line {line}: " in str(caught.value)
    if keyword:
        assert f"%{keyword}%" in str(caught.value)
    assert await app.templates.list() == []


async def test_the_preview_renders_a_real_piece_in_the_templates_language(app: App, stores: Stores) -> None:
    stores.contacts.add_many([JEAN, MARY])
    stored = stores.pieces.add_many([FA10, FA20, AV2])
    by_number = {p.number: p.id for p in stored}
    template = dataclasses.replace(FR_INVOICE, subject="%TYPEDOC% %NUMFACT% : %SOLDE%", body="Bonjour <%NOMCLIENT%>")

    offered = await app.templates.preview_pieces(PieceType.invoice, Language.en)
    # Invoices only; Mary reads English, so hers come first.
    assert [(p.number, p.contact_name, p.language) for p in offered] == [
        ("FA-2026-00020", "Mary Smith (Smith Ltd)", Language.en),
        ("FA-2026-00010", "Jean Dupont (ACME SARL)", Language.fr),
    ]
    assert len(await app.templates.preview_pieces(None, Language.fr)) == 3

    preview = await app.templates.preview(template, by_number["FA-2026-00020"])

    assert preview.problem is None and preview.rendered is not None
    assert (preview.number, preview.language) == ("FA-2026-00020", Language.fr)
    assert preview.rendered.subject == f"Facture FA-2026-00020 : 1{NNBSP}000,00{NBSP}€"
    assert preview.rendered.text == "Bonjour <Mary Smith>"
    assert "Bonjour &lt;Mary Smith&gt;" in preview.rendered.html and 'lang="fr"' in preview.rendered.html

    english = dataclasses.replace(EN_INVOICE, subject="%MONTANT_TTC% due %ECHEANCE%")
    rendered = (await app.templates.preview(english, by_number["FA-2026-00010"])).rendered
    assert rendered is not None and rendered.subject == "€1,200.00 due 04/04/2026"

    broken = await app.templates.preview(dataclasses.replace(template, body="%RESTE_DU%"), stored[0].id)
    assert broken.rendered is None and broken.problem is not None and broken.problem.keyword == "RESTE_DU"
    with pytest.raises(NotFound):
        await app.templates.preview(template, 999)


async def test_a_template_that_breaks_a_bound_only_on_real_pieces_is_refused_at_save(app: App, stores: Stores) -> None:
    stores.contacts.add_many([JEAN, MARY])
    stores.pieces.add_many([FA10, FA20, AV2])
    # Written for "x" it is 20,000 characters; for a real piece's line of balance, past a megabyte.
    grows = dataclasses.replace(
        FR_INVOICE,
        piece_type=None,
        body="{% for c in LISTE_PIECES_AVECSOLDE %}{{ c * 9999 }}{{ c * 9999 }}{% endfor %}",
    )
    problem = await app.templates.check(grows)
    assert problem is not None and problem.field == "body" and "more than 1,000,000 characters" in problem.detail
    with pytest.raises(InvalidInput, match="more than 1,000,000 characters"):
        await app.templates.save(grows)
    assert await app.templates.list() == []
    await app.templates.save(dataclasses.replace(grows, body="{% for c in NUMFACT %}{{ c * 100 }}{% endfor %}"))
    assert [t.name for t in await app.templates.list()] == [FR_INVOICE.name]
