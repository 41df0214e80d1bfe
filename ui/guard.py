"""The local server answers only its own window and the browser the user let in.

Every web page the user's browser opens can reach 127.0.0.1: without a guard, any of them could read an invoice
(`/pdf/piece/1`) or drive the app. So every HTTP request and every socket.io connection needs the session secret
generated at each start, carried by an HttpOnly, SameSite=Strict cookie. The browser gets the cookie by opening a
one-time link (`ENTRY_ROUTE?ticket=...`) that the app opens itself and prints on the console; the native window is
opened on such a link. A Host header that is not this server's (DNS rebinding) and an Origin that is not the page's
own are refused before anything else.

A plain ASGI middleware, so it wraps the pages, the PDF routes, NiceGUI's static files and socket.io alike.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from batchmail.domain.addresses import is_loopback

ENTRY_ROUTE = "/_batchmail/open"
COOKIE = "batchmail_session"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Refusal(NamedTuple):
    status: int
    french: str
    english: str


WRONG_HOST = Refusal(421, "Cette adresse n'est pas celle de BatchMail.", "This is not BatchMail's address.")
FOREIGN_ORIGIN = Refusal(
    403, "Une page étrangère ne peut pas piloter BatchMail.", "A foreign page cannot drive BatchMail."
)
NO_SESSION = Refusal(
    403,
    "Ouvrez BatchMail depuis sa fenêtre, ou par le lien affiché à son démarrage.",
    "Open BatchMail from its window, or through the link it printed when it started.",
)
USED_TICKET = Refusal(
    403,
    "Ce lien a déjà servi : utilisez celui affiché au démarrage, ou redémarrez BatchMail.",
    "This link was used already: use the one printed at start, or start BatchMail again.",
)

_REFUSED_PAGE = (
    "<!DOCTYPE html><html lang='fr'><meta charset='utf-8'><title>BatchMail</title>"
    "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
    "<h1>BatchMail</h1><p>{fr}</p><p lang='en'>{en}</p></body></html>"
)


class Keys:
    """The secrets of one start of the server: the session's, and the one-time entry tickets."""

    def __init__(self) -> None:
        self.session = secrets.token_urlsafe(32)
        self._tickets: set[str] = set()

    def ticket(self) -> str:
        """A new entry ticket, good for one use."""
        ticket = secrets.token_urlsafe(24)
        self._tickets.add(ticket)
        return ticket

    def redeem(self, ticket: str) -> bool:
        """Whether `ticket` was a valid one; it is not any more."""
        if ticket in self._tickets:
            self._tickets.discard(ticket)
            return True
        return False

    def entry_url(self, base: str) -> str:
        """The link that lets a browser in, once."""
        return f"{base}{ENTRY_ROUTE}?ticket={self.ticket()}"


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host headers this server answers: its loopback names and port, plus `host` itself when it was asked to
    listen elsewhere; None (any Host) when it listens on every address, where only the secret protects it."""
    names = set(LOOPBACK_NAMES)
    if host in ("0.0.0.0", "::", ""):
        return None
    if not is_loopback(host):
        names.add(f"[{host}]" if ":" in host else host)
    return frozenset(f"{name}:{port}" for name in names)


class Guard:
    """ASGI middleware: refuses what is not this app's own window or browser (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *, keys: Keys, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.keys = keys
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        host = headers.get("host", "")
        if self.hosts is not None and host not in self.hosts:
            await _refuse(scope, receive, send, WRONG_HOST)
            return
        origin = headers.get("origin")
        if origin is not None and origin != f"http://{host}":
            await _refuse(scope, receive, send, FOREIGN_ORIGIN)
            return
        if scope["type"] == "http" and scope["path"] == ENTRY_ROUTE:
            await self._enter(scope, receive, send, headers)
            return
        if not self._has_session(headers):
            await _refuse(scope, receive, send, NO_SESSION)
            return
        await self.app(scope, receive, send)

    def _has_session(self, headers: dict[str, str]) -> bool:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:
            return False
        morsel = cookie.get(COOKIE)
        return morsel is not None and hmac.compare_digest(morsel.value, self.keys.session)

    async def _enter(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        ticket = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket", [""])[0]
        if not self.keys.redeem(ticket) and not self._has_session(headers):
            await _refuse(scope, receive, send, USED_TICKET)
            return
        cookie = f"{COOKIE}={self.keys.session}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/"), (b"set-cookie", cookie.encode()), (b"cache-control", b"no-store")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    if scope["type"] == "websocket":
        await receive()  # the connect message
        await send({"type": "websocket.close", "code": 1008})  # policy violation
        return
    body = _REFUSED_PAGE.format(fr=refusal.french, en=refusal.english).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": body})
