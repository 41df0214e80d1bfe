"""Domain records to plain JSON dicts and back: Decimal as its exact string, dates ISO, enums as their value.

Written out field by field rather than through `dataclasses.asdict`: decoding a hundred thousand pieces is on the
path of opening the app, and the explicit form is several times faster. Enum values are looked up in dicts built
once, which is faster than calling the enum. A missing or wrong field raises KeyError, ValueError or TypeError;
the stores turn that into a StoreError naming the file.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from batchmail.domain.company import IssuingCompany, SenderAddress, User
from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status
from batchmail.sending.accounts import Account, AccountKind, GmailMode, SmtpSecurity
from batchmail.sending.delivery_events import DeliveryEvent, DeliveryEventKind
from batchmail.sending.history import SendRecord
from batchmail.sending.outbox import Attempt, OutboxEntry, OutboxState

Doc = dict[str, Any]

_PIECE_TYPES = {member.value: member for member in PieceType}
_STATUSES = {member.value: member for member in Status}
_SIDES = {member.value: member for member in Side}
_LANGUAGES = {member.value: member for member in Language}
_OUTBOX_STATES = {member.value: member for member in OutboxState}
_ACCOUNT_KINDS = {member.value: member for member in AccountKind}
_SECURITIES = {member.value: member for member in SmtpSecurity}
_GMAIL_MODES = {member.value: member for member in GmailMode}
_EVENT_KINDS = {member.value: member for member in DeliveryEventKind}

_date = date.fromisoformat
_datetime = datetime.fromisoformat


def _opt_date(text: str | None) -> date | None:
    return None if text is None else _date(text)


def _opt_datetime(text: str | None) -> datetime | None:
    return None if text is None else _datetime(text)


def _iso(moment: date | datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# Pieces


def encode_piece(piece: Piece) -> Doc:
    return {
        "id": piece.id,
        "number": piece.number,
        "type": piece.type.value,
        "date": piece.date.isoformat(),
        "due_date": _iso(piece.due_date),
        "contact_id": piece.contact_id,
        "status": piece.status.value,
        "lines": [_encode_line(line) for line in piece.lines],
        "payments": [
            {"date": payment.date.isoformat(), "amount": str(payment.amount), "method": payment.method}
            for payment in piece.payments
        ],
        "nature": piece.nature,
        "reference": piece.reference,
        "notes": piece.notes,
        "annotations": piece.annotations,
        "linked_files": list(piece.linked_files),
        "last_sent": _iso(piece.last_sent),
        "origin_ids": list(piece.origin_ids),
        "derived_ids": list(piece.derived_ids),
        "reminder_level": piece.reminder_level,
        "last_reminder": _iso(piece.last_reminder),
    }


def _origin_ids(doc: Doc) -> list[int]:
    """Files of the first schema name one origin, `origin_id` (None without one)."""
    if "origin_ids" in doc:
        return list(doc["origin_ids"])
    origin = doc.get("origin_id")
    return [] if origin is None else [origin]


def _encode_line(line: Line) -> Doc:
    doc: Doc = {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "vat_rate": str(line.vat_rate),
        "discount": str(line.discount),
    }
    if line.heading:  # only where it is one: most lines are not, and a year file holds thousands
        doc["heading"] = True
    return doc


def decode_piece(doc: Doc) -> Piece:
    return Piece(
        id=doc["id"],
        number=doc["number"],
        type=_PIECE_TYPES[doc["type"]],
        date=_date(doc["date"]),
        due_date=_opt_date(doc["due_date"]),
        contact_id=doc["contact_id"],
        status=_STATUSES[doc["status"]],
        lines=[
            Line(
                description=line["description"],
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                vat_rate=Decimal(line["vat_rate"]),
                discount=Decimal(line["discount"]),
                heading=line.get("heading", False),
            )
            for line in doc["lines"]
        ],
        payments=[
            Payment(date=_date(payment["date"]), amount=Decimal(payment["amount"]), method=payment["method"])
            for payment in doc["payments"]
        ],
        nature=doc["nature"],
        reference=doc["reference"],
        notes=doc["notes"],
        annotations=doc["annotations"],
        linked_files=list(doc["linked_files"]),
        last_sent=_opt_date(doc["last_sent"]),
        origin_ids=_origin_ids(doc),
        derived_ids=list(doc.get("derived_ids", ())),  # after the first schema, as last_reminder
        reminder_level=doc["reminder_level"],
        last_reminder=_opt_date(doc.get("last_reminder")),
    )


# Contacts, issuing company, users


def encode_contact(contact: Contact) -> Doc:
    return {
        "id": contact.id,
        "kind": contact.kind.value,
        "company": contact.company,
        "name": contact.name,
        "emails": list(contact.emails),
        "language": contact.language.value,
        "send_by_email": contact.send_by_email,
        "address": contact.address,
        "vat_number": contact.vat_number,
        "phone": contact.phone,
    }


def decode_contact(doc: Doc) -> Contact:
    return Contact(
        id=doc["id"],
        kind=_SIDES[doc["kind"]],
        company=doc["company"],
        name=doc["name"],
        emails=list(doc["emails"]),
        language=_LANGUAGES[doc["language"]],
        send_by_email=doc["send_by_email"],
        address=doc["address"],
        vat_number=doc["vat_number"],
        phone=doc["phone"],
    )


_COMPANY_TEXT_FIELDS = (
    "name",
    "legal_form",
    "capital",
    "address",
    "siren",
    "siret",
    "rcs",
    "vat_number",
    "iban",
    "bic",
    "email",
    "phone",
    "website",
    "logo_path",
)
# Added after the first schema: absent from older files, where they take their default.
_COMPANY_BRANDING_DEFAULTS = {
    "accent_color": IssuingCompany.__dataclass_fields__["accent_color"].default,
    "footer_text": "",
    "archive_bcc": "",
}


def encode_company(company: IssuingCompany) -> Doc:
    doc: Doc = {name: getattr(company, name) for name in (*_COMPANY_TEXT_FIELDS, *_COMPANY_BRANDING_DEFAULTS)}
    doc["language"] = company.language.value
    doc["payment_terms_days"] = company.payment_terms_days
    doc["late_penalty_rate"] = str(company.late_penalty_rate)
    doc["recovery_indemnity"] = str(company.recovery_indemnity)
    return doc


def decode_company(doc: Doc) -> IssuingCompany:
    return IssuingCompany(
        **{name: doc[name] for name in _COMPANY_TEXT_FIELDS},
        **{name: doc.get(name, default) for name, default in _COMPANY_BRANDING_DEFAULTS.items()},
        language=_LANGUAGES[doc["language"]],
        payment_terms_days=doc["payment_terms_days"],
        late_penalty_rate=Decimal(doc["late_penalty_rate"]),
        recovery_indemnity=Decimal(doc["recovery_indemnity"]),
    )


def encode_user(user: User) -> Doc:
    return {
        "id": user.id,
        "name": user.name,
        "addresses": [{"email": a.email, "display_name": a.display_name} for a in user.addresses],
    }


def decode_user(doc: Doc) -> User:
    return User(
        id=doc["id"],
        name=doc["name"],
        addresses=[SenderAddress(email=a["email"], display_name=a["display_name"]) for a in doc["addresses"]],
    )


# Accounts

_ACCOUNT_DEFAULTS = Account(name="", kind=AccountKind.smtp)


def encode_account(account: Account) -> Doc:
    return {
        "name": account.name,
        "kind": account.kind.value,
        "host": account.host,
        "port": account.port,
        "security": account.security.value,
        "username": account.username,
        "from_address": account.from_address,
        "ca_file": account.ca_file,
        "timeout_seconds": account.timeout_seconds,
        "per_minute": account.per_minute,
        "per_day": account.per_day,
        "max_message_bytes": account.max_message_bytes,
        "connections": account.connections,
        "api_base_url": account.api_base_url,
        "token_uri": account.token_uri,
        "auth_uri": account.auth_uri,
        "client_id": account.client_id,
        "gmail_mode": account.gmail_mode.value,
        "reconnect_needed": account.reconnect_needed,
    }


def decode_account(doc: Doc) -> Account:
    return Account(
        name=doc["name"],
        kind=_ACCOUNT_KINDS[doc["kind"]],
        host=doc["host"],
        port=doc["port"],
        security=_SECURITIES[doc["security"]],
        username=doc["username"],
        from_address=doc["from_address"],
        ca_file=doc["ca_file"],
        timeout_seconds=float(doc["timeout_seconds"]),
        # Pace and limits came after the first schema: older files take the defaults.
        per_minute=doc.get("per_minute"),
        per_day=doc.get("per_day"),
        max_message_bytes=doc.get("max_message_bytes", _ACCOUNT_DEFAULTS.max_message_bytes),
        connections=doc.get("connections", _ACCOUNT_DEFAULTS.connections),
        # So did the Gmail and Brevo settings.
        api_base_url=doc.get("api_base_url", ""),
        token_uri=doc.get("token_uri", ""),
        auth_uri=doc.get("auth_uri", ""),
        client_id=doc.get("client_id", ""),
        gmail_mode=_GMAIL_MODES[doc.get("gmail_mode", _ACCOUNT_DEFAULTS.gmail_mode.value)],
        reconnect_needed=doc.get("reconnect_needed", False),
    )


# Sending: outbox and history


def encode_outbox_entry(entry: OutboxEntry) -> Doc:
    return {
        "id": entry.id,
        "batch_id": entry.batch_id,
        "account": entry.account,
        "message_id": entry.message_id,
        "content_hash": entry.content_hash,
        "sender": entry.sender,
        "recipients": list(entry.recipients),
        "subject": entry.subject,
        "piece_ids": list(entry.piece_ids),
        "contact_id": entry.contact_id,
        "attachments": list(entry.attachments),
        "size": entry.size,
        "kind": entry.kind,
        "dsn": entry.dsn,
        "record_on_contact": entry.record_on_contact,
        "state": entry.state.value,
        "attempts": entry.attempts,
        "next_try": _iso(entry.next_try),
        "last_error": entry.last_error,
        "last_code": entry.last_code,
        "last_answer": entry.last_answer,
        "server_reply": entry.server_reply,
        "created_at": entry.created_at.isoformat(),
        "sent_at": _iso(entry.sent_at),
        "recorded": entry.recorded,
        "tries": [
            {"at": t.at.isoformat(), "state": t.state.value, "code": t.code, "answer": t.answer} for t in entry.tries
        ],
    }


def decode_outbox_entry(doc: Doc) -> OutboxEntry:
    return OutboxEntry(
        id=doc["id"],
        batch_id=doc["batch_id"],
        account=doc["account"],
        message_id=doc["message_id"],
        content_hash=doc["content_hash"],
        sender=doc["sender"],
        recipients=list(doc["recipients"]),
        subject=doc["subject"],
        piece_ids=list(doc["piece_ids"]),
        contact_id=doc["contact_id"],
        attachments=list(doc["attachments"]),
        size=doc["size"],
        # Older files have no kind, dsn, server_reply or recorded: their sent mails were recorded as they left.
        kind=doc.get("kind", "piece"),
        dsn=doc.get("dsn", False),
        record_on_contact=doc["record_on_contact"],
        state=_OUTBOX_STATES[doc["state"]],
        attempts=doc["attempts"],
        next_try=_opt_datetime(doc["next_try"]),
        last_error=doc["last_error"],
        last_code=doc["last_code"],
        last_answer=doc.get("last_answer", ""),  # not kept before the server's words were a field of their own
        server_reply=doc.get("server_reply", ""),
        created_at=_datetime(doc["created_at"]),
        sent_at=_opt_datetime(doc["sent_at"]),
        recorded=doc.get("recorded", True),
        # Older files keep no tries: only the counts and the last answer.
        tries=[
            Attempt(at=_datetime(t["at"]), state=_OUTBOX_STATES[t["state"]], code=t["code"], answer=t["answer"])
            for t in doc.get("tries", ())
        ],
    )


def encode_send_record(record: SendRecord) -> Doc:
    return {
        "id": record.id,
        "contact_id": record.contact_id,
        "piece_ids": list(record.piece_ids),
        "kind": record.kind,
        "message_id": record.message_id,
        "subject": record.subject,
        "recipients": list(record.recipients),
        "attachments": list(record.attachments),
        "account": record.account,
        "sent_at": record.sent_at.isoformat(),
        "provider_message_id": record.provider_message_id,
        "events": [
            {
                "kind": event.kind.value,
                "recipient": event.recipient,
                "at": event.at.isoformat(),
                "provider_message_id": event.provider_message_id,
                "reason": event.reason,
            }
            for event in record.events
        ],
    }


def decode_send_record(doc: Doc) -> SendRecord:
    return SendRecord(
        id=doc["id"],
        contact_id=doc["contact_id"],
        piece_ids=list(doc["piece_ids"]),
        kind=doc["kind"],
        message_id=doc["message_id"],
        subject=doc["subject"],
        recipients=list(doc["recipients"]),
        attachments=list(doc["attachments"]),
        account=doc["account"],
        sent_at=_datetime(doc["sent_at"]),
        # Delivery events came after the first schema: older files have none.
        provider_message_id=doc.get("provider_message_id", ""),
        events=[
            DeliveryEvent(
                kind=_EVENT_KINDS[event["kind"]],
                recipient=event["recipient"],
                at=_datetime(event["at"]),
                provider_message_id=event["provider_message_id"],
                reason=event["reason"],
            )
            for event in doc.get("events", ())
        ],
    )
