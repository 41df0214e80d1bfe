"""Sending through an SMTP server with aiosmtplib: STARTTLS or implicit TLS, AUTH, one connection per session.

The transaction is driven command by command (MAIL, RCPT, DATA, then the message data) instead of through
``SMTP.sendmail``, because the classification of a failure depends on the phase it happened in: a connection lost
before the message data went out is a temporary failure, one lost after it (or a final reply that never comes)
leaves the delivery uncertain.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiosmtplib import (
    SMTP,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPStatus,
    SMTPTimeoutError,
)
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from batchmail.domain.addresses import is_loopback
from batchmail.errors import (
    AuthenticationFailed,
    BatchMailError,
    ConfigurationError,
    DeliveryUncertain,
    PermanentFailure,
    SendFailure,
    TemporaryFailure,
)
from batchmail.sending.accounts import Account, SmtpSecurity
from batchmail.sending.transports.base import SendResult, Transport, TransportSession

PERMANENT_CODES = range(500, 600)  # SMTP replies that will not change on a retry
DEFAULT_PORTS = {SmtpSecurity.starttls: 587, SmtpSecurity.tls: 465, SmtpSecurity.none: 25}


def check_security(account: Account) -> None:
    """Refuse (ConfigurationError) an SMTP account without a server, or sending in clear text off this computer."""
    where = f"account {account.name!r}"
    if not account.host.strip():
        raise ConfigurationError(f"{where}: no SMTP server is set")
    if account.security is SmtpSecurity.none and not is_loopback(account.host):
        raise ConfigurationError(
            f"{where}: {account.host} would receive the password and the mail unencrypted; "
            "choose STARTTLS or TLS (plain SMTP is allowed only to this computer)"
        )


class SmtpTransport(Transport):
    def __init__(self, account: Account, password: str | None) -> None:
        check_security(account)
        where = f"account {account.name!r}"
        if account.username and password is None:
            raise ConfigurationError(f"{where}: no password is stored for {account.username}")
        if account.ca_file and not Path(account.ca_file).is_file():
            raise ConfigurationError(f"{where}: the certificate file {account.ca_file} does not exist")
        self.account = account
        self.name = account.name
        self.host = account.host.strip()
        self.port = account.port or DEFAULT_PORTS[account.security]
        self._password = password
        self._tls_context: ssl.SSLContext | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[TransportSession]:
        session = _SmtpSession(self)
        try:
            yield session
        finally:
            await session.close()

    @property
    def login_name(self) -> str:
        """Who this transport logs in as, "" for nobody."""
        return self.account.username

    async def check(self) -> str:
        """EHLO, STARTTLS or TLS, and AUTH, then QUIT: nothing is sent."""
        smtp = await self.connect()
        with contextlib.suppress(SMTPException, OSError):
            await smtp.quit(timeout=5)
        smtp.close()
        login = f", logged in as {self.login_name}" if self.login_name else " (no login)"
        return f"{self.host}:{self.port} ({self.account.security.value}) accepted the connection{login}"

    async def connect(self) -> SMTP:
        """A connected, secured and authenticated client; failures come classified."""
        security = self.account.security
        context = await self._context() if security is not SmtpSecurity.none else None
        smtp = SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=security is SmtpSecurity.tls,
            start_tls=security is SmtpSecurity.starttls,
            tls_context=context,
            timeout=self.account.timeout_seconds,
        )
        logging_in = False
        try:
            await smtp.connect()
            if self.account.username:
                logging_in = True
                await smtp.login(self.account.username, self._password or "")
        except (SMTPException, OSError) as err:
            smtp.close()
            raise self._connect_failure(err, logging_in=logging_in) from err
        return smtp

    async def _context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            self._tls_context = await asyncio.to_thread(self._load_context)
        return self._tls_context

    def _load_context(self) -> ssl.SSLContext:
        """The system trust store (which honours SSL_CERT_FILE), or only the account's own CA file."""
        try:
            return ssl.create_default_context(cafile=self.account.ca_file or None)
        except (OSError, ssl.SSLError) as err:
            raise ConfigurationError(
                f"account {self.name!r}: cannot read the certificate file {self.account.ca_file}: {err}"
            ) from err

    def _connect_failure(self, err: Exception, *, logging_in: bool) -> SendFailure:
        server = f"{self.host}:{self.port}"
        tls_error = _find_tls_error(err)
        if tls_error is not None:
            return self.failure(AuthenticationFailed, f"secure connection to {server} failed: {tls_error}")
        if isinstance(err, SMTPResponseException) and logging_in:  # 535 bad password, 530 TLS required...
            return self.failure(
                AuthenticationFailed,
                f"{server} refused the login of {self.account.username}: {err.message}",
                code=err.code,
                server_text=err.message,
            )
        if isinstance(err, SMTPResponseException):
            return self.by_code(err.code, f"{server} refused the connection: {err.message}", server_text=err.message)
        if isinstance(err, SMTPTimeoutError):
            return self.failure(TemporaryFailure, f"{server} did not answer within {self.account.timeout_seconds} s")
        if isinstance(err, OSError):  # SMTPConnectError and SMTPServerDisconnected included
            return self.failure(TemporaryFailure, f"cannot reach {server}: {err}")
        # What is left are refusals to secure or authenticate (no STARTTLS, no AUTH offered): never send anyway.
        return self.failure(AuthenticationFailed, f"{server}: {err}")

    def failure(
        self,
        kind: type[SendFailure],
        reason: str,
        *,
        code: int | None = None,
        recipients: list[str] | None = None,
        server_text: str = "",
    ) -> SendFailure:
        """A failure of this transport; `server_text` is the server's own reply, when it gave one."""
        recipient = ", ".join(recipients or [])
        return kind(reason, transport=self.name, recipient=recipient, code=code, server_text=server_text)

    def by_code(
        self, code: int, reason: str, recipients: list[str] | None = None, *, server_text: str = ""
    ) -> SendFailure:
        kind = PermanentFailure if code in PERMANENT_CODES else TemporaryFailure
        return self.failure(kind, reason, code=code, recipients=recipients, server_text=server_text)


class _StaleConnection(BatchMailError):  # a signal between two methods, never raised out of this module
    """The reused connection was found dropped before anything of the message was sent."""

    def __init__(self, reason: str, code: int | None = None, server_text: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.server_text = server_text


class _SmtpSession(TransportSession):
    def __init__(self, transport: SmtpTransport) -> None:
        self._transport = transport
        self._smtp: SMTP | None = None
        self._lock = asyncio.Lock()

    async def send(self, mime: bytes, *, sender: str, recipients: list[str], dsn: bool = False) -> SendResult:
        t = self._transport
        if not recipients:
            raise t.failure(PermanentFailure, "the message has no recipient")
        async with self._lock:
            reused = self._smtp is not None and self._smtp.is_connected
            try:
                return await self._attempt(mime, sender, recipients, dsn)
            except _StaleConnection as stale:
                self._drop()
                if not reused:
                    raise _lost(t, stale, recipients) from stale
            try:  # the server dropped the connection since the last message: a new one, once
                return await self._attempt(mime, sender, recipients, dsn)
            except _StaleConnection as stale:
                self._drop()
                raise _lost(t, stale, recipients) from stale

    async def _attempt(self, mime: bytes, sender: str, recipients: list[str], dsn: bool) -> SendResult:
        if self._smtp is None or not self._smtp.is_connected:
            self._smtp = None
            self._smtp = await self._transport.connect()
        try:
            return await _Transaction(self._transport, self._smtp, recipients).run(mime, sender, dsn)
        except asyncio.CancelledError:
            self._drop()  # the server may be mid-transaction: the connection cannot carry another message
            raise

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            with contextlib.suppress(SMTPException, OSError):
                await smtp.quit(timeout=5)
            smtp.close()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None


class _Transaction:
    """One MAIL/RCPT/DATA exchange, raising the failure kind that fits the phase it stopped in."""

    def __init__(self, transport: SmtpTransport, smtp: SMTP, recipients: list[str]) -> None:
        self.t = transport
        self.smtp = smtp
        self.recipients = recipients

    async def run(self, mime: bytes, sender: str, dsn: bool) -> SendResult:
        mail_options: list[str] = []
        rcpt_options: list[str] = []
        if self.smtp.supports_extension("size"):
            mail_options.append(f"SIZE={len(mime)}")
        if dsn and self.smtp.supports_extension("dsn"):
            mail_options.append("RET=HDRS")
            rcpt_options.append("NOTIFY=SUCCESS,FAILURE")
        await self._mail(sender, mail_options)
        accepted, refused = await self._rcpt(rcpt_options)
        reply = await self._data(mime)
        return SendResult(accepted=accepted, refused=refused, server_reply=f"{reply.code} {reply.message}")

    async def _mail(self, sender: str, options: list[str]) -> None:
        try:
            await self.smtp.mail(sender, options=options)
        except SMTPResponseException as err:
            if err.code == SMTPStatus.domain_unavailable:
                raise _StaleConnection(
                    f"the server closed the connection: {err.message}", err.code, err.message
                ) from err
            await self._reset()
            reason = f"the server refused the sender {sender}: {err.message}"
            raise self.t.by_code(err.code, reason, server_text=err.message) from err
        except SMTPServerDisconnected as err:
            raise _StaleConnection(f"the connection was lost before the message was sent: {err}") from err
        except SMTPTimeoutError as err:
            raise self._timeout_before_data() from err
        except ValueError as err:
            raise self.t.failure(PermanentFailure, f"sender {sender!r}: {err}") from err

    async def _rcpt(self, options: list[str]) -> tuple[list[str], dict[str, str]]:
        accepted: list[str] = []
        refused: dict[str, str] = {}
        codes: dict[str, int] = {}
        said: dict[str, str] = {}  # the server's own words for each refused recipient
        for recipient in self.recipients:
            try:
                await self.smtp.rcpt(recipient, options=options)
            except SMTPRecipientRefused as err:
                refused[recipient] = f"{err.code} {err.message}"
                codes[recipient], said[recipient] = err.code, err.message
            except SMTPServerDisconnected as err:
                raise self._lost_before_data(err) from err
            except SMTPTimeoutError as err:
                raise self._timeout_before_data() from err
            except ValueError as err:
                refused[recipient] = said[recipient] = str(err)
                codes[recipient] = 553
            else:
                accepted.append(recipient)
        if accepted:
            return accepted, refused
        await self._reset()
        details = "; ".join(f"{r}: {reply}" for r, reply in refused.items())
        temporary = [r for r, code in codes.items() if code not in PERMANENT_CODES]
        first = temporary[0] if temporary else next(iter(codes))
        kind = TemporaryFailure if temporary else PermanentFailure
        raise self.t.failure(
            kind,
            f"every recipient was refused ({details})",
            code=codes[first],
            recipients=self.recipients,
            server_text=said[first],
        )

    async def _data(self, mime: bytes) -> SMTPResponse:
        try:
            start = await self.smtp.execute_command(b"DATA")
        except SMTPServerDisconnected as err:
            raise self._lost_before_data(err) from err
        except SMTPTimeoutError as err:
            raise self._timeout_before_data() from err
        if start.code != SMTPStatus.start_input:
            await self._reset()
            reason = f"the server refused the message: {start.message}"
            raise self.t.by_code(start.code, reason, self.recipients, server_text=start.message)
        protocol = self.smtp.protocol
        payload = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(mime)) + b".\r\n"
        try:
            if protocol is None:
                raise SMTPServerDisconnected("Connection lost")
            protocol.write(payload)
        except SMTPServerDisconnected as err:
            self.smtp.close()
            raise self._lost_before_data(err) from err
        # From here on the message may have reached the server: a missing reply leaves its fate unknown.
        try:
            reply = await protocol.read_response(timeout=self.smtp.timeout)
        except (SMTPException, OSError) as err:
            self.smtp.close()
            what = "no reply came in time" if isinstance(err, SMTPTimeoutError) else "the connection was lost"
            raise self.t.failure(
                DeliveryUncertain,
                f"{what} after the message was sent: it may or may not have been delivered",
                recipients=self.recipients,
            ) from err
        if reply.code != SMTPStatus.completed:
            if reply.code == SMTPStatus.domain_unavailable:
                self.smtp.close()
            reason = f"the server refused the message: {reply.message}"
            raise self.t.by_code(reply.code, reason, self.recipients, server_text=reply.message)
        return reply

    def _lost_before_data(self, err: Exception) -> SendFailure:
        return self.t.failure(
            TemporaryFailure, f"the connection was lost before the message was sent: {err}", recipients=self.recipients
        )

    def _timeout_before_data(self) -> SendFailure:
        return self.t.failure(
            TemporaryFailure,
            f"the server did not answer within {self.smtp.timeout} s (the message was not sent)",
            recipients=self.recipients,
        )

    async def _reset(self) -> None:
        if self.smtp.is_connected:
            with contextlib.suppress(SMTPException, OSError):
                await self.smtp.rset()


def _lost(transport: SmtpTransport, stale: _StaleConnection, recipients: list[str]) -> SendFailure:
    return transport.failure(
        TemporaryFailure, stale.reason, code=stale.code, recipients=recipients, server_text=stale.server_text
    )


def _find_tls_error(err: BaseException) -> BaseException | None:
    """The ssl error behind a failure, if any: aiosmtplib wraps it in SMTPConnectError for implicit TLS."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
