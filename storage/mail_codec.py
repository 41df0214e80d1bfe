"""The mail records to plain JSON dicts and back, as storage/codec.py does the pieces: accounts, outbox entries,
send records."""

from __future__ import annotations

from datetime import datetime

from batchmail.sending.accounts import Account, AccountKind, GmailMode, SmtpSecurity
from batchmail.sending.delivery_events import DeliveryEvent, DeliveryEventKind
from batchmail.sending.history import SendRecord
from batchmail.sending.outbox import Attempt, OutboxEntry, OutboxState
from storage.codec import Doc, iso, optional_datetime

_OUTBOX_STATES = {member.value: member for member in OutboxState}
_ACCOUNT_KINDS = {member.value: member for member in AccountKind}
_SECURITIES = {member.value: member for member in SmtpSecurity}
_GMAIL_MODES = {member.value: member for member in GmailMode}
_EVENT_KINDS = {member.value: member for member in DeliveryEventKind}
_datetime = datetime.fromisoformat


_ACCOUNT_DEFAULTS = Account(name="", kind=AccountKind.smtp)


def encode_account(account: Account) -> Doc:
    return {
        "name": account.name,
        "kind": account.kind.value,
        "host": account.host,
        "port": account.port,
        "security": account.security.value,
        "username": account.username,
        "from_address": account.from_address,
        "ca_file": account.ca_file,
        "timeout_seconds": account.timeout_seconds,
        "per_minute": account.per_minute,
        "per_day": account.per_day,
        "max_message_bytes": account.max_message_bytes,
        "connections": account.connections,
        "api_base_url": account.api_base_url,
        "token_uri": account.token_uri,
        "auth_uri": account.auth_uri,
        "client_id": account.client_id,
        "gmail_mode": account.gmail_mode.value,
        "reconnect_needed": account.reconnect_needed,
    }


def decode_account(doc: Doc) -> Account:
    return Account(
        name=doc["name"],
        kind=_ACCOUNT_KINDS[doc["kind"]],
        host=doc["host"],
        port=doc["port"],
        security=_SECURITIES[doc["security"]],
        username=doc["username"],
        from_address=doc["from_address"],
        ca_file=doc["ca_file"],
        timeout_seconds=float(doc["timeout_seconds"]),
        # Pace and limits came after the first schema: older files take the defaults.
        per_minute=doc.get("per_minute"),
        per_day=doc.get("per_day"),
        max_message_bytes=doc.get("max_message_bytes", _ACCOUNT_DEFAULTS.max_message_bytes),
        connections=doc.get("connections", _ACCOUNT_DEFAULTS.connections),
        # So did the Gmail and Brevo settings.
        api_base_url=doc.get("api_base_url", ""),
        token_uri=doc.get("token_uri", ""),
        auth_uri=doc.get("auth_uri", ""),
        client_id=doc.get("client_id", ""),
        gmail_mode=_GMAIL_MODES[doc.get("gmail_mode", _ACCOUNT_DEFAULTS.gmail_mode.value)],
        reconnect_needed=doc.get("reconnect_needed", False),
    )


# Sending: outbox and history


def encode_outbox_entry(entry: OutboxEntry) -> Doc:
    return {
        "id": entry.id,
        "batch_id": entry.batch_id,
        "account": entry.account,
        "message_id": entry.message_id,
        "content_hash": entry.content_hash,
        "sender": entry.sender,
        "recipients": list(entry.recipients),
        "subject": entry.subject,
        "piece_ids": list(entry.piece_ids),
        "contact_id": entry.contact_id,
        "attachments": list(entry.attachments),
        "size": entry.size,
        "kind": entry.kind,
        "dsn": entry.dsn,
        "record_on_contact": entry.record_on_contact,
        "state": entry.state.value,
        "attempts": entry.attempts,
        "next_try": iso(entry.next_try),
        "last_error": entry.last_error,
        "last_code": entry.last_code,
        "last_answer": entry.last_answer,
        "server_reply": entry.server_reply,
        "created_at": entry.created_at.isoformat(),
        "sent_at": iso(entry.sent_at),
        "recorded": entry.recorded,
        "tries": [
            {"at": t.at.isoformat(), "state": t.state.value, "code": t.code, "answer": t.answer} for t in entry.tries
        ],
    }


def decode_outbox_entry(doc: Doc) -> OutboxEntry:
    return OutboxEntry(
        id=doc["id"],
        batch_id=doc["batch_id"],
        account=doc["account"],
        message_id=doc["message_id"],
        content_hash=doc["content_hash"],
        sender=doc["sender"],
        recipients=list(doc["recipients"]),
        subject=doc["subject"],
        piece_ids=list(doc["piece_ids"]),
        contact_id=doc["contact_id"],
        attachments=list(doc["attachments"]),
        size=doc["size"],
        # Older files have no kind, dsn, server_reply or recorded: their sent mails were recorded as they left.
        kind=doc.get("kind", "piece"),
        dsn=doc.get("dsn", False),
        record_on_contact=doc["record_on_contact"],
        state=_OUTBOX_STATES[doc["state"]],
        attempts=doc["attempts"],
        next_try=optional_datetime(doc["next_try"]),
        last_error=doc["last_error"],
        last_code=doc["last_code"],
        last_answer=doc.get("last_answer", ""),  # not kept before the server's words were a field of their own
        server_reply=doc.get("server_reply", ""),
        created_at=_datetime(doc["created_at"]),
        sent_at=optional_datetime(doc["sent_at"]),
        recorded=doc.get("recorded", True),
        # Older files keep no tries: only the counts and the last answer.
        tries=[
            Attempt(at=_datetime(t["at"]), state=_OUTBOX_STATES[t["state"]], code=t["code"], answer=t["answer"])
            for t in doc.get("tries", ())
        ],
    )


def encode_send_record(record: SendRecord) -> Doc:
    return {
        "id": record.id,
        "contact_id": record.contact_id,
        "piece_ids": list(record.piece_ids),
        "kind": record.kind,
        "message_id": record.message_id,
        "subject": record.subject,
        "recipients": list(record.recipients),
        "attachments": list(record.attachments),
        "account": record.account,
        "sent_at": record.sent_at.isoformat(),
        "provider_message_id": record.provider_message_id,
        "events": [
            {
                "kind": event.kind.value,
                "recipient": event.recipient,
                "at": event.at.isoformat(),
                "provider_message_id": event.provider_message_id,
                "reason": event.reason,
            }
            for event in record.events
        ],
    }


def decode_send_record(doc: Doc) -> SendRecord:
    return SendRecord(
        id=doc["id"],
        contact_id=doc["contact_id"],
        piece_ids=list(doc["piece_ids"]),
        kind=doc["kind"],
        message_id=doc["message_id"],
        subject=doc["subject"],
        recipients=list(doc["recipients"]),
        attachments=list(doc["attachments"]),
        account=doc["account"],
        sent_at=_datetime(doc["sent_at"]),
        # Delivery events came after the first schema: older files have none.
        provider_message_id=doc.get("provider_message_id", ""),
        events=[
            DeliveryEvent(
                kind=_EVENT_KINDS[event["kind"]],
                recipient=event["recipient"],
                at=_datetime(event["at"]),
                provider_message_id=event["provider_message_id"],
                reason=event["reason"],
            )
            for event in doc.get("events", ())
        ],
    )
