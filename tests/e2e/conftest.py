"""The app as a user gets it: a `batchmail run --browser` process on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 30.0


def _env() -> dict[str, str]:
    """The environment for a child `batchmail`: not under pytest (or NiceGUI picks its test port), no stray
    data or storage directory from the developer's shell."""
    hidden = {"PYTEST_CURRENT_TEST", "BATCHMAIL_DATA_DIR", "NICEGUI_STORAGE_PATH"}
    return {key: value for key, value in os.environ.items() if key not in hidden}


def batchmail(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `batchmail` command on `data_dir` and return what it printed."""
    command = [sys.executable, "-m", "batchmail.cli", "--data-dir", str(data_dir), *args]
    done = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli() -> Cli:
    """`batchmail(data_dir, *args, check=True)`: the command line, as a user types it."""
    return batchmail


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    batchmail(data, "demo")
    return data


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Start the app on a data directory; returns its URL. Every app started is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(data_dir: Path) -> str:
        port = _free_port()
        log = (tmp_path / f"app-{port}.log").open("wb")
        command = [sys.executable, "-m", "batchmail.cli", "--data-dir", str(data_dir), "run", "--browser"]
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT
        )
        started.append(process)
        deadline = time.monotonic() + START_TIMEOUT
        while not _port_open(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (tmp_path / f"app-{port}.log").read_text(errors="replace")
                raise AssertionError(f"the app did not start on port {port}:\n{output}")
            time.sleep(0.1)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page() -> Iterator[Page]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
        yield context.new_page()
        context.close()
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
