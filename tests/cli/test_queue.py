"""`batchmail queue list|retry|address|drop|purge` and `batchmail send --resend`, headless, against a real SMTP
server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batchmail.cli import main
from tests.sendkit import add_account, address, fill, received_ids
from tests.servers.smtpd import Faults, smtp_server


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, Any]:
    code, out, err = run(capsys, data_dir, *args, "--json")
    assert code in (0, 1), err
    return code, json.loads(out)


def test_the_queue_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path, 4)
    with smtp_server() as server:
        add_account(tmp_path, server)
        server.faults.refuse = {address(1): 550, address(2): 450, address(3): 450}
        code, report = as_json(capsys, tmp_path, "send")
        assert code == 1 and report["counts"]["sent"] == 1
        server.faults = Faults()

        code, listed = as_json(capsys, tmp_path, "queue", "list")
        states = {e["recipients"][0]: e for e in listed["entries"]}
        assert {r: e["state"] for r, e in states.items()} == {
            address(1): "failed",
            address(2): "retry_waiting",
            address(3): "retry_waiting",
        }
        assert states[address(1)]["code"] == 550 and "No such user" in states[address(1)]["reason"]
        assert states[address(2)]["next_try"] is not None and states[address(2)]["pieces"]
        code, text, _ = run(capsys, tmp_path, "queue", "list", "--state", "failed")
        assert address(1) in text and address(2) not in text

        assert run(capsys, tmp_path, "queue", "retry", "--due")[1].strip() == "Nothing is due."
        code, retried = as_json(capsys, tmp_path, "queue", "retry", str(states[address(2)]["id"]))
        assert code == 0 and retried["reports"][0]["counts"]["sent"] == 1

        failed_id = str(states[address(1)]["id"])
        for forged in (
            "compta@example.org\r\nBcc: x@evil.example",
            "=?utf-8?q?a=0D=0ABcc:_x@evil.example?=",
            "compta@",
        ):
            code, _, err = run(capsys, tmp_path, "queue", "address", failed_id, forged)
            assert code == 2 and err.startswith("batchmail: new address: "), err
        code, out, _ = run(capsys, tmp_path, "queue", "address", failed_id, "compta@example.org")
        assert code == 0 and f"batchmail queue retry {failed_id}" in out
        code, out, _ = run(capsys, tmp_path, "queue", "drop", failed_id)
        assert code == 0 and "removed" in out
        code, _, err = run(capsys, tmp_path, "queue", "drop", failed_id)
        assert code == 2 and f"outbox entry {failed_id} does not exist" in err
        code, _, err = run(capsys, tmp_path, "queue", "retry", "--due", "7")
        assert code == 2 and "not both" in err

        code, listed = as_json(capsys, tmp_path, "queue", "list")
        assert [e["recipients"] for e in listed["entries"]] == [[address(3)]]

        code, out, _ = run(capsys, tmp_path, "queue", "purge", "--older-than", "0")
        assert code == 0 and out.startswith("2 sent mail(s)")

        # The sent pieces again: held back by composition as sent recently, then sent on an explicit --resend.
        numbers = [m["pieces"][0] for m in report["messages"] if m["state"] == "sent"]
        code, again = as_json(capsys, tmp_path, "send", "--number", numbers[0])
        assert code == 1 and again["messages"] == [] and again["skipped"][0]["code"] == "recently_sent"
        code, resent = as_json(capsys, tmp_path, "send", "--number", numbers[0], "--resend")
        assert code == 0 and resent["counts"]["sent"] == 1
        assert len(received_ids(server)) == len(set(received_ids(server))) == 3
