"""Composing a batch: one mail per piece or per recipient, ZIP or not, one single address, and nothing a contact's
name or a template holds ever reaching the headers or the HTML raw."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile

import pytest
from pypdf import PdfReader

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.company import SenderAddress
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece, Status
from batchmail.errors import InvalidAddress
from batchmail.sending.compose import Grouping, SendOptions, WarningCode, compose
from batchmail.sending.message import envelope_recipients, to_mime
from batchmail.sending.templates import MessageTemplate
from tests.sending.composekit import (
    AV2,
    BATCH,
    COMPANY,
    CONTACTS,
    FA9,
    FA10,
    FA20,
    FA21,
    JEAN,
    MARY,
    NBSP,
    NNBSP,
    SENDER,
    CountingRenderer,
    attachment_names,
    options,
    parsed,
    run,
)


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
