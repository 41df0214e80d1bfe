"""Sending through Brevo's transactional API (POST /v3/smtp/email), and polling what became of the messages.

Brevo takes a structured message, not MIME: `brevo_payload` reads it back from the MIME ``to_mime`` made, and
refuses (UnsupportedFeature, a permanent failure, naming it) what Brevo cannot carry.

Every request carries an ``idempotencyKey`` made from the message's Message-ID, so a retry after an uncertain
failure is not sent twice as long as Brevo remembers the key (15 to 30 minutes, per its documentation).

A laptop cannot receive Brevo's webhooks: `poll_events` reads the events endpoint instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from batchmail.errors import (
    AuthenticationFailed,
    ConfigurationError,
    PermanentFailure,
    SendFailure,
    TemporaryFailure,
    UnsupportedFeature,
)
from batchmail.sending.accounts import Account
from batchmail.sending.delivery_events import DeliveryEvent, DeliveryEventKind, provider_reply
from batchmail.sending.transports.base import SendResult, Transport, TransportSession
from batchmail.sending.transports.brevo_payload import brevo_payload
from batchmail.sending.transports.http_api import api_url, json_body, provider_failure, tracked_request

BREVO_API = "https://api.brevo.com/v3"
SEND_PATH = "/smtp/email"
EVENTS_PATH = "/smtp/statistics/events"
EVENTS_PAGE = 2500  # the endpoint's default page size
EVENTS_MAX_DAYS = 90  # the widest date range it accepts

# Brevo's event names (GET /smtp/statistics/events) -> ours.
EVENT_KINDS: dict[str, DeliveryEventKind] = {
    "requests": DeliveryEventKind.accepted,
    "deferred": DeliveryEventKind.deferred,
    "delivered": DeliveryEventKind.delivered,
    "opened": DeliveryEventKind.opened,
    "loadedByProxy": DeliveryEventKind.opened_by_proxy,
    "clicks": DeliveryEventKind.clicked,
    "softBounces": DeliveryEventKind.soft_bounce,
    "hardBounces": DeliveryEventKind.hard_bounce,
    "bounces": DeliveryEventKind.bounced,
    "invalid": DeliveryEventKind.invalid,
    "blocked": DeliveryEventKind.blocked,
    "spam": DeliveryEventKind.spam,
    "unsubscribed": DeliveryEventKind.unsubscribed,
    "error": DeliveryEventKind.error,
}


class BrevoTransport(Transport):
    def __init__(self, account: Account, api_key: str | None, *, tags: Sequence[str] = ("batchmail",)) -> None:
        if not api_key:
            raise ConfigurationError(f"account {account.name!r}: no Brevo API key is stored")
        self.account = account
        self.name = account.name
        self.tags = list(tags)
        self.base_url = api_url(account.api_base_url or BREVO_API, what=f"account {account.name!r}: the Brevo API")
        self._api_key = api_key

    @asynccontextmanager
    async def session(self) -> AsyncIterator[TransportSession]:
        async with self._client() as client:
            yield _BrevoSession(self, client)

    def _client(self) -> httpx.AsyncClient:
        headers = {"api-key": self._api_key, "Accept": "application/json"}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=self.account.timeout_seconds)

    async def check(self) -> str:
        """GET /account: proves the key works, sending nothing."""
        async with self._client() as client:
            response = await tracked_request(client, "GET", "/account", transport=self.name, recipients=[])
        body = json_body(response)
        if response.status_code != httpx.codes.OK:
            raise self.failure(response, body, [])
        plan = body.get("plan")
        plans = ", ".join(
            f"{p.get('type', '?')} ({p.get('credits', '?')} credits)"
            for p in (plan if isinstance(plan, list) else [])
            if isinstance(p, dict)
        )
        who = body.get("companyName") or body.get("email") or "?"
        return f"Brevo accepted the API key of {who}" + (f"; plan: {plans}" if plans else "")

    async def poll_events(self, since: date, until: date) -> list[DeliveryEvent]:
        """Every event Brevo recorded from `since` to `until`, oldest first, at most 90 days."""
        since = max(since, until - timedelta(days=EVENTS_MAX_DAYS - 1))
        events: list[DeliveryEvent] = []
        async with self._client() as client:
            for offset in range(0, 10**9, EVENTS_PAGE):
                params: dict[str, str | int] = {
                    "startDate": since.isoformat(),
                    "endDate": until.isoformat(),
                    "limit": EVENTS_PAGE,
                    "offset": offset,
                    "sort": "asc",
                }
                response = await tracked_request(
                    client, "GET", EVENTS_PATH, transport=self.name, recipients=[], params=params
                )
                body = json_body(response)
                if response.status_code != httpx.codes.OK:
                    raise self.failure(response, body, [])
                page = [e for e in body.get("events", []) if isinstance(e, dict)]
                events.extend(map(delivery_event, page))
                if len(page) < EVENTS_PAGE:
                    break
        return events

    def failure(self, response: httpx.Response, body: dict[str, Any], recipients: list[str]) -> SendFailure:
        status = response.status_code
        said = str(body.get("message") or response.reason_phrase)
        text = f"Brevo: {said} ({body.get('code', status)})"
        kind: type[SendFailure]
        if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            kind, text = AuthenticationFailed, f"{text}: check the account's API key"
        elif status == httpx.codes.PAYMENT_REQUIRED:  # out of credits: no other message would go either
            kind, text = AuthenticationFailed, f"{text}: the Brevo account has no sending credits left"
        elif status == httpx.codes.TOO_MANY_REQUESTS or httpx.codes.is_server_error(status):
            kind = TemporaryFailure
        elif httpx.codes.is_client_error(status):
            kind = PermanentFailure
        else:
            kind = TemporaryFailure
        return provider_failure(kind, text, transport=self.name, recipients=recipients, response=response, said=said)


class _BrevoSession(TransportSession):
    def __init__(self, transport: BrevoTransport, client: httpx.AsyncClient) -> None:
        self._t = transport
        self._client = client

    async def send(self, mime: bytes, *, sender: str, recipients: list[str], dsn: bool = False) -> SendResult:
        t = self._t
        if not recipients:
            raise PermanentFailure("the message has no recipient", transport=t.name)
        try:
            payload = await asyncio.to_thread(brevo_payload, mime, recipients, tags=t.tags)
        except UnsupportedFeature as err:
            raise UnsupportedFeature(err.reason, transport=t.name, recipient=", ".join(recipients)) from err
        response = await tracked_request(
            self._client,
            "POST",
            SEND_PATH,
            transport=t.name,
            recipients=recipients,
            content=payload,
            headers={"Content-Type": "application/json"},
        )
        body = json_body(response)
        if response.status_code not in (httpx.codes.OK, httpx.codes.CREATED, httpx.codes.ACCEPTED):
            raise t.failure(response, body, recipients)
        return SendResult(
            accepted=list(recipients),
            refused={},
            server_reply=provider_reply(response.status_code, "Brevo", str(body.get("messageId", ""))),
        )


def delivery_event(doc: dict[str, Any]) -> DeliveryEvent:
    """One entry of the events endpoint's "events" list, in our words."""
    name = str(doc.get("event", ""))
    kind = EVENT_KINDS.get(name, DeliveryEventKind.other)
    reason = str(doc.get("reason") or "") or (name if kind is DeliveryEventKind.other else "")
    return DeliveryEvent(
        kind=kind,
        recipient=str(doc.get("email", "")),
        at=datetime.fromisoformat(str(doc["date"])),
        provider_message_id=str(doc.get("messageId", "")),
        reason=reason,
    )
