"""An outgoing message, frozen once composed, and its MIME form.

The MIME bytes are built only here, so the rules that keep headers safe live in one place: no line break ever
reaches a header (subjects and display names are flattened to one line, CR, LF, the Unicode line and paragraph
separators, NEL and every other control character alike; an address holding one is refused), a value holding what
looks like an RFC 2047 encoded word is encoded here as the literal text it is (the email package would decode it,
an attacker's "=0D=0ABcc:" included, into a header line of its own), Bcc recipients travel in the envelope only,
and text parts are quoted-printable so any server accepts them without 8BITMIME.

The bytes are the email package's, under a policy (`_MimePolicy`) that spares it the work that changes nothing:
its default policy parses every header into an object when it is set and each time it is read, and refolds it when
the message is written, about two thirds of the cost of a message. A well-formed value of printable ASCII comes out
of that round trip unchanged, so it is kept as given; every other value still goes through the default policy. The
result is byte for byte what the default policy writes (tests/test_message.py checks the headers kept as given), so
content hashes do not change either.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import random
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from functools import cache, lru_cache
from typing import Any

from batchmail.errors import InvalidAddress, InvalidInput

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")  # what str.splitlines() breaks at
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f]")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


@dataclass(frozen=True, kw_only=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = ""  # guessed from the file name when empty


@dataclass(frozen=True, kw_only=True, slots=True)
class OutgoingMessage:
    sender: str  # the address in From and in MAIL FROM
    sender_name: str = ""
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()  # envelope only, never a header
    reply_to: str = ""
    subject: str
    text_body: str
    html_body: str = ""
    attachments: tuple[Attachment, ...] = ()
    read_receipt: bool = False  # Disposition-Notification-To
    delivery_receipt: bool = False  # Return-Receipt-To, and DSN NOTIFY=SUCCESS,FAILURE where the server offers DSN
    high_priority: bool = False  # X-Priority: 1 and Importance: high
    message_id: str = ""  # made from the sender's domain when left empty

    def __post_init__(self) -> None:
        if not self.message_id:
            domain = self.sender.rpartition("@")[2] or "batchmail.invalid"
            object.__setattr__(self, "message_id", make_message_id(domain))


def make_message_id(domain: str) -> str:
    """A new, globally unique Message-ID such as ``<171234.5678.123@example.fr>``."""
    return make_msgid(domain=_ascii_domain(domain.strip() or "batchmail.invalid"))


def envelope_recipients(message: OutgoingMessage) -> list[str]:
    """Every address the message is delivered to (To, Cc and Bcc), each once, in that order."""
    seen: set[str] = set()
    result: list[str] = []
    for address in (*message.to, *message.cc, *message.bcc):
        key = address.strip().lower()
        if key and key not in seen:
            seen.add(key)
            result.append(address.strip())
    return result


def to_mime(message: OutgoingMessage, *, date: datetime | None = None) -> bytes:
    """The message as the bytes handed to a transport (CRLF line ends, no SMTPUTF8 needed).

    Raises InvalidAddress when an address cannot be written safely, InvalidInput for a malformed Message-ID.
    """
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _from_header(message.sender, message.sender_name)
    if message.to:
        msg["To"] = ", ".join(str(header_address(a)) for a in message.to)
    if message.cc:
        msg["Cc"] = ", ".join(str(header_address(a)) for a in message.cc)
    for address in message.bcc:
        header_address(address)  # refused here too, although it is never written
    if message.reply_to:
        msg["Reply-To"] = str(header_address(message.reply_to))
    msg["Subject"] = _text_header("Subject", one_line(message.subject))
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    if not _MESSAGE_ID.fullmatch(message.message_id):
        raise InvalidInput(f"Message-ID {message.message_id!r} is not of the form <left@right>")
    msg["Message-ID"] = message.message_id
    if message.read_receipt:
        msg["Disposition-Notification-To"] = header_address(message.sender).addr_spec
    if message.delivery_receipt:
        msg["Return-Receipt-To"] = header_address(message.sender).addr_spec
    if message.high_priority:
        msg["X-Priority"] = "1"
        msg["Importance"] = "high"
    msg.set_content(message.text_body, cte="quoted-printable")
    if message.html_body:
        msg.make_alternative(boundary=_boundary())
        msg.add_alternative(message.html_body, subtype="html", cte="quoted-printable")
    if message.attachments:
        msg.make_mixed(boundary=_boundary())
    for attachment in message.attachments:
        mime_type = attachment.mime_type or mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
        maintype, _, subtype = mime_type.partition("/")
        msg.add_attachment(
            attachment.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=_safe_filename(attachment.filename),
        )
    return msg.as_bytes()


class _MimePolicy(EmailPolicy):
    """The SMTP policy, keeping as given the header values its parse-and-refold would leave unchanged.

    Only for `to_mime`, which writes well-formed values alone (addresses formatted by `Address`, dates by
    `format_datetime`, parameters by the email package): such a value, printable ASCII and holding nothing like an
    encoded word, is stored and read as the plain string, and written as it is (refolded by the generator if too
    long); any other value becomes the default policy's header object (encoded words, folding, CR/LF refused).
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if _plain(value) or isinstance(value, _Encoded):
            return (name, value)
        result: tuple[str, Any] = super().header_store_parse(name, value)
        return result

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        return value if _plain(value) or isinstance(value, _Encoded) else super().header_fetch_parse(name, value)

    def fold(self, name: str, value: str) -> str:
        if isinstance(value, _Encoded):
            return f"{name}: {value}{self.linesep}"  # refolding would parse it again, and decode it
        result: str = super().fold(name, value)
        return result

    def fold_binary(self, name: str, value: str) -> bytes:
        if isinstance(value, _Encoded):
            return self.fold(name, value).encode("ascii")
        result: bytes = super().fold_binary(name, value)
        return result

    def header_max_count(self, name: str) -> int | None:
        return _max_count(name.lower())  # the default builds a header class at each call


class _Encoded(str):
    """A header value encoded here (RFC 2047): stored and written as it is, never parsed, which would decode it."""

    __slots__ = ()


def _text_header(name: str, text: str) -> str:
    """`text` (one line) as the value of header `name`: as it is, unless it holds "=?", which a parser reads as the
    start of an encoded word: then encoded whole, so that what the recipient decodes is the text as written."""
    if "=?" not in text:
        return text
    return _Encoded(Header(text, "utf-8", header_name=name).encode(linesep="\r\n"))  # folded within the limit


def _from_header(sender: str, display_name: str) -> str:
    address = header_address(sender, display_name)
    if "=?" not in address.display_name:
        return str(address)
    # One encoded word, however long: a parser would put a space between two in a display name.
    encoded = base64.b64encode(address.display_name.encode()).decode("ascii")
    return _Encoded(f"=?utf-8?b?{encoded}?=\r\n <{address.addr_spec}>")


def _plain(value: Any) -> bool:
    return type(value) is str and "=?" not in value and _PRINTABLE_ASCII.fullmatch(value) is not None


_POLICY = _MimePolicy(linesep="\r\n")


@cache
def _max_count(name: str) -> int | None:
    count: int | None = policy.SMTP.header_max_count(name)
    return count


def _boundary() -> str:
    """A multipart boundary in the email package's own form, set before writing so the generator need not search
    the parts for it (a regular expression compiled per boundary): every part is quoted-printable or base64, and
    neither can hold "==" after "--"."""
    return f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="


def content_hash(message: OutgoingMessage) -> str:
    """sha256 of what the recipient gets, without the Message-ID or the date: equal for an identical re-send."""
    digest = hashlib.sha256()

    def feed(value: str | bytes) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    feed(message.sender.strip().lower())
    feed(one_line(message.sender_name))
    for group in (message.to, message.cc, message.bcc):
        feed(str(len(group)))
        for address in group:
            feed(address.strip().lower())
    feed(message.reply_to.strip().lower())
    feed(one_line(message.subject))
    feed(message.text_body)
    feed(message.html_body)
    feed(str(len(message.attachments)))
    for attachment in message.attachments:
        feed(attachment.filename)
        feed(attachment.mime_type)
        feed(attachment.content)
    return digest.hexdigest()


def one_line(text: str) -> str:
    """The text with every line break (and other control character) turned into a space."""
    return _CONTROL.sub(" ", _LINE_BREAKS.sub(" ", text)).strip()


@lru_cache(maxsize=1024)  # the sender and the archive BCC come back in every mail of a batch
def header_address(addr_spec: str, display_name: str = "") -> Address:
    """The address as a header writes it, its domain in ASCII (IDNA); InvalidAddress for one it cannot write."""
    if _LINE_BREAKS.search(addr_spec):
        raise InvalidAddress(addr_spec, "an email address cannot contain a line break")
    local, at, domain = addr_spec.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(addr_spec, "expected name@domain")
    try:
        return Address(display_name=one_line(display_name), addr_spec=f"{local}@{_ascii_domain(domain)}")
    except (ValueError, IndexError, HeaderParseError) as err:
        raise InvalidAddress(addr_spec, str(err)) from err


def _ascii_domain(domain: str) -> str:
    """The domain in its ASCII (IDNA) form, so no header needs SMTPUTF8."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise InvalidAddress(domain, "not a valid domain name") from err


def _safe_filename(filename: str) -> str:
    name = one_line(filename).replace("/", "_").replace("\\", "_").replace("=?", "=_")  # no encoded word either
    return name or "attachment"
