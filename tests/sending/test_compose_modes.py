"""The options of a batch and the warnings of its dry run: what blocks, what the user may override, the headers the
options give, extra files and ZIPs, and a dry run that leaves every store as it was."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_money
from batchmail.domain.language import Language
from batchmail.domain.pieces import Piece, Status
from batchmail.errors import InvalidAddress, InvalidInput
from batchmail.sending.attachments import load_attachment, zip_pdfs
from batchmail.sending.compose import Grouping, SendOptions, WarningCode, compose
from batchmail.sending.message import content_hash, envelope_recipients
from batchmail.sending.templates import MessageTemplate
from batchmail.wiring import wire
from storage.stores import open_stores
from tests.sending.composekit import (
    COMPANY,
    CONTACTS,
    FA9,
    FA10,
    FA20,
    FA21,
    JEAN,
    MARY,
    SENDER,
    TODAY,
    CountingRenderer,
    parsed,
    run,
)


@pytest.mark.parametrize(
    ("contact", "piece", "code"),
    [
        (dataclasses.replace(JEAN, emails=[]), FA10, WarningCode.no_address),
        (dataclasses.replace(JEAN, emails=["jean@@acme.example.fr"]), FA10, WarningCode.invalid_address),
        (dataclasses.replace(JEAN, emails=["jean@acme.example.fr\r\nBcc: x@y.org"]), FA10, WarningCode.invalid_address),
        (dataclasses.replace(JEAN, send_by_email=False), FA10, WarningCode.not_by_email),
        (JEAN, dataclasses.replace(FA10, status=Status.draft), WarningCode.draft),
        (JEAN, dataclasses.replace(FA10, status=Status.cancelled), WarningCode.cancelled),
    ],
)
async def test_blocking_warnings_keep_the_piece_out_even_when_overridden(
    contact: Contact, piece: Piece, code: WarningCode
) -> None:
    result, renderer = await run([piece, FA20], {1: contact, 2: MARY}, overrides=frozenset(WarningCode))

    assert [d.piece_ids for d in result.drafts] == [[20]]  # Mary's mail still goes
    assert renderer.rendered == ["FA-2026-00020"]
    [skipped] = result.skipped
    assert (skipped.number, skipped.contact, skipped.code) == ("FA-2026-00010", "Jean Dupont", code)
    [warning] = result.warnings
    assert warning.code is code and warning.blocking and not warning.overridden
    assert warning.piece_numbers == ("FA-2026-00010",) and warning.piece_ids == (10,)
    assert skipped.reason == warning.detail and skipped.warnings == (warning,)


async def test_an_unknown_keyword_blocks_with_its_name_and_line() -> None:
    forced = MessageTemplate(name="relance", subject="Relance %NUMFACT%", body="Bonjour,\n\n%MONTANT_HT%\n")
    result, renderer = await run([FA10], template=forced)

    assert result.drafts == [] and renderer.rendered == []
    [skipped] = result.skipped
    assert skipped.code is WarningCode.template_error
    assert "%MONTANT_HT%" in skipped.reason and "body, line 3" in skipped.reason


async def test_a_piece_sent_within_the_window_waits_for_the_users_word() -> None:
    recent = dataclasses.replace(FA10, last_sent=TODAY - timedelta(days=12))
    refused, renderer = await run([recent, FA9])

    assert [d.piece_ids for d in refused.drafts] == [[9]]
    assert renderer.rendered == ["FA-2026-00009"]
    [skipped] = refused.skipped
    assert skipped.code is WarningCode.recently_sent
    assert skipped.reason == "FA-2026-00010 was already sent on 12/11/2026"
    [warning] = refused.warnings
    assert not warning.blocking and not warning.overridden and warning.sent_on == TODAY - timedelta(days=12)

    accepted, _ = await run([recent, FA9], overrides=frozenset({WarningCode.recently_sent}))
    assert [d.piece_ids for d in accepted.drafts] == [[10], [9]]
    assert accepted.skipped == []
    [flagged] = accepted.warnings
    assert flagged.overridden and flagged.code is WarningCode.recently_sent
    assert accepted.drafts[0].warnings == [flagged] and accepted.drafts[1].warnings == []


@pytest.mark.parametrize(("days_ago", "warned"), [(0, True), (30, True), (31, False)])
async def test_the_resend_window_counts_whole_days(days_ago: int, warned: bool) -> None:
    sent = dataclasses.replace(FA10, last_sent=TODAY - timedelta(days=days_ago))
    result, _ = await run([sent], resend_window_days=30)
    assert bool(result.skipped) is warned


async def test_a_mail_above_the_accounts_limit_holds_every_piece_it_carries_unless_accepted() -> None:
    big = b"%PDF-1.7 " + bytes(range(256)) * 40  # about 10 kB, base64 makes it about 14 kB in the message

    async def render(piece: Piece, contact: Contact) -> bytes:
        return big

    options = SendOptions(sender=SENDER, today=TODAY, grouping=Grouping.per_recipient, max_message_bytes=20_000)
    result = await compose([FA10, FA9, FA20], CONTACTS, COMPANY, options, render)

    assert [d.piece_ids for d in result.drafts] == [[20]]  # Mary's mail has one PDF: under the limit
    assert [(s.number, s.code) for s in result.skipped] == [
        ("FA-2026-00010", WarningCode.too_large),
        ("FA-2026-00009", WarningCode.too_large),
    ]
    [warning] = result.warnings  # one warning for the mail, naming both pieces
    assert warning.piece_numbers == ("FA-2026-00009", "FA-2026-00010") and not warning.blocking
    assert re.fullmatch(
        r"the mail to Jean Dupont \(FA-2026-00009, FA-2026-00010\) is 3\d kB, above the account's limit of 20 kB",
        warning.detail,
    )

    accepted = await compose(
        [FA10, FA9, FA20],
        CONTACTS,
        COMPANY,
        dataclasses.replace(options, overrides=frozenset({WarningCode.too_large})),
        render,
    )
    assert [d.piece_ids for d in accepted.drafts] == [[9, 10], [20]]
    assert accepted.drafts[0].size > 20_000 and accepted.drafts[0].warnings[0].overridden


async def test_receipts_priority_and_copies_reach_the_headers_and_the_blind_copy_only_the_envelope() -> None:
    result, _ = await run(
        [FA10],
        read_receipt=True,
        delivery_receipt=True,
        high_priority=True,
        cc_sender=True,
        auto_bcc="archives@rhone.example.fr",
    )
    message = parsed(result)

    assert message["Disposition-Notification-To"] == SENDER.email
    assert message["Return-Receipt-To"] == SENDER.email
    assert (message["X-Priority"], message["Importance"]) == ("1", "high")
    assert message["Cc"] == SENDER.email
    assert "Bcc" not in message
    assert envelope_recipients(result.drafts[0].message) == [
        "jean@acme.example.fr",
        SENDER.email,
        "archives@rhone.example.fr",
    ]


async def test_without_the_options_no_receipt_priority_or_copy() -> None:
    result, _ = await run([FA10])
    message = parsed(result)
    for header in ("Disposition-Notification-To", "Return-Receipt-To", "X-Priority", "Importance", "Cc", "Bcc"):
        assert header not in message
    assert envelope_recipients(result.drafts[0].message) == ["jean@acme.example.fr"]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"auto_bcc": "archives at rhone"}, InvalidAddress),
        ({"zip_attachments": True}, InvalidInput),  # a ZIP needs grouped mails
        ({"resend_window_days": -1}, InvalidInput),
    ],
)
async def test_contradictory_or_bad_options_are_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        await run([FA10], **changes)


async def test_extra_files_go_with_every_mail_after_its_pdfs(tmp_path: Path) -> None:
    terms = tmp_path / "Conditions générales.pdf"
    terms.write_bytes(b"%PDF-1.7 CGV")
    extra = load_attachment(terms, max_bytes=1000)
    result, _ = await run([FA10, FA9, FA20], grouping=Grouping.per_recipient, extra_attachments=(extra,))

    assert [[a.filename for a in d.message.attachments] for d in result.drafts] == [
        ["Facture_FA-2026-00009.pdf", "Facture_FA-2026-00010.pdf", "Conditions générales.pdf"],
        ["Invoice_FA-2026-00020.pdf", "Conditions générales.pdf"],
    ]
    assert result.drafts[1].message.attachments[1].content == b"%PDF-1.7 CGV"
    assert extra.mime_type == "application/pdf"
    message = parsed(result, 1)
    assert [part.get_filename() for part in message.iter_attachments()] == [
        "Invoice_FA-2026-00020.pdf",
        "Conditions générales.pdf",
    ]


def test_an_extra_file_that_is_missing_not_a_file_or_too_big_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"absent\.pdf: cannot be read \(No such file"):
        load_attachment(tmp_path / "absent.pdf", max_bytes=1000)
    big = tmp_path / "catalogue.pdf"
    big.write_bytes(b"x" * 2_500_001)
    with pytest.raises(InvalidInput, match=r"catalogue\.pdf: 2\.5 MB, more than the 2\.0 MB a message may carry"):
        load_attachment(big, max_bytes=2_000_000)
    assert len(load_attachment(big, max_bytes=2_500_001).content) == 2_500_001
    with pytest.raises(InvalidInput, match="not a plain file"):
        load_attachment(tmp_path, max_bytes=1000)  # a folder


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX devices and named pipes")
def test_a_device_or_a_named_pipe_is_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    """/dev/zero would read until memory runs out, a pipe nobody writes to would block the open for ever."""
    pipe = tmp_path / "pipe.pdf"
    os.mkfifo(pipe)
    for path in (Path("/dev/zero"), pipe):
        with pytest.raises(InvalidInput, match=f"{path}: not a plain file"):
            load_attachment(path, max_bytes=25_000_000)


def test_zip_member_names_are_ascii_unique_and_the_bytes_stable() -> None:
    files = [
        ("Bon de réception BR/1.pdf", b"one"),
        ("Bon de reception BR_1.pdf", b"two"),
        ("Facture_FA-1.pdf", b"three"),
        ("facture_fa-1.PDF", b"four"),
        ("Ωμέγα.pdf", b"five"),
    ]
    archive = zip_pdfs(files, "Factures Rhône & Cie 2026-11-24.zip")

    assert archive.filename == "Factures_Rhone_Cie_2026-11-24.zip"
    members = zipfile.ZipFile(io.BytesIO(archive.content))
    assert members.namelist() == [
        "Bon_de_reception_BR_1.pdf",
        "Bon_de_reception_BR_1-2.pdf",
        "Facture_FA-1.pdf",
        "facture_fa-1-2.PDF",
        "document.pdf",
    ]
    assert [members.read(name) for name in members.namelist()] == [b"one", b"two", b"three", b"four", b"five"]
    assert {info.date_time for info in members.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert zip_pdfs(files, "Factures Rhône & Cie 2026-11-24.zip") == archive


async def test_a_grouped_mail_composed_twice_has_the_same_content_hash() -> None:
    first, _ = await run([FA20, FA21], grouping=Grouping.per_recipient, zip_attachments=True)
    again, _ = await run([FA21, FA20], grouping=Grouping.per_recipient, zip_attachments=True)

    assert first.drafts[0].message.message_id != again.drafts[0].message.message_id
    assert content_hash(first.drafts[0].message) == content_hash(again.drafts[0].message)


async def test_a_dry_run_changes_no_store(tmp_path: Path) -> None:
    stores = open_stores(tmp_path / "data")
    services = wire(stores, today=lambda: TODAY)
    try:
        await services.imports.load_demo(seed=3)
        await services.templates.save(
            MessageTemplate(
                name="Relevé", subject="Vos pièces %INTERVALLE_NUM_PIECES%", body="%LISTE_PIECES_AVECSOLDE%"
            )
        )

        def load() -> tuple[list[Piece], Mapping[int, Contact]]:
            return stores.pieces.get_many([s.id for s in stores.pieces.summaries()]), stores.contacts.by_id()

        pieces, contacts = await asyncio.to_thread(load)
        company = await services.company.get()
        assert company is not None
        pieces = pieces[:60]
        lookup = await services.templates.lookup_table()
        recently = dataclasses.replace(pieces[0], last_sent=TODAY)
        before = _files(tmp_path / "data")
        renderer = CountingRenderer()
        result = await compose(
            [recently, *pieces[1:]],
            contacts,
            company,
            SendOptions(
                sender=SENDER,
                today=TODAY,
                grouping=Grouping.per_recipient,
                zip_attachments=True,
                templates=lookup,
                cc_sender=True,
                auto_bcc="archives@rhone.example.fr",
                record_on_contact=True,
                overrides=frozenset({WarningCode.recently_sent}),
            ),
            renderer,
        )
        after = _files(tmp_path / "data")
        reloaded, _ = await asyncio.to_thread(load)
    finally:
        services.close()

    assert result.drafts and result.warnings
    assert after == before
    assert reloaded[: len(pieces)] == pieces  # the pieces handed in were not changed either
    assert len(renderer.rendered) == len(set(renderer.rendered))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_options_keep_their_defaults_for_the_existing_callers() -> None:
    options = SendOptions(sender=SENDER)
    assert options.grouping is Grouping.per_piece and options.auto_bcc is None and options.overrides == frozenset()
    assert options.record_on_contact and options.resend_window_days == 30 and options.templates is None


async def test_a_grouped_mail_on_the_built_in_template_names_all_its_pieces_and_their_total() -> None:
    result, _ = await run([FA10, FA9, FA20], grouping=Grouping.per_recipient)

    grouped, single = (draft.message for draft in result.drafts)
    total = format_money(FA9.totals.incl_tax + FA10.totals.incl_tax, Language.fr)
    assert grouped.subject == f"Vos documents FA-2026-00009 – FA-2026-00010 – {total} TTC"
    assert "FA-2026-00009" in grouped.text_body and "FA-2026-00010" in grouped.text_body
    assert f"montant total de {total} TTC" in grouped.text_body
    assert single.subject.startswith("Invoice FA-2026-00020 – ")  # one piece: the one-piece wording


async def test_a_users_template_is_kept_for_a_grouped_mail() -> None:
    mine = MessageTemplate(name="mine", language=Language.fr, subject="Pour %NOMCLIENT% : %NUMFACT%", body="b")
    result, _ = await run([FA10, FA9], grouping=Grouping.per_recipient, templates=lambda piece_type, language: mine)

    [draft] = result.drafts
    assert draft.message.subject == f"Pour {JEAN.name} : FA-2026-00009"
