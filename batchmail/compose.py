"""From a batch of pieces to the exact messages that will leave, and the pieces that cannot go.

Nothing here touches the network or a store: the caller hands in the pieces, their contacts and a PDF renderer,
and gets every message complete (PDF attached, Message-ID fixed) or the reason a piece is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from batchmail.contacts import Contact, IssuingCompany, SenderAddress
from batchmail.message import Attachment, OutgoingMessage, make_message_id
from batchmail.pdf import piece_filename
from batchmail.pieces import Piece, Status
from batchmail.templates import TemplateContext, default_template, render_template

RenderPiece = Callable[[Piece, Contact], Awaitable[bytes]]

_NOT_SENDABLE = {Status.draft: "draft: validate it before sending", Status.cancelled: "cancelled"}


@dataclass(kw_only=True, slots=True)
class SendOptions:
    sender: SenderAddress
    record_on_contact: bool = True


@dataclass(frozen=True, slots=True)
class Skipped:
    piece_id: int
    number: str
    contact: str
    reason: str


@dataclass(kw_only=True, slots=True)
class Draft:
    """One composed message and what it is about."""

    message: OutgoingMessage
    piece_ids: list[int]
    contact_id: int


@dataclass(kw_only=True, slots=True)
class Composition:
    drafts: list[Draft] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


async def compose(
    pieces: Sequence[Piece],
    contacts: Mapping[int, Contact],
    company: IssuingCompany,
    options: SendOptions,
    render_pdf: RenderPiece,
) -> Composition:
    """One mail per piece, to the contact's address, with the piece's PDF attached."""
    result = Composition()
    sendable: list[tuple[Piece, Contact, str]] = []
    for piece in pieces:
        contact = contacts[piece.contact_id]
        reason = _why_not_sendable(piece, contact)
        if reason:
            result.skipped.append(Skipped(piece_id=piece.id, number=piece.number, contact=contact.name, reason=reason))
        else:
            sendable.append((piece, contact, contact.email or ""))
    pdfs = await asyncio.gather(*(render_pdf(piece, contact) for piece, contact, _ in sendable))
    domain = options.sender.email.rpartition("@")[2] or "batchmail.invalid"
    for (piece, contact, address), pdf in zip(sendable, pdfs, strict=True):
        language = contact.language.value
        text = render_template(
            default_template(piece.type, language),
            TemplateContext(pieces=[piece], contact=contact, company=company, language=language),
        )
        message = OutgoingMessage(
            sender=options.sender.email,
            sender_name=options.sender.display_name or company.name,
            to=(address,),
            subject=text.subject,
            text_body=text.text,
            html_body=text.html,
            attachments=(Attachment(filename=piece_filename(piece, language), content=pdf),),
            message_id=make_message_id(domain),
        )
        result.drafts.append(Draft(message=message, piece_ids=[piece.id], contact_id=contact.id))
    return result


def _why_not_sendable(piece: Piece, contact: Contact) -> str:
    if piece.status in _NOT_SENDABLE:
        return _NOT_SENDABLE[piece.status]
    if not contact.send_by_email:
        return "the contact does not receive documents by email"
    if not contact.email:
        return "no email address for this contact"
    try:
        validate_email(contact.email, check_deliverability=False)
    except EmailNotValidError as err:
        return f"invalid address {contact.email!r}: {err}"
    return ""
