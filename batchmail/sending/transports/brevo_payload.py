"""A Brevo transactional email, read back from the MIME message ``to_mime`` made, so every transport sends the
same message.

What Brevo cannot carry is refused (UnsupportedFeature naming it), never dropped, as django-anymail's Brevo backend
does: several Reply-To addresses, several HTML bodies, inline parts, attachment types Brevo refuses, non-ASCII
custom headers (Brevo sends them as raw 8-bit). Brevo writes its own Message-ID and Date. A message without an
HTML body gets its text, escaped, as HTML: Brevo requires ``htmlContent``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import uuid
from collections.abc import Sequence
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from pathlib import PurePath
from typing import Any

import orjson

from batchmail.errors import UnsupportedFeature
from batchmail.sending.transports.http_api import blind_recipients

_IDEMPOTENCY_NAMESPACE = uuid.UUID("3f6a4f0e-6b1d-4c55-9a51-0c2a8d6f4b21")

# The attachment types Brevo accepts (its API reference, send-transac-email).
ATTACHMENT_EXTENSIONS = frozenset(
    (  # noqa: SIM905 - the list as Brevo's reference prints it
        "xlsx xls ods docx docm doc csv pdf txt gif jpg jpeg png tif tiff rtf bmp cgm css shtml html htm zip xml ppt "
        "pptx tar ez ics mobi msg pub eps odt mp3 m4a m4v wma ogg flac wav aif aifc aiff mp4 mov avi mkv mpeg mpg wmv "
        "pkpass xlsm"
    ).split()
)
# Headers Brevo writes from the payload's fields, or by itself: never passed on as custom headers.
_OWN_HEADERS = frozenset(
    "from to cc bcc reply-to subject date message-id mime-version content-type content-transfer-encoding".split()  # noqa: SIM905
)
_SPECIALS = set('()<>[]:;@\\,."')


def brevo_payload(mime: bytes, recipients: list[str], *, tags: Sequence[str] = ()) -> bytes:
    """The JSON body of POST /smtp/email for the MIME message `mime` sent to `recipients` (Bcc included)."""
    message = BytesParser(policy=policy.default).parsebytes(mime)
    assert isinstance(message, EmailMessage)
    senders = _addresses(message, "From")
    if len(senders) != 1:
        raise UnsupportedFeature(f"Brevo sends from exactly one address, not {len(senders)}")
    to, cc = _addresses(message, "To"), _addresses(message, "Cc")
    if not to:
        raise UnsupportedFeature("Brevo needs at least one To recipient")
    missing = {a.addr_spec.lower() for a in (*to, *cc)} - {r.strip().lower() for r in recipients}
    if missing:
        raise UnsupportedFeature(f"Brevo sends to every To and Cc address, and the envelope leaves out {missing}")
    payload: dict[str, Any] = {
        "sender": _contact(senders[0]),
        "to": [_contact(a) for a in to],
        "subject": str(message.get("Subject", "")),
        "headers": {**_custom_headers(message), "idempotencyKey": idempotency_key(message, mime)},
    }
    if cc:
        payload["cc"] = [_contact(a) for a in cc]
    bcc = blind_recipients(message, recipients)
    if bcc:
        payload["bcc"] = [{"email": address} for address in bcc]
    reply_to = _addresses(message, "Reply-To")
    if len(reply_to) > 1:
        raise UnsupportedFeature("Brevo takes one Reply-To address, not several")
    if reply_to:
        payload["replyTo"] = _contact(reply_to[0])
    payload.update(_bodies(message))
    attachments = [_attachment(part) for part in message.iter_attachments()]
    if attachments:
        payload["attachment"] = attachments
    if tags:
        payload["tags"] = list(tags)
    return orjson.dumps(payload)


def idempotency_key(message: EmailMessage, mime: bytes) -> str:
    """A UUID (which Brevo requires) derived from the Message-ID, else from the whole message."""
    seed = str(message.get("Message-ID", "")).strip() or hashlib.sha256(mime).hexdigest()
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, seed))


def _addresses(message: EmailMessage, name: str) -> list[Address]:
    header = message.get(name)
    return list(getattr(header, "addresses", ())) if header is not None else []


def _contact(address: Address) -> dict[str, str]:
    """{email, name}; a non-ASCII name holding a special character goes RFC 2047-encoded, because Brevo silently
    drops such a name otherwise (found by django-anymail)."""
    contact = {"email": address.addr_spec}
    name = address.display_name
    if name:
        contact["name"] = Header(name, "utf-8").encode() if not name.isascii() and _SPECIALS & set(name) else name
    return contact


def _custom_headers(message: EmailMessage) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.items():
        if name.lower() in _OWN_HEADERS:
            continue
        text = str(value)
        if not text.isascii():
            raise UnsupportedFeature(f"Brevo would send the {name} header unencoded: it holds non-ASCII characters")
        headers[name] = text
    return headers


def _bodies(message: EmailMessage) -> dict[str, str]:
    html_parts = [p for p in message.walk() if p.get_content_type() == "text/html" and not p.is_attachment()]
    if len(html_parts) > 1:
        raise UnsupportedFeature("Brevo takes one HTML body, and this message has several")
    plain = message.get_body(preferencelist=("plain",))
    text = _text(plain) if plain is not None else ""
    if html_parts:
        markup = _text(html_parts[0])
    elif plain is not None:
        markup = f'<pre style="font-family: inherit; white-space: pre-wrap">{html.escape(text)}</pre>'
    else:
        raise UnsupportedFeature("the message has neither a text nor an HTML body")
    return {"textContent": text, "htmlContent": markup} if plain is not None else {"htmlContent": markup}


def _text(part: MIMEPart) -> str:
    """A text part's content with the line ends of a JSON string (MIME's CRLF is the wire's business)."""
    return str(part.get_content()).replace("\r\n", "\n")


def _attachment(part: EmailMessage) -> dict[str, str]:
    name = part.get_filename() or ""
    if part.get_content_disposition() == "inline" or part.get("Content-ID"):
        raise UnsupportedFeature(f"Brevo cannot send inline parts ({name or part.get_content_type()})")
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in ATTACHMENT_EXTENSIONS:
        raise UnsupportedFeature(f"Brevo refuses attachments of type {extension or 'unknown'!r} ({name or 'no name'})")
    content = part.get_payload(decode=True)
    assert isinstance(content, bytes)
    return {"name": name, "content": base64.b64encode(content).decode("ascii")}
