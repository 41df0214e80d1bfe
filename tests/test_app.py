"""The entry point: the command line's own commands, `run` implied when none is named, and `run` refused where
the UI cannot be reached (the headless module)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import with_default_command
from batchmail.cli import command_names, main

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["run"]),
        (["--browser"], ["run", "--browser"]),
        (["--data-dir", "d", "--browser"], ["--data-dir", "d", "run", "--browser"]),
        (["--data-dir=d"], ["--data-dir=d", "run"]),
        (["queue", "retry", "--due"], ["queue", "retry", "--due"]),
        (["--data-dir", "d", "statement", "--contact", "1"], ["--data-dir", "d", "statement", "--contact", "1"]),
        (["--help"], ["--help"]),
    ],
)
def test_run_is_implied_only_when_no_command_is_named(argv: list[str], expected: list[str]) -> None:
    assert with_default_command(argv) == expected


def test_every_command_of_the_parser_is_one_the_entry_point_knows() -> None:
    assert {"run", "demo", "import", "list", "send", "account", "queue", "render", "statement"} <= command_names()


def test_a_command_the_old_list_forgot_runs_through_app_py(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "--data-dir", str(tmp_path / "data"), "queue", "retry", "--due"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "Nothing is due."), done.stderr


def test_the_headless_module_says_where_run_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "run", "--browser"]) == 2
    assert "start it with the `batchmail` command" in capsys.readouterr().err
