"""From a batch of pieces and its options to the exact messages that will leave, and the pieces that cannot go.

Nothing here touches the network or a store: the caller hands in the pieces, their contacts, the issuer and a PDF
renderer, and gets every message complete (PDFs attached, Message-ID fixed, size measured) with the warnings a
dry run shows. The same function serves the dry run and the send, so what the user saw is what leaves.

A piece with a blocking warning is never composed. An overridable warning (sent recently, message too large)
stops its piece too unless the user accepted that kind in `SendOptions.overrides`; the mail then goes, and the
warning stays on the composition, flagged as overridden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from batchmail.documents.file_names import piece_filename
from batchmail.domain.addresses import parse_address
from batchmail.domain.company import IssuingCompany, SenderAddress
from batchmail.domain.contacts import Contact
from batchmail.domain.formatting import format_date
from batchmail.domain.keywords import TemplateContext
from batchmail.domain.language import Language
from batchmail.domain.numbering import natural_key
from batchmail.domain.pieces import Piece, PieceType, Status
from batchmail.errors import InvalidAddress, InvalidInput
from batchmail.sending.attachments import unique_names, zip_name, zip_pdfs
from batchmail.sending.checks import Skipped, Warning, WarningCode, address_problems, decisive, flagged
from batchmail.sending.message import Attachment, OutgoingMessage, make_message_id, to_mime
from batchmail.sending.templates import MessageTemplate, RenderedText, default_template, render_template

_MB = 1_000_000  # bytes: decimal units, as mail providers state their limits
RenderPiece = Callable[[Piece, Contact], Awaitable[bytes]]
TemplateLookup = Callable[[PieceType, Language], MessageTemplate]


class Grouping(StrEnum):
    per_piece = "per_piece"  # one mail per piece
    per_recipient = "per_recipient"  # one mail per contact, holding all of that contact's pieces


@dataclass(kw_only=True, slots=True)
class SendOptions:
    sender: SenderAddress  # one of the current user's addresses
    grouping: Grouping = Grouping.per_piece
    zip_attachments: bool = False  # per_recipient only: the mail's PDFs in one ZIP
    single_recipient: str | None = None  # every mail to this address instead of the contact's
    template: MessageTemplate | None = None  # forced for the whole batch
    templates: TemplateLookup | None = None  # the template for a piece type and language; None: the built-in ones
    extra_attachments: tuple[Attachment, ...] = ()  # attached to every mail of the batch
    read_receipt: bool = False
    delivery_receipt: bool = False
    high_priority: bool = False
    cc_sender: bool = False
    auto_bcc: str | None = None  # the archive address from the settings; None when the batch skips it
    record_on_contact: bool = True
    resend_window_days: int = 30  # a piece sent this many days ago or less is "recently sent"
    today: date = field(default_factory=date.today)
    max_message_bytes: int | None = None  # the account's largest message
    overrides: frozenset[WarningCode] = frozenset()  # overridable warnings the user accepted
    # Reminders and statements: whether each piece's PDF goes with its mail, files for one contact's mail only
    # (a statement), and whether a piece sent lately holds its mail back (not for a reminder of it).
    attach_pieces: bool = True
    contact_attachments: Mapping[int, tuple[Attachment, ...]] = field(default_factory=dict)
    check_recent_send: bool = True


@dataclass(kw_only=True, slots=True)
class Draft:
    """One composed message and what it is about."""

    message: OutgoingMessage
    piece_ids: list[int]
    contact_id: int
    mime: bytes = b""  # the message as it will be written to the outbox and sent
    warnings: list[Warning] = field(default_factory=list)  # the overridden ones that concern this mail

    @property
    def size(self) -> int:
        return len(self.mime)


@dataclass(kw_only=True, slots=True)
class Composition:
    drafts: list[Draft] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)  # every warning, overridden ones flagged

    @property
    def total_size(self) -> int:
        return sum(draft.size for draft in self.drafts)


@dataclass(kw_only=True, slots=True)
class _Mail:
    """One mail being built: its contact and pieces, then its text and message."""

    contact: Contact
    pieces: list[Piece]
    text: RenderedText | None = None
    language: Language = Language.fr
    message: OutgoingMessage | None = None
    warnings: list[Warning] = field(default_factory=list)


async def compose(
    pieces: Sequence[Piece],
    contacts: Mapping[int, Contact],
    company: IssuingCompany,
    options: SendOptions,
    render_pdf: RenderPiece,
) -> Composition:
    """Every message the batch gives under `options`, and every piece it leaves out with the reason.

    Raises InvalidAddress when the sender, the single recipient or the automatic BCC is not an address, and
    InvalidInput for options that contradict each other. Pure: changes no store, whatever it finds.
    """
    _check_options(options)
    warnings_of: dict[int, list[Warning]] = {}
    batch = _unique(pieces)
    for piece in batch:
        warnings_of[id(piece)] = _piece_warnings(piece, contacts[piece.contact_id], options)
    ready = [p for p in batch if not decisive(warnings_of[id(p)], options.overrides)]
    mails = _group(ready, contacts, options.grouping)

    await asyncio.to_thread(_render_texts, mails, company, options)
    written = [mail for mail in mails if not decisive(mail.warnings, options.overrides)]
    mimes = await _write(written, company, options, render_pdf)

    return _result(batch, mails, warnings_of, mimes, contacts=contacts, overrides=options.overrides)


def _result(
    batch: Sequence[Piece],
    mails: Sequence[_Mail],
    warnings_of: dict[int, list[Warning]],
    mimes: Mapping[int, bytes],
    *,
    contacts: Mapping[int, Contact],
    overrides: frozenset[WarningCode],
) -> Composition:
    """The drafts of the mails that go, and each piece left out with the warnings that kept it."""
    result = Composition()
    for mail in mails:
        for piece in mail.pieces:
            warnings_of[id(piece)] += mail.warnings
        mail_warnings = [w for piece in mail.pieces for w in warnings_of[id(piece)]]
        if mail.message is not None and not decisive(mail_warnings, overrides):
            result.drafts.append(
                Draft(
                    message=mail.message,
                    piece_ids=[p.id for p in mail.pieces],
                    contact_id=mail.contact.id,
                    mime=mimes[id(mail)],
                    warnings=list(dict.fromkeys(flagged(mail_warnings, overrides))),
                )
            )
    every: dict[Warning, None] = {}  # a mail's warning is on each of its pieces: listed once
    for piece in batch:
        marked = flagged(warnings_of[id(piece)], overrides)
        every.update(dict.fromkeys(marked))
        keeping = [w for w in marked if not w.overridden]
        if keeping:
            result.skipped.append(
                Skipped(
                    piece_id=piece.id,
                    number=piece.number,
                    contact=contacts[piece.contact_id].name,
                    reason=keeping[0].detail,
                    code=keeping[0].code,
                    warnings=tuple(keeping),
                )
            )
    result.warnings = list(every)
    return result


def _check_options(options: SendOptions) -> None:
    parse_address(options.sender.email, field="sender")
    if options.single_recipient is not None:
        parse_address(options.single_recipient, field="single recipient")
    if options.auto_bcc is not None:
        parse_address(options.auto_bcc, field="automatic BCC")
    if options.zip_attachments and options.grouping is not Grouping.per_recipient:
        raise InvalidInput("a ZIP of the PDFs needs the mails grouped per recipient")
    if options.resend_window_days < 0:
        raise InvalidInput(f"resend window: {options.resend_window_days} days (expected 0 or more)")


def _unique(pieces: Sequence[Piece]) -> list[Piece]:
    """The pieces in their order, a piece listed twice kept once (pieces not yet stored have id 0: all kept)."""
    seen: set[int] = set()
    kept = []
    for piece in pieces:
        if piece.id and piece.id in seen:
            continue
        seen.add(piece.id)
        kept.append(piece)
    return kept


def _piece_warnings(piece: Piece, contact: Contact, options: SendOptions) -> list[Warning]:
    found: list[tuple[WarningCode, str]] = []
    if piece.status is Status.draft:
        found.append((WarningCode.draft, "draft: validate it before sending"))
    elif piece.status is Status.cancelled:
        found.append((WarningCode.cancelled, "cancelled: a cancelled piece is never sent"))
    if options.single_recipient is None:  # else the contact's own address and wishes play no part
        found += address_problems(contact)
    sent_on = piece.last_sent
    window_start = options.today - timedelta(days=options.resend_window_days)
    if options.check_recent_send and sent_on is not None and sent_on >= window_start:
        detail = f"{piece.number} was already sent on {format_date(sent_on, Language.en)}"
        found.append((WarningCode.recently_sent, detail))
    return [
        Warning(
            code=code,
            piece_ids=(piece.id,),
            piece_numbers=(piece.number,),
            contact=contact.name,
            detail=detail,
            sent_on=sent_on if code is WarningCode.recently_sent else None,
        )
        for code, detail in found
    ]


def _group(pieces: Sequence[Piece], contacts: Mapping[int, Contact], grouping: Grouping) -> list[_Mail]:
    """The mails in the order of the batch; a grouped mail's pieces in number order."""
    if grouping is Grouping.per_piece:
        return [_Mail(contact=contacts[p.contact_id], pieces=[p]) for p in pieces]
    by_contact: dict[int, list[Piece]] = {}
    for piece in pieces:
        by_contact.setdefault(piece.contact_id, []).append(piece)
    return [
        _Mail(contact=contacts[contact_id], pieces=sorted(group, key=lambda p: natural_key(p.number)))
        for contact_id, group in by_contact.items()
    ]


def _render_texts(mails: Sequence[_Mail], company: IssuingCompany, options: SendOptions) -> None:
    """Subject and bodies of every mail (a worker thread: a template lookup may read a store)."""
    lookup = options.templates or default_template
    for mail in mails:
        piece_type = mail.pieces[0].type
        template = options.template or lookup(piece_type, mail.contact.language)
        if len(mail.pieces) > 1 and template == default_template(piece_type, template.language):
            template = default_template(piece_type, template.language, several=True)
        # The values are written in the template's language, so a text never mixes two languages.
        mail.language = template.language
        context = TemplateContext(pieces=mail.pieces, contact=mail.contact, company=company, language=mail.language)
        try:
            mail.text = render_template(template, context)
        except InvalidInput as err:
            mail.warnings.append(_mail_warning(mail, WarningCode.template_error, str(err)))


def _mail_warning(mail: _Mail, code: WarningCode, detail: str) -> Warning:
    return Warning(
        code=code,
        piece_ids=tuple(p.id for p in mail.pieces),
        piece_numbers=tuple(p.number for p in mail.pieces),
        contact=mail.contact.name,
        detail=detail,
    )


async def _write(
    mails: Sequence[_Mail], company: IssuingCompany, options: SendOptions, render_pdf: RenderPiece
) -> dict[int, bytes]:
    """The MIME bytes of every mail that could be written, keyed by the mail object's id. Each piece's PDF is
    rendered once even if the piece is in several mails, and each mail is written as soon as its PDFs are there:
    encoding a mail (~1 ms) then overlaps the rendering of the next ones instead of following the last one."""
    renders: dict[int, asyncio.Future[bytes]] = {}
    for mail in mails if options.attach_pieces else ():
        for piece in mail.pieces:
            if id(piece) not in renders:
                renders[id(piece)] = asyncio.ensure_future(render_pdf(piece, mail.contact))

    # One thread encodes, a mail at a time: several would only contend for the GIL with the threads that feed
    # the rendering workers.
    encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compose")
    loop = asyncio.get_running_loop()

    async def write(mail: _Mail) -> bytes | None:
        pdfs = {id(piece): await renders[id(piece)] for piece in mail.pieces if id(piece) in renders}
        return await loop.run_in_executor(encoder, _encode, mail, pdfs, company, options)

    writes = [asyncio.ensure_future(write(mail)) for mail in mails]
    try:
        # The first failure, a render's or a write's, stops the others at once.
        tasks: list[asyncio.Future[Any]] = [*renders.values(), *writes]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION) if tasks else (set(), set())
        for finished in done:
            if not finished.cancelled() and (error := finished.exception()) is not None:
                raise error
        mimes = [written.result() for written in writes]
    finally:
        for pending in (writes, renders.values()):
            for task in pending:
                task.cancel()
        encoder.shutdown(wait=False, cancel_futures=True)
    return {id(mail): mime for mail, mime in zip(mails, mimes, strict=True) if mime is not None}


def _message(mail: _Mail, pdfs: Mapping[int, bytes], company: IssuingCompany, options: SendOptions) -> OutgoingMessage:
    assert mail.text is not None  # mails whose text failed were dropped before
    attached = [p for p in mail.pieces if id(p) in pdfs]
    names = unique_names(piece_filename(p, mail.language) for p in attached)
    files = [(name, pdfs[id(p)]) for name, p in zip(names, attached, strict=True)]
    if options.zip_attachments:
        archive = zip_name([p.type for p in mail.pieces], company.name, options.today, mail.language)
        attachments = [zip_pdfs(files, archive)]
    else:
        attachments = [Attachment(filename=name, content=content) for name, content in files]
    sender = options.sender
    return OutgoingMessage(
        sender=sender.email,
        sender_name=sender.display_name or company.name,
        to=(options.single_recipient or mail.contact.email or "",),
        cc=(sender.email,) if options.cc_sender else (),
        bcc=(options.auto_bcc,) if options.auto_bcc else (),
        subject=mail.text.subject,
        text_body=mail.text.text,
        html_body=mail.text.html,
        attachments=(*attachments, *options.contact_attachments.get(mail.contact.id, ()), *options.extra_attachments),
        read_receipt=options.read_receipt,
        delivery_receipt=options.delivery_receipt,
        high_priority=options.high_priority,
        message_id=make_message_id(sender.email.rpartition("@")[2] or "batchmail.invalid"),
    )


def _encode(mail: _Mail, pdfs: Mapping[int, bytes], company: IssuingCompany, options: SendOptions) -> bytes | None:
    """The mail's message and its MIME bytes (a worker thread: it zips and encodes the attachments); None, with a
    warning on the mail, when the contact's address cannot be written. Warns when the mail is too large."""
    mail.message = _message(mail, pdfs, company, options)
    try:
        mime = to_mime(mail.message)
    except InvalidAddress as err:
        # The sender and the batch's addresses were checked first: what is left is the contact's.
        mail.warnings.append(_mail_warning(mail, WarningCode.invalid_address, str(err)))
        return None
    limit = options.max_message_bytes
    size = len(mime)
    if limit is not None and size > limit:
        detail = (
            f"the mail to {mail.contact.name} ({', '.join(p.number for p in mail.pieces)}) is "
            f"{_human_size(size)}, above the account's limit of {_human_size(limit)}"
        )
        mail.warnings.append(_mail_warning(mail, WarningCode.too_large, detail))
    return mime


def _human_size(size: int) -> str:
    """ "840 kB", "12.5 MB": decimal units, as mail providers state their limits."""
    return f"{size / 1_000:.0f} kB" if size < _MB else f"{size / _MB:.1f} MB"
