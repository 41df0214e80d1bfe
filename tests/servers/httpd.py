"""A real HTTP/1.1 server for tests: http.server on 127.0.0.1 at a free port, in its own thread, keep-alive on.

Subclasses speak a provider's protocol in `route(request) -> Reply`; every request is recorded. Failures are
injected per path with `fail_next(path, *replies)`: the next requests to that path get those replies instead of
the real one: `DROP` closes the connection without a reply once the whole request body was read, `LOSE_REPLY`
does so after acting on the request (the reply lost on the way back).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

HOST = "127.0.0.1"


@dataclass(kw_only=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass(kw_only=True, slots=True)
class Reply:
    status: int
    body: Any = None  # sent as JSON unless None
    headers: dict[str, str] = field(default_factory=dict)


DROP = Reply(status=0)  # close the connection without answering
LOSE_REPLY = Reply(status=-1)  # act on the request, then close the connection without answering


class LocalHttpServer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._faults: dict[str, deque[Reply]] = {}
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the loop to look, 0.5 s by default.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def fail_next(self, path: str, *replies: Reply) -> None:
        with self.lock:
            self._faults.setdefault(path, deque()).extend(replies)

    def on(self, path: str) -> list[Request]:
        """The requests received on `path`, in order."""
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def answer(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            faults = self._faults.get(request.path)
            fault = faults.popleft() if faults else None
        if fault is LOSE_REPLY:
            self.route(request)
            return DROP
        return fault or self.route(request)

    @contextmanager
    def running(self) -> Iterator[LocalHttpServer]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def _handler_for(owner: LocalHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms wait for an ACK between

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = owner.answer(request)
            if reply is DROP:
                self.close_connection = True
                return
            payload = b"" if reply.body is None else orjson.dumps(reply.body)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
