"""One error tree for BatchMail.

Sending failures are kinds (temporary, permanent, uncertain, authentication) so the dispatcher can decide what
to retry; input errors name where the bad value was; `ConfigurationError` stays outside the send kinds so that
no retry loop swallows it.
"""

from __future__ import annotations


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
    """An email address that cannot receive mail."""


class ImportRowError(InvalidInput):
    """One row of an imported CSV file is wrong."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class ImportFailed(InvalidInput):
    """A CSV file was refused as a whole; nothing was imported. Holds every bad row."""

    def __init__(self, path: object, errors: list[ImportRowError]) -> None:
        self.path = path
        self.errors = errors
        shown = "\n".join(f"  {err}" for err in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{path}: {len(errors)} bad row(s), nothing imported:\n{shown}{more}")


class SendFailure(BatchMailError):
    """A message could not be handed over. Carries what a user needs to understand why."""

    def __init__(
        self,
        reason: str,
        *,
        transport: str = "",
        recipient: str = "",
        code: int | None = None,
    ) -> None:
        self.reason = reason
        self.transport = transport
        self.recipient = recipient
        self.code = code
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


class DeliveryUncertain(SendFailure):
    """The connection broke after the message data was sent: it may have left. Never resent by itself."""


class AuthenticationFailed(SendFailure):
    """The server refused the credentials or the TLS handshake: the batch stops until the account is fixed."""
