"""Composing a batch: one mail per piece or per recipient, ZIP or not, one single address, every keyword filled in
French and English, and nothing a contact's name or a template holds ever reaching the headers or the HTML raw."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from pypdf import PdfReader

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.company import IssuingCompany, SenderAddress
from batchmail.domain.contacts import Contact
from batchmail.domain.keywords import KEYWORDS
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.errors import InvalidAddress
from batchmail.sending.compose import Composition, Grouping, SendOptions, WarningCode, compose
from batchmail.sending.message import envelope_recipients, to_mime
from batchmail.sending.templates import MessageTemplate

NNBSP, NBSP = "\u202f", "\xa0"  # Babel's French thousands separator and the space before "€"
TODAY = date(2026, 11, 24)
COMPANY = IssuingCompany(name="Rhône Maintenance Équipements", email="contact@rhone.example.fr")
SENDER = SenderAddress(email="facturation@rhone.example.fr", display_name="Rhône Maintenance")
JEAN = Contact(id=1, name="Jean Dupont", company="ACME SARL", emails=["jean@acme.example.fr"])
MARY = Contact(id=2, name="Mary Smith", company="Smith Ltd", emails=["mary@smith.example.co.uk"], language=Language.en)
CONTACTS = {c.id: c for c in (JEAN, MARY)}


def line(quantity: str, price: str, vat: str) -> Line:
    return Line(description="Travaux", quantity=Decimal(quantity), unit_price=Decimal(price), vat_rate=Decimal(vat))


def piece(piece_id: int, number: str, day: date, lines: list[Line], **changes: object) -> Piece:
    values: dict[str, object] = {
        "id": piece_id,
        "number": number,
        "type": PieceType.invoice,
        "date": day,
        "contact_id": JEAN.id,
        "status": Status.validated,
        "lines": lines,
    }
    values.update(changes)
    return Piece(**values)  # type: ignore[arg-type]


# Jean's: 2 x 500.00 at 20 %: 1 200.00 incl. tax, 200.00 paid, 1 000.00 due.
FA10 = piece(
    10,
    "FA-2026-00010",
    date(2026, 3, 5),
    [line("2", "500.00", "20")],
    due_date=date(2026, 4, 4),
    payments=[Payment(date=date(2026, 3, 10), amount=Decimal("200.00"))],
)
# 99.99 at 5.5 %: VAT 5.49945 -> 5.50, 105.49 incl. tax, all due.
FA9 = piece(9, "FA-2026-00009", date(2026, 3, 1), [line("1", "99.99", "5.5")], due_date=date(2026, 3, 31))
# A credit note of 50.00 at 20 %: 60.00, which reduces what Jean owes.
AV2 = piece(2, "AV-2026-00002", date(2026, 3, 2), [line("1", "50.00", "20")], type=PieceType.credit_note)
# Mary's, both dated 2 November: 1 234.50 at 20 % = 1 481.40, 481.40 paid; 3 x 10.00 at 20 % = 36.00.
FA20 = piece(
    20,
    "FA-2026-00020",
    date(2026, 11, 2),
    [line("1", "1234.50", "20")],
    contact_id=MARY.id,
    payments=[Payment(date=date(2026, 11, 3), amount=Decimal("481.40"))],
)
FA21 = piece(21, "FA-2026-00021", date(2026, 11, 2), [line("3", "10.00", "20")], contact_id=MARY.id)
BATCH = [FA10, FA20, FA9, AV2, FA21]


class CountingRenderer:
    """A render_pdf for compose: bytes that name the piece, and a count of what was rendered."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    async def __call__(self, piece: Piece, contact: Contact) -> bytes:
        self.rendered.append(piece.number)
        return f"%PDF-1.7 fake {piece.number} for {contact.name}".encode()


def options(**changes: Any) -> SendOptions:
    return SendOptions(sender=SENDER, today=TODAY, **changes)


async def run(
    pieces: Sequence[Piece] = BATCH, contacts: Mapping[int, Contact] = CONTACTS, **changes: Any
) -> tuple[Composition, CountingRenderer]:
    renderer = CountingRenderer()
    return await compose(pieces, contacts, COMPANY, options(**changes), renderer), renderer


def parsed(composition: Composition, index: int = 0) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(to_mime(composition.drafts[index].message))
    assert isinstance(message, EmailMessage)
    return message


def attachment_names(composition: Composition) -> list[list[str]]:
    return [[a.filename for a in d.message.attachments] for d in composition.drafts]


async def test_the_call_the_sender_makes_today_still_gives_one_mail_per_piece() -> None:
    renderer = CountingRenderer()
    result = await compose(BATCH, CONTACTS, COMPANY, SendOptions(sender=SENDER), renderer)

    assert [d.piece_ids for d in result.drafts] == [[10], [20], [9], [2], [21]]
    assert [d.message.to for d in result.drafts] == [
        ("jean@acme.example.fr",),
        ("mary@smith.example.co.uk",),
        ("jean@acme.example.fr",),
        ("jean@acme.example.fr",),
        ("mary@smith.example.co.uk",),
    ]
    assert attachment_names(result)[:2] == [["Facture_FA-2026-00010.pdf"], ["Invoice_FA-2026-00020.pdf"]]
    assert result.drafts[0].message.attachments[0].content == b"%PDF-1.7 fake FA-2026-00010 for Jean Dupont"
    assert result.drafts[0].message.subject == f"Facture n° FA-2026-00010 – 1{NNBSP}200,00{NBSP}€ TTC"
    assert result.drafts[1].message.subject == "Invoice FA-2026-00020 – €1,481.40 incl. VAT"
    assert sorted(renderer.rendered) == sorted(p.number for p in BATCH)
    assert result.skipped == [] and result.warnings == []
    for draft in result.drafts:
        assert draft.message.text_body and draft.message.html_body.startswith("<!DOCTYPE html>")
        assert draft.message.sender == SENDER.email and draft.message.sender_name == "Rhône Maintenance"
        assert draft.message.cc == () and draft.message.bcc == ()
        # The size is the MIME message's; only the Message-ID's random digits may change its length a little.
        assert abs(draft.size - len(to_mime(draft.message))) < 16
    assert result.total_size == sum(d.size for d in result.drafts)


async def test_grouped_per_recipient_one_mail_per_contact_pieces_in_number_order() -> None:
    result, renderer = await run(grouping=Grouping.per_recipient)

    assert [(d.contact_id, d.piece_ids) for d in result.drafts] == [(1, [2, 9, 10]), (2, [20, 21])]
    assert attachment_names(result) == [
        ["Avoir_AV-2026-00002.pdf", "Facture_FA-2026-00009.pdf", "Facture_FA-2026-00010.pdf"],
        ["Invoice_FA-2026-00020.pdf", "Invoice_FA-2026-00021.pdf"],
    ]
    jean = result.drafts[0].message
    assert jean.to == ("jean@acme.example.fr",)
    # The built-in wording for several pieces: their range and the total, the credit note deducted
    # (1 200,00 + 105,49 - 60,00).
    assert jean.subject == f"Vos documents AV-2026-00002 – FA-2026-00010 – 1{NNBSP}245,49{NBSP}€ TTC"
    numbers = ("AV-2026-00002", "FA-2026-00009", "FA-2026-00010")
    assert [a.content for a in jean.attachments] == [f"%PDF-1.7 fake {n} for Jean Dupont".encode() for n in numbers]
    assert sorted(renderer.rendered) == sorted(p.number for p in BATCH)


async def test_grouped_with_a_zip_named_after_the_documents_the_issuer_and_the_day() -> None:
    result, _ = await run([FA10, FA20, FA9, FA21], grouping=Grouping.per_recipient, zip_attachments=True)

    assert attachment_names(result) == [
        ["Factures_Rhone_Maintenance_Equipements_2026-11-24.zip"],
        ["Invoices_Rhone_Maintenance_Equipements_2026-11-24.zip"],  # Mary reads English
    ]
    archive = zipfile.ZipFile(io.BytesIO(result.drafts[0].message.attachments[0].content))
    assert archive.namelist() == ["Facture_FA-2026-00009.pdf", "Facture_FA-2026-00010.pdf"]
    assert archive.read("Facture_FA-2026-00010.pdf") == b"%PDF-1.7 fake FA-2026-00010 for Jean Dupont"
    assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert result.drafts[0].message.attachments[0].mime_type == "application/zip"

    mixed, _ = await run([FA10, AV2], grouping=Grouping.per_recipient, zip_attachments=True)
    assert attachment_names(mixed) == [["Documents_Rhone_Maintenance_Equipements_2026-11-24.zip"]]


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


async def test_one_single_address_receives_every_mail_even_for_a_contact_without_one() -> None:
    nobody = dataclasses.replace(JEAN, emails=[])
    single = "compta@cabinet.example.fr"
    per_piece, _ = await run(BATCH, {1: nobody, 2: MARY}, single_recipient=single)
    grouped, _ = await run(BATCH, {1: nobody, 2: MARY}, single_recipient=single, grouping=Grouping.per_recipient)

    assert len(per_piece.drafts) == 5 and per_piece.skipped == []
    assert {d.message.to for d in per_piece.drafts} == {(single,)}
    assert [(d.piece_ids, d.message.to) for d in grouped.drafts] == [([2, 9, 10], (single,)), ([20, 21], (single,))]
    # Each mail is still written for its contact: Mary's in English.
    assert grouped.drafts[1].message.subject == "Your documents FA-2026-00020 – FA-2026-00021 – €1,517.40 incl. VAT"


async def test_a_bad_single_address_is_refused_before_anything_is_rendered() -> None:
    renderer = CountingRenderer()
    with pytest.raises(InvalidAddress, match="compta@@cabinet"):
        await compose(BATCH, CONTACTS, COMPANY, options(single_recipient="compta@@cabinet"), renderer)
    assert renderer.rendered == []


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ NUMFACT.__class__ }}",
        "{{ NUMFACT['__cla' ~ 'ss__'] }}",
        "{{ NUMFACT|attr('__class__') }}",
        "{{ '{0.__class__}'.format(NUMFACT) }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self.__init__.__globals__ }}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        # Texts large enough to exhaust memory, and calls without end.
        "{{ NUMFACT|center(100000000) }}",
        "{{ NUMFACT.ljust(100000000) }}",
        "{{ '%100000000s' % NUMFACT }}",
        "{{ NUMFACT|replace('', 'x' * 9000)|replace('', 'x' * 9000) }}",
        "{% for a in 'x' * 9000 %}{% for b in 'x' * 9000 %}{{ NUMFACT }}{% endfor %}{% endfor %}",
        "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}",
        "{% for c in NUMFACT recursive %}{{ loop(NUMFACT) }}{% endfor %}",
        "{{ (['x' * 9000] * 9000)|join }}",
        "{% set a = 'x' * 9000 %}{% set b = a ~ a ~ a ~ a %}{{ b }}",
        "{% for a in 'x' * 9000 %}{% if a %}{% for b in 'x' * 9000 %}{% endfor %}{% endif %}{% endfor %}",
        "{{ " + "(" * 5000 + "NUMFACT" + ")" * 5000 + " }}",
        "{{ NUMFACT|no_such_filter }}",
    ],
)
async def test_sandbox_escapes_in_a_template_are_refused_and_nothing_is_sent(attack: str) -> None:
    forced = MessageTemplate(name="piège", subject="Facture %NUMFACT%", body=f"Bonjour\n{attack}\n")
    result, renderer = await run([FA10, FA9], template=forced)

    assert result.drafts == []
    assert renderer.rendered == []  # refused before any PDF was made
    assert [(s.number, s.code) for s in result.skipped] == [
        ("FA-2026-00010", WarningCode.template_error),
        ("FA-2026-00009", WarningCode.template_error),
    ]
    assert all(w.blocking and "piège" in w.detail for w in result.warnings)


async def test_what_the_sandbox_leaves_to_a_template_writer_still_works() -> None:
    body = (
        "{{ NOMCLIENT|upper }} / {{ SOCIETE|replace(' SARL', '')|trim }}\n"
        "{% for line in LISTE_PIECES_AVECSOLDE.split('\n') %}{{ loop.index }}. {{ line|truncate(30) }}\n{% endfor %}"
        "{% if ECHEANCE %}{{ ECHEANCE }}{% else %}-{% endif %} {{ '=' * 3 }} {{ 7 % 3 }}"
    )
    forced = MessageTemplate(name="t", subject="%NUMFACT%", body=body)
    result, _ = await run([FA10, FA9], grouping=Grouping.per_recipient, template=forced)

    assert result.drafts[0].message.text_body == (
        "JEAN DUPONT / ACME\n1. - Facture FA-2026-00009 du...\n2. - Facture FA-2026-00010 du...\n31/03/2026 === 1"
    )


async def test_a_line_break_in_a_subject_or_a_name_never_reaches_the_headers() -> None:
    evil = dataclasses.replace(JEAN, name="Eve\r\nBcc: victim@example.org")
    sender = SenderAddress(email=SENDER.email, display_name="Shop\r\nX-Injected: yes")
    forced = MessageTemplate(name="t", subject="Facture %NUMFACT%\r\nBcc: victim@example.org\n%NOMCLIENT%", body="Hi")
    renderer = CountingRenderer()
    result = await compose([FA10], {1: evil}, COMPANY, SendOptions(sender=sender, template=forced), renderer)

    mime = to_mime(result.drafts[0].message)
    header_block = mime.split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0] for line in header_block.split(b"\r\n") if line and line[:1] not in b" \t"]
    assert b"Bcc" not in names and b"X-Injected" not in names
    message = parsed(result)
    # Python folds this subject onto a continuation line, whose leading space the parser keeps.
    assert message["Subject"].strip() == "Facture FA-2026-00010 Bcc: victim@example.org Eve Bcc: victim@example.org"
    assert message["From"].addresses[0].display_name == "Shop X-Injected: yes"
    assert envelope_recipients(result.drafts[0].message) == ["jean@acme.example.fr"]


async def test_html_in_a_contact_name_is_escaped_in_the_html_part() -> None:
    hostile = dataclasses.replace(JEAN, name='<img src=x onerror="alert(1)"> & Fils')
    result, _ = await run([FA10], {1: hostile})

    message = parsed(result)
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None and text is not None
    html_body, text_body = html.get_content(), text.get_content()
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Fils" in html_body
    assert "<img" not in html_body
    assert 'Bonjour <img src=x onerror="alert(1)"> & Fils,' in text_body


async def test_a_piece_listed_twice_is_rendered_and_sent_once() -> None:
    result, renderer = await run([FA10, FA9, FA10])

    assert [d.piece_ids for d in result.drafts] == [[10], [9]]
    assert renderer.rendered == ["FA-2026-00010", "FA-2026-00009"]


async def test_the_real_renderer_fills_the_zip_with_each_piece_pdf() -> None:
    with PdfRenderer(workers=1) as pdf_renderer:

        async def render(piece: Piece, contact: Contact) -> bytes:
            return await pdf_renderer.render_piece(piece, contact, COMPANY)

        result = await compose(
            [FA10, FA9, AV2],
            CONTACTS,
            COMPANY,
            options(grouping=Grouping.per_recipient, zip_attachments=True),
            render,
        )

    archive = zipfile.ZipFile(io.BytesIO(result.drafts[0].message.attachments[0].content))
    texts = {
        name: "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(name))).pages)
        for name in archive.namelist()
    }
    assert list(texts) == ["Avoir_AV-2026-00002.pdf", "Facture_FA-2026-00009.pdf", "Facture_FA-2026-00010.pdf"]
    for name, text in texts.items():
        assert name.removesuffix(".pdf").split("_", 1)[1] in text
    assert "Jean Dupont" in texts["Facture_FA-2026-00010.pdf"]


async def test_a_failed_render_stops_the_batch_at_once_and_cancels_the_other_renders() -> None:
    never = asyncio.Event()
    cancelled: list[str] = []

    async def render(piece: Piece, contact: Contact) -> bytes:
        if piece.number == "FA-2026-00010":
            raise RuntimeError(f"the renderer failed on {piece.number}")
        try:
            await never.wait()  # the other renders would take forever
        except asyncio.CancelledError:
            cancelled.append(piece.number)
            raise
        return b"%PDF-1.7"

    # Jean's mail holds AV2, FA9 then FA10: his failing PDF is the last one his mail waits for.
    batch = compose(BATCH, CONTACTS, COMPANY, options(grouping=Grouping.per_recipient), render)
    with pytest.raises(RuntimeError, match="FA-2026-00010"):
        await asyncio.wait_for(batch, timeout=10)
    assert sorted(cancelled) == sorted(p.number for p in BATCH if p is not FA10)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]


async def test_a_batch_with_nothing_to_send_composes_no_mail() -> None:
    result, renderer = await run([dataclasses.replace(FA9, status=Status.draft)])
    assert result.drafts == [] and renderer.rendered == []
    assert [s.code for s in result.skipped] == [WarningCode.draft]
