"""The send options on the command line: grouped per recipient with a ZIP, one address for every mail, a sender
among the user's addresses, a date still a date filter."""

from __future__ import annotations

import email
import email.policy
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from batchmail.cli import main
from storage.stores import open_stores


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def last_month() -> str:
    return (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def mailbox(data_dir: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted((data_dir / "test-mailbox").glob("*.eml"))
    ]


def test_grouped_per_recipient_in_one_zip_to_a_single_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    filters = ("--type", "invoice", "--status", "unpaid", "--period", last_month())
    listed = json.loads(run(capsys, data_dir, "list", *filters, "--json")[1])
    contacts = {row["contact_id"] for row in listed}
    code, out, err = run(
        capsys,
        data_dir,
        "send",
        *filters,
        "--group-by-recipient",
        "--zip",
        "--single-recipient",
        "archive@example.org",
        "--json",
    )
    assert code in (0, 1), err
    report = json.loads(out)
    sent = [m for m in report["messages"] if m["state"] == "sent"]
    assert 0 < len(sent) <= len(contacts)
    for message in mailbox(data_dir):
        assert message["To"] == "archive@example.org"
        (archive,) = list(message.iter_attachments())
        assert archive.get_filename().endswith(".zip")
        names = zipfile.ZipFile(io.BytesIO(archive.get_content())).namelist()
        assert names and all(name.endswith(".pdf") and name.isascii() for name in names)


def test_the_sender_must_be_one_of_the_users_addresses(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    code, _, err = run(capsys, data_dir, "send", "--period", last_month(), "--sender", "someone@else.example")
    assert code == 2
    assert "is not one of your sender addresses" in err


def test_from_and_to_are_dates_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    for option in ("--from", "--to"):
        with pytest.raises(SystemExit) as refused:
            run(capsys, data_dir, "send", option, "archive@example.org")
        assert refused.value.code == 2
        assert f"argument {option}: 'archive@example.org' is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_from_filters_the_pieces_to_send_as_it_filters_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    start = (date.today() - timedelta(days=3)).isoformat()
    code, out, _ = run(capsys, data_dir, "send", "--type", "invoice", "--from", start, "--dry-run", "--json")
    preview = json.loads(out)
    listed = json.loads(run(capsys, data_dir, "list", "--type", "invoice", "--from", start, "--json")[1])
    assert len(preview["messages"]) + len(preview["skipped"]) + len(preview.get("held", [])) == len(listed)
    assert code in (0, 1)


def test_the_archive_address_goes_in_blind_copy_unless_the_batch_skips_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    with open_stores(data_dir) as stores:
        company = stores.company.get()
        assert company is not None and not company.archive_bcc
        company.archive_bcc = "archives@example.org"
        stores.company.save(company)
    filters = ("--type", "invoice", "--status", "validated", "--period", last_month())

    plan = json.loads(run(capsys, data_dir, "send", *filters, "--dry-run", "--json")[1])
    assert plan["messages"] and all(m["bcc"] == ["archives@example.org"] for m in plan["messages"])
    assert all(m["recipients"][-1] == "archives@example.org" for m in plan["messages"])
    plain = json.loads(run(capsys, data_dir, "send", *filters, "--no-auto-bcc", "--dry-run", "--json")[1])
    assert [m["to"] for m in plain["messages"]] == [m["to"] for m in plan["messages"]]
    assert all(m["bcc"] == [] and m["recipients"] == m["to"] for m in plain["messages"])

    first, *rest = plan["messages"]
    code, out, err = run(capsys, data_dir, "send", "--number", first["pieces"][0], "--json")
    assert code == 0, err
    document = json.loads(out)
    (sent,) = document["messages"]
    assert sent["recipients"] == first["recipients"] and sent["event"] is None
    assert document["pace"] == {"per_minute": None, "per_day": None, "holds_the_batch": False}
    if rest:
        code, _, err = run(capsys, data_dir, "send", "--number", rest[0]["pieces"][0], "--no-auto-bcc")
        assert code == 0, err
    envelopes = sorted(message["X-BatchMail-Envelope-To"] for message in mailbox(data_dir))
    expected = [", ".join(first["recipients"])] + ([", ".join(rest[0]["to"])] if rest else [])
    assert envelopes == sorted(expected)
    for path in (data_dir / "test-mailbox").glob("*.eml"):
        # The mailbox writes the envelope (Return-Path, X-BatchMail-Envelope-To) before the message as it left.
        mime = path.read_bytes().split(b"\r\n", 2)[2]
        assert b"archives@example.org" not in mime and b"\nBcc:" not in mime


def test_every_address_the_command_takes_is_checked_the_same_way(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data_dir = tmp_path / "data"
    run(capsys, data_dir, "demo")
    code, _, err = run(capsys, data_dir, "send", "--period", last_month(), "--single-recipient", "compta@")
    assert code == 2 and "single recipient: 'compta@' is not a valid email address (" in err
    code, _, err = run(capsys, data_dir, "send", "--period", last_month(), "--sender", "factures at atelier")
    assert code == 2 and "sender: 'factures at atelier' is not a valid email address (" in err
    code, _, err = run(
        capsys, data_dir, "account", "add-smtp", "--name", "o", "--host", "smtp.example.fr", "--port", "587",
        "--security", "starttls", "--from", "facturation@@atelier.fr",
    )  # fmt: skip
    assert code == 2 and "sender address: 'facturation@@atelier.fr' is not a valid email address (" in err
