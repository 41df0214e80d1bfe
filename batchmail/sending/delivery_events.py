"""What happened to a message after the provider took it: delivered, opened, bounced...

A laptop cannot receive a provider's webhooks, so these are polled (Brevo's events endpoint) and kept on the
history record of the message they concern, matched by the provider's message id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

_PROVIDER_ID = re.compile(r"\bmessage-id=(\S+)")


class DeliveryEventKind(StrEnum):
    accepted = "accepted"  # the provider took the message and will deliver it
    deferred = "deferred"  # the receiving server said "later"; the provider keeps trying
    delivered = "delivered"  # the receiving server accepted it
    opened = "opened"  # the recipient opened it (a tracking image loaded)
    opened_by_proxy = "opened_by_proxy"  # a mail proxy loaded it (Apple Mail privacy): not proof of reading
    clicked = "clicked"  # the recipient followed a link
    soft_bounce = "soft_bounce"  # refused for now (mailbox full, server down): may be delivered on a retry
    hard_bounce = "hard_bounce"  # refused for good (no such address)
    bounced = "bounced"  # refused, without saying whether for good
    invalid = "invalid"  # the address cannot receive mail
    blocked = "blocked"  # the provider did not send it (the address bounced or complained before)
    spam = "spam"  # the recipient reported it as spam
    unsubscribed = "unsubscribed"  # the recipient asked to receive no more
    error = "error"  # the provider failed to send it
    other = "other"  # an event this version does not know; `reason` holds the provider's name for it


FAILURES = frozenset(
    {
        DeliveryEventKind.soft_bounce,
        DeliveryEventKind.hard_bounce,
        DeliveryEventKind.bounced,
        DeliveryEventKind.invalid,
        DeliveryEventKind.blocked,
        DeliveryEventKind.spam,
        DeliveryEventKind.error,
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryEvent:
    kind: DeliveryEventKind
    recipient: str
    at: datetime
    provider_message_id: str  # the provider's id of the message, as its send call returned it
    reason: str = ""  # the provider's explanation (bounce reply...), if any


def provider_reply(status: int, provider: str, message_id: str) -> str:
    """The `SendResult.server_reply` of an API transport, carrying the provider's message id."""
    return f"{status} {provider} accepted the message, message-id={message_id}"


def provider_message_id(server_reply: str) -> str:
    """The provider's message id written by `provider_reply`, "" when the reply holds none (SMTP, mailbox)."""
    found = _PROVIDER_ID.search(server_reply)
    return found.group(1) if found else ""
