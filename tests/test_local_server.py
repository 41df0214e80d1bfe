"""The local server as an attacker on the same laptop would try it, with a plain HTTP client: nothing is answered
without the secret of this start, the one-time link is good once, a foreign Host (DNS rebinding) and a foreign
Origin are refused, socket.io included, and listening beyond this computer warns and still asks for the secret."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.e2e.conftest import REPO, START_TIMEOUT, _env, _free_port, entry_link
from tests.sendkit import fill
from tests.storage.test_owner_only import open_to_others

SOCKET_IO = "/_nicegui_ws/socket.io/?EIO=4&transport=polling"


@dataclass(frozen=True)
class Served:
    url: str  # the loopback address it serves
    link: str  # the one-time link it printed
    log: Path


@contextmanager
def serving(data_dir: Path, *options: str) -> Iterator[Served]:
    port = _free_port()
    log = data_dir.parent / f"app-{port}.log"
    command = [sys.executable, "-m", "app", "--data-dir", str(data_dir), "run", "--browser", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, *options], cwd=REPO, env=_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (link := entry_link(log)):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield Served(url=f"http://127.0.0.1:{port}", link=link, log=log)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    fill(data_dir, 1)
    with serving(data_dir) as running:
        yield running


def test_nothing_is_answered_without_the_secret(served: Served) -> None:
    with httpx.Client(base_url=served.url) as stranger:
        for path in ("/", "/pdf/piece/1", "/queue", "/viewer", SOCKET_IO, "/_nicegui/auto/static/nicegui.js"):
            response = stranger.get(path)
            assert response.status_code == 403, path
            assert b"%PDF" not in response.content and "BatchMail" in response.text
        forged = stranger.get("/pdf/piece/1", headers={"Cookie": "batchmail_session=guessed"})
        assert forged.status_code == 403


def test_the_one_time_link_lets_one_browser_in_and_a_foreign_host_or_origin_stays_out(served: Served) -> None:
    with httpx.Client() as browser, httpx.Client() as latecomer:
        entered = browser.get(served.link)
        assert entered.status_code == 303 and entered.headers["location"] == "/"
        cookie = entered.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert browser.get(served.url + "/").status_code == 200
        pdf = browser.get(served.url + "/pdf/piece/1")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert latecomer.get(served.link).status_code == 403  # used: the link is worth nothing now

        rebinding = browser.get(served.url + "/pdf/piece/1", headers={"Host": "evil.example:80"})
        assert rebinding.status_code == 421 and b"%PDF" not in rebinding.content
        foreign = browser.get(served.url + SOCKET_IO, headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        own = browser.get(served.url + SOCKET_IO, headers={"Origin": served.url})
        assert own.status_code == 200 and '"sid"' in own.text

        session = f"batchmail_session={browser.cookies['batchmail_session']}"
        socket = served.url.replace("http://", "ws://") + SOCKET_IO.replace("polling", "websocket")
        for origin, cookie in (("http://evil.example", session), (served.url, "")):
            with pytest.raises(InvalidStatus):  # the upgrade is refused before any socket.io frame
                connect(socket, origin=Origin(origin), additional_headers={"Cookie": cookie}).close()
        with connect(socket, origin=Origin(served.url), additional_headers={"Cookie": session}) as accepted:
            assert accepted.recv(timeout=10).startswith("0{")  # engine.io's open packet


def test_the_data_directory_of_the_app_is_its_owners_alone(served: Served) -> None:
    data_dir = served.log.parent / "data"
    assert (data_dir / "ui-state" / "session-secret").is_file()
    assert open_to_others(data_dir) == {}


def test_listening_beyond_this_computer_warns_and_still_asks_for_the_secret(tmp_path: Path) -> None:
    with serving(tmp_path / "data", "--host", "0.0.0.0") as running:
        assert "WARNING: BatchMail listens on 0.0.0.0" in running.log.read_text(errors="replace")
        assert httpx.get(running.url + "/").status_code == 403
        with httpx.Client() as browser:
            assert browser.get(running.link).status_code == 303
            assert browser.get(running.url + "/").status_code == 200
