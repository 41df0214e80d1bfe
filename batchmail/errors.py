"""One error tree for BatchMail, rooted at `BatchMailError`: everything the project raises on purpose derives from it.

Sending failures are kinds (temporary, permanent, uncertain, authentication) so the dispatcher can decide what
to retry; each carries the transport, the recipient, the server's code and own words, and the delay the server
asked for before a retry. Input errors name where the bad value was (the file, line and field of an import).
`ConfigurationError` stays outside the send kinds so that no retry loop swallows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

_ROWS_SHOWN = 50  # bad rows an import error lists; the others are counted


class BatchMailError(Exception):
    """Root of every error BatchMail raises on purpose."""


class ConfigurationError(BatchMailError):
    """The settings or an account are wrong: the user must fix them before anything can go on."""


class StoreError(BatchMailError):
    """A data file cannot be used. The file is left exactly as it was."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreLocked(StoreError):
    """Another BatchMail process already owns the data directory."""


class NotFound(BatchMailError, LookupError):
    """A piece, contact or account that does not exist was asked for."""


class InvalidInput(BatchMailError, ValueError):
    """A value given by the user is not usable; the message says where and what is expected."""


class InvalidAddress(InvalidInput):
    """An email address that cannot receive mail, and the field it was given in."""

    def __init__(self, address: str, reason: str, *, field: str = "") -> None:
        self.address = address
        self.reason = reason
        self.field = field
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{address!r} is not a valid email address ({reason})")


class SandboxProblem(InvalidInput):
    """What the sandbox of message templates refuses in a subject or body: an unknown keyword, a syntax error, a
    construct it does not allow; `line` is in that field, from 1 (None when Jinja2 does not say)."""

    def __init__(self, line: int | None, message: str, kind: str = "syntax", keyword: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.kind = kind  # a `ProblemKind` value (batchmail.sending.template_sandbox)
        self.keyword = keyword  # the unknown keyword, without its %, "" for the other kinds


class ImportRowError(InvalidInput):
    """One row of an imported file is wrong: where (file, line, field) and why."""

    def __init__(self, line: int, reason: str, *, field: str = "", file: str = "") -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        where = f"line {line}" + (f", {field}" if field else "")
        super().__init__(f"{where}: {reason}")


class ImportFailed(InvalidInput):
    """A CSV file was refused as a whole; nothing was imported. Holds every bad row."""

    def __init__(self, path: object, errors: list[ImportRowError]) -> None:
        self.path = path
        self.errors = errors
        shown = "\n".join(f"  {err}" for err in errors[:_ROWS_SHOWN])
        more = f"\n  ... and {len(errors) - _ROWS_SHOWN} more" if len(errors) > _ROWS_SHOWN else ""
        super().__init__(f"{path}: {len(errors)} bad row(s), nothing imported:\n{shown}{more}")


class DailyLimitReached(BatchMailError):
    """An account's budget of messages for 24 hours is spent: the rest waits until `until`."""

    def __init__(self, per_day: int, until: datetime) -> None:
        super().__init__(f"the daily limit of {per_day} messages is reached until {until:%Y-%m-%d %H:%M}")
        self.per_day = per_day
        self.until = until


class SendFailure(BatchMailError):
    """A message could not be handed over. Carries what a user needs to understand why.

    `reason` says what happened in our words (it may quote the server); `server_text` is the server's own answer
    as it gave it, `code` its SMTP or HTTP status, `retry_after` the delay it asked for before trying again."""

    def __init__(
        self,
        reason: str,
        *,
        transport: str = "",
        recipient: str = "",
        code: int | None = None,
        server_text: str = "",
        retry_after: timedelta | None = None,
    ) -> None:
        self.reason = reason
        self.transport = transport
        self.recipient = recipient
        self.code = code
        self.server_text = server_text
        self.retry_after = retry_after
        super().__init__(reason)

    def __str__(self) -> str:
        parts = [self.transport] if self.transport else []
        if self.recipient:
            parts.append(self.recipient)
        where = f"[{' '.join(parts)}] " if parts else ""
        code = f"{self.code} " if self.code is not None else ""
        return f"{where}{code}{self.reason}"


class TemporaryFailure(SendFailure):
    """4xx reply, timeout, or connection lost before the data was sent: retry later."""


class PermanentFailure(SendFailure):
    """5xx reply or refused recipient: retrying will not help."""


class UnsupportedFeature(PermanentFailure):
    """The message holds something the way out cannot carry (several HTML bodies through Brevo...): it is refused
    by name, never sent without it."""


class DeliveryUncertain(SendFailure):
    """The connection broke after the message data was sent: it may have left. Never resent by itself."""


class AuthenticationFailed(SendFailure):
    """The server refused the credentials or the TLS handshake: the batch stops until the account is fixed."""
