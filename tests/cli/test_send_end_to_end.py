"""The whole path through the command line: demo data, an SMTP account, last month's validated invoices sent to a
real SMTP server (STARTTLS + AUTH), each with its PDF, recorded on the piece and the contact."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from batchmail.cli import main
from storage.stores import open_stores
from tests.servers.smtpd import SmtpTestServer, smtp_server
from tests.services.test_preview import store_files

SENDER = "factures@rhone-maintenance.example.fr"


def last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def money_as_written(amount: Decimal, language: str) -> str:
    """How an amount reads in each language, written out independently of the app's formatter."""
    units, cents = f"{amount:.2f}".split(".")
    groups = f"{int(units):,}"
    if language == "fr":
        return f"{groups.replace(',', ' ')},{cents} €"
    if language == "nl":
        return f"€ {groups.replace(',', '.')},{cents}"
    return f"€{groups}.{cents}"


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def add_account(capsys: pytest.CaptureFixture[str], data_dir: Path, server: SmtpTestServer, password: str) -> None:
    sys.stdin = io.StringIO(password + "\n")
    try:
        code, out, err = run(
            capsys,
            data_dir,
            "account",
            "add-smtp",
            "--name",
            "office",
            "--host",
            server.host,
            "--port",
            str(server.port),
            "--security",
            "starttls",
            "--user",
            server.username,
            "--password-stdin",
            "--from",
            SENDER,
            "--ca-file",
            str(server.ca_pem),
        )
    finally:
        sys.stdin = sys.__stdin__
    assert code == 0, err
    assert "office" in out


def test_validated_invoices_of_last_month_arrive_with_their_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    assert run(capsys, data_dir, "demo", "--seed", "7")[0] == 0
    period = last_month(date.today())
    filters = ("--type", "invoice", "--status", "validated", "--period", period)
    listed = json.loads(run(capsys, data_dir, "list", *filters, "--json")[1])
    assert listed, "the demo leaves validated invoices to send last month"

    with smtp_server(username="factures", password="pa55word") as server:
        add_account(capsys, data_dir, server, "pa55word")
        code, out, err = run(capsys, data_dir, "send", *filters, "--json")
        received = list(server.messages)
    report = json.loads(out)

    with open_stores(data_dir) as stores:
        contacts = stores.contacts.by_id()
        expected = {row["number"] for row in listed if contacts[row["contact_id"]].email}
        without_address = {row["number"] for row in listed} - expected
        assert {m["pieces"][0] for m in report["messages"] if m["state"] == "sent"} == expected
        assert {s["piece"] for s in report["skipped"]} == without_address
        assert all(s["reason"] == "no email address for this contact" for s in report["skipped"])
        assert code == (1 if without_address else 0), err
        assert report["counts"]["sent"] == len(expected) == len(received)

        by_number = {row["number"]: row for row in listed}
        for message in received:
            assert message.mail_from == SENDER
            (attachment,) = [part for part in message.message.iter_attachments()]
            assert attachment.get_content_type() == "application/pdf"
            number = re.search(r"FA-\d{4}-\d{5}", str(message.message["Subject"]))
            assert number, message.message["Subject"]
            row = by_number[number[0]]
            contact = contacts[row["contact_id"]]
            assert message.recipients == [contact.email]
            text = pdf_text(attachment.get_content())
            assert row["number"] in text
            assert money_as_written(Decimal(row["total_incl_tax"]), contact.language.value) in text

        for row in listed:
            piece = stores.pieces.by_number(row["number"])
            assert piece is not None
            if row["number"] in expected:
                assert piece.last_sent == date.today()
                assert piece.status.value == "sent"
                history = stores.history.for_contact(piece.contact_id)
                assert any(piece.id in record.piece_ids and record.account == "office" for record in history)
            else:
                assert piece.last_sent is None
                assert piece.status.value == "validated"

    # Sent invoices are no longer "validated": the same command now finds only the ones without an address.
    code, out, _ = run(capsys, data_dir, "send", *filters, "--json")
    again: dict[str, Any] = json.loads(out)
    assert again["messages"] == []
    assert {s["piece"] for s in again["skipped"]} == without_address


def test_without_an_account_the_test_mailbox_keeps_the_mails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    filters = ("--type", "invoice", "--status", "validated", "--period", last_month(date.today()))
    _code, out, _ = run(capsys, data_dir, "send", *filters)
    assert "TEST MODE" in out
    sent = int(re.search(r"(\d+) sent", out)[1])  # type: ignore[index]
    assert sent > 0
    assert len(list((data_dir / "test-mailbox").glob("*.eml"))) == sent


def test_dry_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    filters = ("--type", "invoice", "--status", "validated", "--period", last_month(date.today()))
    before = run(capsys, data_dir, "list", *filters, "--json")[1]
    files = store_files(data_dir)
    _code, out, _ = run(capsys, data_dir, "send", *filters, "--dry-run", "--json")
    preview = json.loads(out)
    assert preview["dry_run"] is True
    assert preview["messages"]
    for message in preview["messages"]:
        (pdf,) = message["attachments"]
        assert pdf["name"].endswith(".pdf") and message["size"] > pdf["size"] > 1000
        assert message["subject"] and message["text"] and message["html"].lstrip().startswith("<")
        assert message["from"].endswith(">") and message["to"] == message["recipients"]
    assert store_files(data_dir) == files
    assert run(capsys, data_dir, "list", *filters, "--json")[1] == before
    assert not (data_dir / "test-mailbox").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("send", "--status", "bogus"), "--status: 'bogus' is not a status"),
        (("list", "--period", "2026-13"), "period: '2026-13'"),
        (
            ("account", "add-smtp", "--name", "x", "--host", "smtp.example.com", "--port", "25", "--security", "none"),
            "unencrypted",
        ),
        (("import", "contacts", "missing.csv"), "missing.csv"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, tmp_path / "data", *args)
    assert code == 2
    assert message in err


def test_a_refused_login_stops_the_batch_and_keeps_it_queued(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    filters = ("--type", "invoice", "--status", "validated", "--period", last_month(date.today()))
    with smtp_server(username="factures", password="right") as server:
        add_account(capsys, data_dir, server, "wrong")
        code, out, _ = run(capsys, data_dir, "send", *filters, "--json")
        assert server.messages == []
    report = json.loads(out)
    assert code == 1
    assert "stopped" in report["stopped"]
    assert report["counts"]["queued"] == len(report["messages"]) > 0


def test_a_corrupted_store_stops_with_its_name_and_stays_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    contacts = data_dir / "contacts.json"
    broken = contacts.read_bytes()[: contacts.stat().st_size // 2]
    contacts.write_bytes(broken)
    code, _, err = run(capsys, data_dir, "list")
    assert code == 2
    assert "contacts.json" in err and "not valid JSON" in err
    assert contacts.read_bytes() == broken
