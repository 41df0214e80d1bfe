"""Accounts through the command line and the service: add a Brevo account, test it, list it; test an SMTP account;
a Gmail account added through the browser flow, revoked, marked "reconnect needed", reconnected; Brevo's delivery
events polled onto the history. Every server is a local one."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from batchmail.cli import main
from batchmail.domain.selection import Criteria
from batchmail.errors import AuthenticationFailed
from batchmail.sending.accounts import Account, AccountKind
from batchmail.sending.delivery_events import DeliveryEventKind, provider_message_id
from batchmail.sending.history import SendRecord
from batchmail.sending.message import envelope_recipients, to_mime
from batchmail.sending.outbox import OutboxState
from batchmail.services.accounts import secret_key
from batchmail.wiring import open_app, wire
from storage import mail_codec
from storage.credentials import CredentialStore
from storage.stores import open_stores
from tests.sending.transports.test_brevo import invoice
from tests.sending.transports.test_smtp import outgoing
from tests.sendkit import fill, send
from tests.servers.brevo import API_KEY, BrevoServer, brevo_server
from tests.servers.google import AUTH_PATH, CLIENT_ID, CLIENT_SECRET, TOKEN_PATH, GoogleServer, google_server
from tests.servers.smtpd import smtp_server


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets go to the data directory's owner-only file, never to the keyring of the machine running the tests."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def brevo() -> Iterator[BrevoServer]:
    with brevo_server() as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(["--data-dir", str(data_dir), *args])
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def add_brevo(capsys: pytest.CaptureFixture[str], data_dir: Path, brevo: BrevoServer, key: str = API_KEY) -> None:
    code, out, err = run(
        capsys,
        data_dir,
        *("account", "add-brevo", "--name", "brevo", "--api-key-stdin", "--from", "factures@atelier-martin.fr"),
        *("--api-url", brevo.url + "/v3"),
        stdin=key + "\n",
    )
    assert code == 0, err
    assert "'brevo' added" in out


def test_a_brevo_account_is_added_tested_and_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], brevo: BrevoServer
) -> None:
    data_dir = tmp_path / "data"
    add_brevo(capsys, data_dir, brevo)
    code, out, err = run(capsys, data_dir, "account", "test", "brevo")
    assert code == 0, err
    assert out.strip() == "brevo: OK, Brevo accepted the API key of Atelier Martin; plan: free (300 credits)"
    assert brevo.accepted == [], "a test sends nothing"
    assert API_KEY not in (data_dir / "accounts.json").read_text(encoding="utf-8")

    code, out, _ = run(capsys, data_dir, "account", "list")
    assert code == 0
    assert out.splitlines() == [
        "  test-mailbox  mailbox  test mailbox (nothing leaves)",
        "* brevo  brevo  API, from factures@atelier-martin.fr",
    ]
    listed = json.loads(run(capsys, data_dir, "account", "list", "--json")[1])
    assert [(a["name"], a["kind"], a["default"]) for a in listed] == [
        ("test-mailbox", "mailbox", False),
        ("brevo", "brevo", True),
    ]


def test_a_wrong_brevo_key_fails_the_test_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], brevo: BrevoServer
) -> None:
    data_dir = tmp_path / "data"
    add_brevo(capsys, data_dir, brevo, key="xkeysib-revoked")
    code, out, err = run(capsys, data_dir, "account", "test")
    assert code == 1 and out == ""
    assert err.startswith("brevo: FAILED") and "Key not found" in err


def test_add_brevo_refuses_a_missing_sender_and_plain_http_to_a_remote_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    code, _, err = run(
        capsys,
        data_dir,
        *("account", "add-brevo", "--name", "b", "--api-key-stdin", "--from", "factures@x-conseil.fr"),
        *("--api-url", "http://api.brevo.example/v3"),
        stdin="key\n",
    )
    assert code == 2 and "unencrypted" in err
    assert json.loads(run(capsys, data_dir, "account", "list", "--json")[1])[1:] == []


def test_an_smtp_account_test_logs_in_and_a_wrong_password_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    with smtp_server(password="right") as server:
        for name, password in (("good", "right"), ("bad", "wrong")):
            code, _, err = run(
                capsys,
                data_dir,
                *("account", "add-smtp", "--name", name, "--host", server.host, "--port", str(server.port)),
                *("--security", "starttls", "--user", server.username, "--password-stdin"),
                *("--ca-file", str(server.ca_pem)),
                stdin=password + "\n",
            )
            assert code == 0, err
        code, out, _ = run(capsys, data_dir, "account", "test", "good")
        assert code == 0 and f"accepted the connection, logged in as {server.username}" in out
        code, _, err = run(capsys, data_dir, "account", "test", "bad")
        assert code == 1 and "refused the login" in err
        assert server.messages == []


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleServer]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the local token endpoint speaks plain http
    with google_server() as server:
        yield server


class Browser:
    """Plays the user's browser for the consent flow, in its own thread as a browser would be: opens the consent
    page and follows its redirect to the loopback redirect URI."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> None:
        thread = threading.Thread(target=lambda: self.pages.append(httpx.get(url, follow_redirects=True).text))
        self._threads.append(thread)
        thread.start()

    def closed(self) -> list[str]:
        for thread in self._threads:
            thread.join()
        return self.pages


async def test_a_gmail_account_revoked_is_marked_and_reconnected(tmp_path: Path, google: GoogleServer) -> None:
    services = await asyncio.to_thread(open_app, tmp_path / "data")
    browser = Browser()
    try:
        account = await services.accounts.add_gmail(
            name="gmail",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            open_browser=browser,
            auth_uri=google.url + AUTH_PATH,
            token_uri=google.url + TOKEN_PATH,
            api_base_url=google.url,
        )
        assert "close this window" in browser.closed()[0]
        assert (account.kind, account.from_address, account.username) == (AccountKind.gmail, google.email, google.email)
        stored = (tmp_path / "data" / "accounts.json").read_text(encoding="utf-8")
        secret = CredentialStore(tmp_path / "data").get(secret_key("gmail")) or ""
        assert CLIENT_SECRET in secret and CLIENT_SECRET not in stored
        assert not any(token in stored for token in google.refresh_tokens)

        check = await services.accounts.test("gmail")
        assert check.ok and google.email in check.detail

        google.revoke()
        transport = await services.accounts.transport(await services.accounts.get("gmail"))
        async with transport.session() as session:
            message = outgoing(1)
            with pytest.raises(AuthenticationFailed):
                await session.send(to_mime(message), sender=message.sender, recipients=envelope_recipients(message))
        marked = await services.accounts.get("gmail")
        assert marked.reconnect_needed
        check = await services.accounts.test("gmail")
        assert not check.ok and "account reconnect gmail" in check.detail
        grants = len(google.token_grants("refresh_token"))
        assert grants == 2, "a marked account does not ask Google again"

        fixed = await services.accounts.reconnect_gmail("gmail", open_browser=browser)
        assert len(browser.closed()) == 2
        assert not fixed.reconnect_needed and not (await services.accounts.get("gmail")).reconnect_needed
        transport = await services.accounts.transport(fixed)
        async with transport.session() as session:
            await session.send(to_mime(message), sender=message.sender, recipients=envelope_recipients(message))
        assert [m.message["Message-ID"] for m in google.sent] == [message.message_id]
    finally:
        await asyncio.to_thread(services.close)


async def test_brevo_events_are_kept_on_the_history_of_their_message(tmp_path: Path, brevo: BrevoServer) -> None:
    stores = await asyncio.to_thread(open_stores, tmp_path / "data")
    services = wire(stores)
    try:
        await services.accounts.add_brevo(
            name="brevo", api_key=API_KEY, from_address="factures@atelier-martin.fr", api_base_url=brevo.url + "/v3"
        )
        transport = await services.accounts.transport(await services.accounts.get("brevo"))
        message = invoice(1)
        async with transport.session() as session:
            result = await session.send(to_mime(message), sender=message.sender, recipients=list(message.to))
        sent = provider_message_id(result.server_reply)
        record = SendRecord(
            contact_id=7,
            message_id=message.message_id,
            subject=message.subject,
            recipients=list(message.to),
            account="brevo",
            sent_at=datetime.now().astimezone(),
            provider_message_id=sent,
        )
        await asyncio.to_thread(stores.history.add, record)
        brevo.add_event(sent, "jean@acme.test", "delivered", at=datetime.now().astimezone())
        brevo.add_event("<someone-else@smtp-relay.mailin.fr>", "x@y.test", "opened", at=datetime.now().astimezone())

        polled = await services.accounts.poll_events("brevo")
        assert len(polled) == 3
        [kept] = stores.history.for_contact(7)
        assert [e.kind for e in kept.events] == [DeliveryEventKind.accepted, DeliveryEventKind.delivered]

        await services.accounts.poll_events("brevo")  # the same day again: nothing twice
        [kept] = stores.history.for_contact(7)
        assert len(kept.events) == 2
    finally:
        await asyncio.to_thread(services.close)


async def test_a_batch_through_a_revoked_gmail_account_stops_and_stays_queued(
    tmp_path: Path, google: GoogleServer
) -> None:
    data_dir = tmp_path / "data"
    await asyncio.to_thread(fill, data_dir, 3)
    account, secret = google.account(name="gmail")
    stores = await asyncio.to_thread(open_stores, data_dir)
    services = wire(stores)
    try:
        await asyncio.to_thread(stores.accounts.add, account)
        await asyncio.to_thread(CredentialStore(data_dir).set, secret_key("gmail"), secret)
        google.revoke()
        pieces = [row.summary.id for row in await services.workspace.find(Criteria())]
        report = await send(services, pieces, account_name="gmail")
        assert "reconnect" in report.stopped
        entries = await asyncio.to_thread(stores.outbox.in_state, *OutboxState)
        assert len(entries) == 3 and {e.state for e in entries} == {OutboxState.queued}
        assert google.sent == []
    finally:
        await asyncio.to_thread(services.close)


def test_accounts_and_history_written_before_gmail_and_brevo_still_read() -> None:
    account = mail_codec.encode_account(Account(name="office", kind=AccountKind.smtp, host="smtp.example.fr"))
    for key in ("api_base_url", "token_uri", "auth_uri", "client_id", "gmail_mode", "reconnect_needed"):
        del account[key]
    assert mail_codec.decode_account(account) == Account(name="office", kind=AccountKind.smtp, host="smtp.example.fr")
    record = SendRecord(contact_id=1, message_id="<1@x>", subject="s", account="office", sent_at=datetime.now(UTC))
    doc = mail_codec.encode_send_record(record)
    del doc["events"], doc["provider_message_id"]
    assert mail_codec.decode_send_record(doc) == record


def test_the_list_names_an_account_to_reconnect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], google: GoogleServer
) -> None:
    data_dir = tmp_path / "data"
    account, _ = google.account(name="gmail")
    stores = open_stores(data_dir)
    services = wire(stores)
    try:
        stores.accounts.add(account)
        asyncio.run(services.accounts.mark_reconnect_needed("gmail"))
    finally:
        services.close()
    code, out, _ = run(capsys, data_dir, "account", "list")
    assert code == 0
    assert out.splitlines()[1] == (
        f"  gmail  gmail  API, from {google.email}  RECONNECT NEEDED (batchmail account reconnect gmail)"
    )
    assert json.loads(run(capsys, data_dir, "account", "list", "--json")[1])[1]["reconnect_needed"] is True
