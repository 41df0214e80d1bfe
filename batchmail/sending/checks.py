"""What can keep a piece from being sent, as a dry run shows it: the warning codes, which of them block, and the
records of a warning and of a piece left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from batchmail.domain.addresses import address_problem
from batchmail.domain.contacts import Contact


class WarningCode(StrEnum):
    no_address = "no_address"  # blocking: the contact has no email address
    invalid_address = "invalid_address"  # blocking: the contact's address cannot receive mail
    not_by_email = "not_by_email"  # blocking: the contact receives its documents on paper, not by email
    draft = "draft"  # blocking: a draft is validated before it is sent
    cancelled = "cancelled"  # blocking: a cancelled piece is never sent
    template_error = "template_error"  # blocking: unknown keyword, syntax error or a construct the sandbox refuses
    recently_sent = "recently_sent"  # overridable: the piece was already sent within the resend window
    too_large = "too_large"  # overridable: the message is larger than the account accepts


BLOCKING = frozenset(
    {
        WarningCode.no_address,
        WarningCode.invalid_address,
        WarningCode.not_by_email,
        WarningCode.draft,
        WarningCode.cancelled,
        WarningCode.template_error,
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Warning:  # a record shown to the user, never raised (the builtin Warning is not used in this module)
    """Something a dry run shows about one piece, or about every piece of one mail."""

    code: WarningCode
    piece_ids: tuple[int, ...]
    piece_numbers: tuple[str, ...]
    contact: str  # the contact's name
    detail: str  # a sentence a user understands, in English; the UI translates from `code`
    sent_on: date | None = None  # recently_sent: when the piece was last sent
    overridden: bool = False  # overridable, accepted by the user: the mail goes all the same
    blocking: bool = field(init=False)  # follows from the code: no override lets such a piece go

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocking", self.code in BLOCKING)


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A piece that will not be sent, and why: `reason` is the detail of its first decisive warning."""

    piece_id: int
    number: str
    contact: str
    reason: str
    code: WarningCode
    warnings: tuple[Warning, ...] = ()


def address_problems(contact: Contact) -> list[tuple[WarningCode, str]]:
    if not contact.send_by_email:
        return [(WarningCode.not_by_email, "the contact does not receive documents by email")]
    if not contact.email:
        return [(WarningCode.no_address, "no email address for this contact")]
    problem = address_problem(contact.email)
    if problem:
        return [(WarningCode.invalid_address, f"invalid address {contact.email!r}: {problem}")]
    return []


def decisive(warnings: Sequence[Warning], overrides: frozenset[WarningCode]) -> bool:
    """Whether the warnings keep their piece or mail from going."""
    return any(w.blocking or w.code not in overrides for w in warnings)


def flagged(warnings: Sequence[Warning], overrides: frozenset[WarningCode]) -> list[Warning]:
    return [replace(w, overridden=not w.blocking and w.code in overrides) for w in warnings]
