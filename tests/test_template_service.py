"""The user's message templates through the service: checked at save, and the one each mail uses, with its
fallbacks (the company's language, a template for every type, the built-in default)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchmail.compose import SendOptions, compose
from batchmail.contacts import IssuingCompany, Language
from batchmail.errors import InvalidInput, NotFound
from batchmail.pieces import PieceType
from batchmail.services import Services
from batchmail.templates import MessageTemplate, default_template
from tests.test_compose import FA10, FA20, FA21, JEAN, MARY, NBSP, NNBSP, SENDER, TODAY, CountingRenderer

FR_INVOICE = MessageTemplate(
    name="Facture FR", piece_type=PieceType.invoice, language=Language.fr, subject="Facture %NUMFACT%", body="Bonjour"
)
EN_INVOICE = MessageTemplate(
    name="Invoice EN", piece_type=PieceType.invoice, language=Language.en, subject="Invoice %NUMFACT%", body="Hello"
)
EN_ANY = MessageTemplate(name="Any EN", language=Language.en, subject="{{ TYPEDOC }} {{ NUMFACT }}", body="Hi")


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    opened = Services.open(tmp_path / "data", today=lambda: TODAY)
    opened.stores.company.save(IssuingCompany(name="Rhône Maintenance", language=Language.fr))
    try:
        yield opened
    finally:
        opened.close()


async def test_save_list_get_delete(services: Services) -> None:
    for template in (FR_INVOICE, EN_ANY, EN_INVOICE):
        await services.templates.save(template)

    assert [t.name for t in await services.templates.list()] == ["Any EN", "Facture FR", "Invoice EN"]
    assert await services.templates.get("Invoice EN") == EN_INVOICE
    await services.templates.delete("Invoice EN")
    with pytest.raises(NotFound):
        await services.templates.get("Invoice EN")


async def test_an_unknown_keyword_is_refused_at_save_with_its_name_and_line_and_nothing_is_stored(
    services: Services, tmp_path: Path
) -> None:
    store_file = tmp_path / "data" / "templates.json"
    await services.templates.save(FR_INVOICE)
    before = store_file.read_bytes()
    bad = MessageTemplate(name="Relance", subject="Relance %NUMFACT%", body="Bonjour,\n\nReste dû : %RESTE_DU%\n")

    with pytest.raises(InvalidInput) as caught:
        await services.templates.save(bad)

    assert "%RESTE_DU%" in str(caught.value) and "body, line 3" in str(caught.value)
    assert store_file.read_bytes() == before
    assert [t.name for t in await services.templates.list()] == ["Facture FR"]


async def test_a_sandbox_escape_is_refused_at_save(services: Services) -> None:
    with pytest.raises(InvalidInput, match="__class__"):
        await services.templates.save(MessageTemplate(name="x", subject="s", body="{{ NUMFACT.__class__ }}"))
    assert await services.templates.list() == []


async def test_lookup_prefers_the_type_and_language_then_the_companys_language_then_any_type(
    services: Services,
) -> None:
    lookup = services.templates.lookup
    assert await lookup(PieceType.invoice, Language.en) == default_template(PieceType.invoice, Language.en)

    await services.templates.save(FR_INVOICE)
    # No English invoice template: the company's language (French) wins over the built-in English one.
    assert await lookup(PieceType.invoice, Language.en) == FR_INVOICE
    # No quote template at all: the built-in one in the reader's language.
    assert await lookup(PieceType.quote, Language.en) == default_template(PieceType.quote, Language.en)

    await services.templates.save(EN_ANY)
    assert await lookup(PieceType.quote, Language.en) == EN_ANY
    assert await lookup(PieceType.invoice, Language.en) == FR_INVOICE  # the type comes before "any type"

    await services.templates.save(EN_INVOICE)
    assert await lookup(PieceType.invoice, Language.en) == EN_INVOICE
    assert await lookup(PieceType.invoice, Language.fr) == FR_INVOICE
    assert await lookup(PieceType.quote, Language.nl) == default_template(PieceType.quote, Language.nl)


async def test_compose_uses_the_saved_templates_through_lookup_sync(services: Services) -> None:
    await services.templates.save(dataclasses.replace(FR_INVOICE, subject="%TYPEDOC% %NUMFACT% : %MONTANT_TTC%"))
    await services.templates.save(EN_ANY)
    quote = dataclasses.replace(FA21, id=30, number="DE-2026-00001", type=PieceType.quote)
    company = await services.company()
    assert company is not None
    options = SendOptions(sender=SENDER, today=TODAY, templates=services.templates.lookup_sync)

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
