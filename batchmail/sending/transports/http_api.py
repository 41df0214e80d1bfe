"""What the transports that post to a provider's HTTP API (Gmail, Brevo) share: where they may post, knowing whether
the request body went out before a failure, and who is blind-copied.

A request that fails before its body was completely written cannot have been acted upon: a temporary failure. One
that fails after (the connection dropped, or no answer in time) may have been: the delivery is uncertain. httpcore
reports each phase of a request through its ``trace`` extension, which tells the two apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from batchmail.domain.addresses import is_loopback
from batchmail.errors import (
    AuthenticationFailed,
    ConfigurationError,
    DeliveryUncertain,
    SendFailure,
    TemporaryFailure,
)
from batchmail.sending.transports.smtp import _find_tls_error

_BODY_SENT = "send_request_body.complete"


def api_url(url: str, *, what: str) -> str:
    """`url` without a trailing slash, refused unless it is https or plain http to this computer (tests).

    `what` names it in the error, e.g. "account 'office': the token endpoint"."""
    parts = urlsplit(url.strip())
    where = f"{what} {url!r}"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"{where} is not an http(s) address")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(f"{where} would carry the credentials unencrypted: use https")
    return url.strip().rstrip("/")


async def tracked_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    transport: str,
    recipients: list[str],
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; a failure comes classified by whether the body had gone out (see the module docstring)."""
    body_sent = False

    async def trace(event: str, _info: Mapping[str, Any]) -> None:
        nonlocal body_sent
        if event.endswith(_BODY_SENT):
            body_sent = True

    try:
        return await client.request(method, url, extensions={"trace": trace}, **kwargs)
    except httpx.TransportError as err:
        raise network_failure(err, transport=transport, recipients=recipients, body_sent=body_sent) from err


def network_failure(
    err: httpx.TransportError, *, transport: str, recipients: list[str], body_sent: bool
) -> SendFailure:
    who = ", ".join(recipients)
    server = err.request.url.host if _has_request(err) else "the server"
    tls_error = _find_tls_error(err)
    if tls_error is not None:
        return AuthenticationFailed(
            f"secure connection to {server} failed: {tls_error}", transport=transport, recipient=who
        )
    what = "no reply came in time" if isinstance(err, httpx.TimeoutException) else f"the connection failed ({err!r})"
    if body_sent:
        return DeliveryUncertain(
            f"{what} after the message was handed to {server}: it may or may not have been sent",
            transport=transport,
            recipient=who,
        )
    return TemporaryFailure(f"{what} before the message reached {server}", transport=transport, recipient=who)


def _has_request(err: httpx.TransportError) -> bool:
    try:
        err.request  # noqa: B018 - raises RuntimeError when the error carries no request
    except RuntimeError:
        return False
    return True


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when it has none."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response, *, now: datetime | None = None) -> timedelta | None:
    """How long the server asked to wait before trying again (its Retry-After header, in seconds or as an HTTP
    date), or None when it did not say."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        until = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if until.tzinfo is None:
        return None
    return max(until - (now or datetime.now(UTC)), timedelta(0))


def provider_failure(
    kind: type[SendFailure],
    reason: str,
    *,
    transport: str,
    recipients: list[str],
    response: httpx.Response,
    said: str,
) -> SendFailure:
    """The failure an API's answer means: its status, its own words, and the delay it asked for when a retry may
    help."""
    delay = retry_after(response) if issubclass(kind, TemporaryFailure) else None
    return kind(
        reason + waiting(delay),
        transport=transport,
        recipient=", ".join(recipients),
        code=response.status_code,
        server_text=said,
        retry_after=delay,
    )


def waiting(delay: timedelta | None) -> str:
    """ " (the server asks to wait N s)" for a reason, or "" without a delay."""
    return f" (the server asks to wait {delay.total_seconds():.0f} s)" if delay is not None else ""


def headers_of(mime: bytes) -> Message:
    return BytesHeaderParser().parsebytes(mime)


def blind_recipients(headers: Message, recipients: list[str]) -> list[str]:
    """The envelope recipients that To and Cc do not name: the message's Bcc, which ``to_mime`` never writes."""
    named = {address.lower() for _, address in getaddresses([*headers.get_all("To", []), *headers.get_all("Cc", [])])}
    return [r for r in recipients if r.strip().lower() not in named]
