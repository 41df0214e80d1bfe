"""Domain records to plain JSON dicts and back: Decimal as its exact string, dates ISO, enums as their value (the
mail records: storage/mail_codec.py).

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

Doc = dict[str, Any]

_PIECE_TYPES = {member.value: member for member in PieceType}
_STATUSES = {member.value: member for member in Status}
_SIDES = {member.value: member for member in Side}
_LANGUAGES = {member.value: member for member in Language}

_date = date.fromisoformat
_datetime = datetime.fromisoformat


def optional_date(text: str | None) -> date | None:
    return None if text is None else _date(text)


def optional_datetime(text: str | None) -> datetime | None:
    return None if text is None else _datetime(text)


def iso(moment: date | datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# Pieces


def encode_piece(piece: Piece) -> Doc:
    return {
        "id": piece.id,
        "number": piece.number,
        "type": piece.type.value,
        "date": piece.date.isoformat(),
        "due_date": iso(piece.due_date),
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
        "last_sent": iso(piece.last_sent),
        "origin_ids": list(piece.origin_ids),
        "derived_ids": list(piece.derived_ids),
        "reminder_level": piece.reminder_level,
        "last_reminder": iso(piece.last_reminder),
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
        due_date=optional_date(doc["due_date"]),
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
        last_sent=optional_date(doc["last_sent"]),
        origin_ids=_origin_ids(doc),
        derived_ids=list(doc.get("derived_ids", ())),  # after the first schema, as last_reminder
        reminder_level=doc["reminder_level"],
        last_reminder=optional_date(doc.get("last_reminder")),
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
