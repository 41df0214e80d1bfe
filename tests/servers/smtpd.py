"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 at a free port, in its own thread.

STARTTLS (or implicit TLS) with a certificate from a throw-away trustme CA whose PEM file the tests give to the
account as its ``ca_file``; AUTH PLAIN/LOGIN against one user and password, offered only over TLS; every message
received is kept. Failures are injected through ``server.faults``, which tests may change while the server runs:
refuse given recipients with a given code, answer 421 and close once a connection carried N messages, drop the
connection right after receiving a message's data, or stall before answering the data.

    with smtp_server() as server:
        account = server.account()
        ...
        assert server.messages[0].message["Subject"] == "..."
"""

from __future__ import annotations

import asyncio
import email
import ssl
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from batchmail.sending.accounts import Account, AccountKind, SmtpSecurity

TlsMode = Literal["starttls", "implicit", "none"]
HOST = "127.0.0.1"
_DSN_PARAMS = ("RET", "ENVID", "NOTIFY", "ORCPT")
_SECURITY = {"starttls": SmtpSecurity.starttls, "implicit": SmtpSecurity.tls, "none": SmtpSecurity.none}


@dataclass(kw_only=True, slots=True)
class ReceivedMessage:
    mail_from: str
    recipients: list[str]
    data: bytes  # the message as received, CRLF line ends, dot-stuffing undone
    mail_options: list[str]
    rcpt_options: list[str]
    peer: Any  # the client's (host, port): one value per connection
    _parsed: EmailMessage | None = None

    @property
    def message(self) -> EmailMessage:
        """The message parsed, on first use: a provider stores what it receives and parses it later, so parsing
        at receipt would make the server spend on every mail (~2 ms) CPU time the benchmarks' senders need."""
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[assignment]
        assert self._parsed is not None
        return self._parsed


@dataclass(kw_only=True, slots=True)
class Faults:
    refuse: dict[str, int] = field(default_factory=dict)  # recipient (lower case) -> reply code for its RCPT
    close_after: int | None = None  # 421 to MAIL, then close, once a connection carried this many messages
    drop_after_data: bool = False  # close the connection after receiving the data, before replying
    stall_seconds: float = 0.0  # wait this long before replying to the data
    hang_up_after_reply: bool = False  # close the connection silently once the data was answered


class SmtpTestServer:
    def __init__(self, *, tls: TlsMode, username: str, password: str, dsn: bool, workdir: Path) -> None:
        self.tls = tls
        self.username = username
        self.password = password
        self.dsn = dsn  # advertise DSN and accept its MAIL/RCPT parameters
        self.faults = Faults()
        self.messages: list[ReceivedMessage] = []
        self.failed_logins = 0
        self.ca = trustme.CA()
        self.ca_pem = workdir / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(HOST, "localhost").configure_cert(context)
        handler = _Handler(self)
        options: dict[str, Any] = {"auth_require_tls": True, "authenticator": self._authenticate}
        if username:
            options["auth_required"] = True
        if tls == "starttls":
            options["tls_context"] = context
        elif tls == "implicit":
            options["ssl_context"] = context
            options["auth_require_tls"] = False  # aiosmtpd only counts STARTTLS as TLS; this link is TLS throughout
        self._controller = _Controller(handler, self, hostname=HOST, port=0, **options)
        self.host = HOST
        self.port = 0

    def account(self, **changes: Any) -> Account:
        """An account that reaches this server (any field can be overridden)."""
        values: dict[str, Any] = {
            "name": "test-smtp",
            "kind": AccountKind.smtp,
            "host": self.host,
            "port": self.port,
            "security": _SECURITY[self.tls],
            "username": self.username,
            "from_address": "billing@example.test",
            "ca_file": str(self.ca_pem) if self.tls != "none" else "",
            "timeout_seconds": 5.0,
        }
        values.update(changes)
        return Account(**values)

    @property
    def connections(self) -> int:
        """How many connections carried at least one message."""
        return len({m.peer for m in self.messages})

    def start(self) -> None:
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        self._controller.stop()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        # handled=False makes aiosmtpd answer 535 itself; otherwise a refused client waits for a reply forever.
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        )
        if not ok:
            self.failed_logins += 1
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(
    *, tls: TlsMode = "starttls", username: str = "sender@example.test", password: str = "s3cret", dsn: bool = False
) -> Iterator[SmtpTestServer]:
    """A running test server, stopped on exit; usable from sync and async tests alike."""
    with tempfile.TemporaryDirectory(prefix="smtpd-") as workdir:
        server = SmtpTestServer(
            tls=tls, username=username if tls != "none" else "", password=password, dsn=dsn, workdir=Path(workdir)
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


class _Controller(Controller):
    """A Controller that binds port 0 and learns the port it got, and that can speak DSN."""

    def __init__(self, handler: Any, owner: SmtpTestServer, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._owner = owner

    def _create_server(self) -> Any:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await super()._create_server()
        self.port = server.sockets[0].getsockname()[1]
        return server

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # Said of the implicit-TLS variant, where the whole connection is encrypted.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return (_DsnSMTP if self._owner.dsn else SMTP)(self.handler, **self.SMTP_kwargs)


class _DsnSMTP(SMTP):
    """aiosmtpd refuses parameters it does not know with 555; a DSN server must take RET, NOTIFY..."""

    def _getparams(self, params: Any) -> Any:
        result = super()._getparams(params)
        if result is not None:
            for name in _DSN_PARAMS:
                result.pop(name, None)
        return result


class _Handler:
    def __init__(self, owner: SmtpTestServer) -> None:
        self.owner = owner

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.owner.dsn:
            responses.insert(-1, "250-DSN")
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        limit = self.owner.faults.close_after
        if limit is not None and getattr(session, "carried", 0) >= limit:
            _close_after_reply(server)
            return "421 4.7.0 Too many messages on this connection, try again"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self.owner.faults.refuse.get(address.lower())
        if code is not None:
            return f"{code} 4.2.1 Mailbox busy, try later" if code < 500 else f"{code} 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        self.owner.messages.append(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                recipients=list(envelope.rcpt_tos),
                data=data,
                mail_options=list(envelope.mail_options),
                rcpt_options=list(envelope.rcpt_options),
                peer=session.peer,
            )
        )
        session.carried = getattr(session, "carried", 0) + 1  # type: ignore[attr-defined]
        faults = self.owner.faults
        if faults.drop_after_data and server.transport is not None:
            server.transport.close()
        if faults.stall_seconds:
            await asyncio.sleep(faults.stall_seconds)
        if faults.hang_up_after_reply:
            _close_after_reply(server)
        return f"250 2.0.0 OK queued as test-{len(self.owner.messages)}"


def _close_after_reply(server: SMTP) -> None:
    """Close the connection just after the reply being returned is written (close() flushes what push() wrote)."""
    transport = server.transport
    if transport is not None:
        asyncio.get_running_loop().call_soon(transport.close)
