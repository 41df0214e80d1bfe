"""Everything the data directory holds is its owner's alone: after a logo, sends through a real SMTP
server and the test mailbox, a PDF rendered and a retry queue, every folder is 0700 and every file 0600, under
the usual umask that would make them readable by all."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchmail.cli import main
from batchmail.paths import data_dir as resolved_data_dir
from batchmail.wiring import open_app
from storage.journal import Journal
from storage.stores import open_stores
from tests.documents.pdfkit import png_bytes
from tests.sendkit import add_account, address, fill
from tests.servers.smtpd import smtp_server

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def modes(root: Path) -> dict[str, int]:
    """The permission bits of `root` and of everything under it, by path relative to `root`."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def open_to_others(root: Path) -> dict[str, str]:
    return {
        name: oct(mode) for name, mode in modes(root).items() if mode != (0o700 if (root / name).is_dir() else 0o600)
    }


def cli(data_dir: Path, *args: str) -> None:
    assert main(["--data-dir", str(data_dir), *args]) in (0, 1)


def test_every_file_and_folder_of_the_data_directory_is_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    fill(data_dir, 3)

    async def brand() -> None:
        app = open_app(data_dir)
        try:
            await app.company.save({}, logo=png_bytes())
        finally:
            app.close()

    asyncio.run(brand())
    cli(data_dir, "send", "--account", "test-mailbox", "--contact", "1")
    with smtp_server() as server:
        add_account(data_dir, server)
        server.faults.refuse[address(2)] = 451  # a temporary refusal: its mail waits in the retry queue
        cli(data_dir, "send", "--type", "invoice")
    with open_stores(data_dir) as stores:
        number = stores.pieces.summaries()[0].number
    cli(data_dir, "render", number, "--output", str(tmp_path / "piece.pdf"))

    created = modes(data_dir)
    for expected in ("test-mailbox", "branding", "pieces", "outbox", "pdf-cache"):
        assert any(name.startswith(expected) for name in created), f"the story made no {expected}"
    assert open_to_others(data_dir) == {}


def test_a_data_directory_left_open_by_an_older_version_is_closed(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    assert stat.S_IMODE(resolved_data_dir(folder).stat().st_mode) == 0o700


def test_the_outbox_journal_is_owner_only(tmp_path: Path) -> None:
    """It lives only while the app runs (folded into outbox.json on close), with recipients and subjects."""
    journal = Journal(tmp_path / "outbox.journal")
    journal.append(1, {"1": {"to": ["compta@example.fr"]}})
    journal.append(1, {"2": {"to": ["compta@example.fr"]}})
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert journal.read(1) == {"1": {"to": ["compta@example.fr"]}, "2": {"to": ["compta@example.fr"]}}
