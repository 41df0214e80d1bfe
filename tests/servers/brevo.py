"""Brevo, locally: the transactional email API as Brevo documents it (https://developers.brevo.com/reference).

- POST /v3/smtp/email: the `api-key` header checked (401 unauthorized), the payload checked as Brevo does (400
  missing_parameter / invalid_parameter: sender, to, subject, a body, attachment names and types, a UUID
  idempotencyKey when given); a request repeating an idempotency key seen before is not sent again and gets the first
  messageId back (Brevo's documentation says it is ignored; what it answers is not written). 201 {"messageId"},
  and a "requests" event per recipient.
- GET /v3/smtp/statistics/events: startDate/endDate (YYYY-MM-DD), limit/offset, sort; {"events": [...]}.
- GET /v3/account: who owns the key, and the plan's credits.

Tests add the later events with `add_event`; failures go in with `fail_next` (httpd.py).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from batchmail.sending.accounts import Account, AccountKind
from tests.servers.httpd import LocalHttpServer, Reply, Request

SEND_PATH = "/v3/smtp/email"
EVENTS_PATH = "/v3/smtp/statistics/events"
ACCOUNT_PATH = "/v3/account"
API_KEY = "xkeysib-test-0123456789abcdef"
# Brevo's reference, send-transac-email, "attachment": the extensions it accepts.
DOCUMENTED_EXTENSIONS = set(
    (  # noqa: SIM905 - as the reference prints it
        "xlsx, xls, ods, docx, docm, doc, csv, pdf, txt, gif, jpg, jpeg, png, tif, tiff, rtf, bmp, cgm, css, shtml, "
        "html, htm, zip, xml, ppt, pptx, tar, ez, ics, mobi, msg, pub, eps, odt, mp3, m4a, m4v, wma, ogg, flac, wav, "
        "aif, aifc, aiff, mp4, mov, avi, mkv, mpeg, mpg, wmv, pkpass, xlsm"
    ).split(", ")
)


@dataclass(kw_only=True, slots=True)
class AcceptedEmail:
    message_id: str
    payload: dict[str, Any]


class BrevoServer(LocalHttpServer):
    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[AcceptedEmail] = []
        self.duplicates = 0  # requests not sent again because their idempotency key was known
        self.events: list[dict[str, Any]] = []
        self._by_key: dict[str, str] = {}

    def account(self, **changes: Any) -> Account:
        values: dict[str, Any] = {
            "name": "brevo-test",
            "kind": AccountKind.brevo,
            "from_address": "factures@atelier-martin.test",
            "api_base_url": self.url + "/v3",
            "timeout_seconds": 5.0,
        }
        values.update(changes)
        return Account(**values)

    def add_event(self, message_id: str, email: str, event: str, *, at: datetime, reason: str = "") -> None:
        entry = {"email": email, "date": at.isoformat(timespec="milliseconds"), "messageId": message_id, "event": event}
        if reason:
            entry["reason"] = reason
        with self.lock:
            self.events.append(entry)

    def route(self, request: Request) -> Reply:
        if request.headers.get("api-key") != API_KEY:
            return Reply(status=401, body={"code": "unauthorized", "message": "Key not found"})
        if request.path == SEND_PATH and request.method == "POST":
            return self._send(request.json())
        if request.path == EVENTS_PATH:
            return self._events(request.query)
        if request.path == ACCOUNT_PATH:
            return Reply(
                status=200,
                body={
                    "email": "owner@atelier-martin.test",
                    "companyName": "Atelier Martin",
                    "plan": [{"type": "free", "credits": 300, "creditsType": "sendLimit"}],
                },
            )
        return Reply(status=404, body={"code": "not_found", "message": "Invalid route"})

    def _send(self, payload: dict[str, Any]) -> Reply:
        problem = _invalid(payload)
        if problem:
            return Reply(status=400, body={"code": problem[0], "message": problem[1]})
        key = payload.get("headers", {}).get("idempotencyKey")
        with self.lock:
            known = self._by_key.get(key) if key else None
            if known:
                self.duplicates += 1
                return Reply(status=201, body={"messageId": known})
            message_id = f"<{datetime.now(UTC):%Y%m%d%H%M%S}.{len(self.accepted) + 1}@smtp-relay.mailin.fr>"
            if key:
                self._by_key[key] = message_id
            self.accepted.append(AcceptedEmail(message_id=message_id, payload=payload))
        for recipient in (*payload["to"], *payload.get("cc", []), *payload.get("bcc", [])):
            self.add_event(message_id, recipient["email"], "requests", at=datetime.now().astimezone())
        return Reply(status=201, body={"messageId": message_id})

    def _events(self, query: dict[str, str]) -> Reply:
        start, end = date.fromisoformat(query["startDate"]), date.fromisoformat(query["endDate"])
        limit, offset = int(query.get("limit", 2500)), int(query.get("offset", 0))
        with self.lock:
            chosen = [e for e in self.events if start <= datetime.fromisoformat(e["date"]).date() <= end]
        chosen.sort(key=lambda e: datetime.fromisoformat(e["date"]), reverse=query.get("sort", "desc") == "desc")
        return Reply(status=200, body={"events": chosen[offset : offset + limit]})


def _invalid(payload: dict[str, Any]) -> tuple[str, str] | None:
    """What Brevo would say of a payload it refuses, or None."""
    if not payload.get("sender", {}).get("email"):
        return "missing_parameter", "sender is missing"
    if not payload.get("to"):
        return "missing_parameter", "to is missing"
    if not payload.get("subject"):
        return "missing_parameter", "subject is missing"
    if not payload.get("htmlContent"):
        return "missing_parameter", "htmlContent is missing"
    for attachment in payload.get("attachment", []):
        extension = PurePath(attachment.get("name", "")).suffix.lstrip(".").lower()
        if extension not in DOCUMENTED_EXTENSIONS:
            return "invalid_parameter", f"Unsupported file extension {extension!r}"
        base64.b64decode(attachment["content"], validate=True)
    key = payload.get("headers", {}).get("idempotencyKey")
    try:
        if key is not None:
            uuid.UUID(key)
    except ValueError:
        return "invalid_parameter", "idempotencyKey must be a UUID"
    return None


@contextmanager
def brevo_server() -> Iterator[BrevoServer]:
    server = BrevoServer()
    with server.running():
        yield server
