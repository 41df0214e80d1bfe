"""What was sent: one record per message that left, kept on the contact's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from batchmail.sending.delivery_events import DeliveryEvent


@dataclass(kw_only=True, slots=True)
class SendRecord:
    id: int = 0
    contact_id: int
    piece_ids: list[int] = field(default_factory=list)
    kind: str = "piece"  # what the mail was: piece, reminder, statement...
    message_id: str
    subject: str
    recipients: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # file names as the recipient saw them
    account: str
    sent_at: datetime
    provider_message_id: str = ""  # the provider's id of the message (Brevo, Gmail), which its events name
    events: list[DeliveryEvent] = field(default_factory=list)  # what became of it, as polled from the provider
