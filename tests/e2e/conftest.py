"""The app as a user gets it: a `batchmail run --browser` process on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import re
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
    # BROWSER=true: the app's own attempt to open the user's browser opens nothing (Python's webbrowser).
    return {key: value for key, value in os.environ.items() if key not in hidden} | {"BROWSER": "true"}


def batchmail(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `batchmail` command on `data_dir` and return what it printed."""
    command = [sys.executable, "-m", "batchmail.cli", "--data-dir", str(data_dir), *args]
    done = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300, check=False)
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


class RunningApps:
    """`batchmail run --browser` processes on free ports, each logged to a file in `log_dir`; `enter` is given the
    one-time link each prints, which lets the test's browser in."""

    def __init__(self, log_dir: Path, enter: Callable[[str], None]) -> None:
        self._log_dir = log_dir
        self._enter = enter
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, data_dir: Path, *options: str) -> str:
        """Start the app on a data directory, with `batchmail run`'s `options`; returns its URL once it answers."""
        port = _free_port()
        log_path = self._log_dir / f"app-{port}.log"
        command = [sys.executable, "-m", "app", "--data-dir", str(data_dir), "run", "--browser", *options]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*command, "--port", str(port)], cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT
            )
        url = f"http://127.0.0.1:{port}"
        self._processes[url] = process
        deadline = time.monotonic() + START_TIMEOUT
        while not (link := entry_link(log_path)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the app did not start on port {port}:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        assert _port_open(port), "the app printed its link before its server listened"
        self._enter(link)
        return url

    def stop(self, url: str) -> None:
        """Stop the app serving `url` and wait for it: its data directory is free for the command line again."""
        process = self._processes.pop(url)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for url in list(self._processes):
            self.stop(url)


def entry_link(log_path: Path) -> str:
    """The one-time link the app printed once ready, or ""."""
    found = re.search(r"BatchMail is ready: open (\S+)", log_path.read_text(errors="replace"))
    return found.group(1) if found else ""


@pytest.fixture
def running_apps(tmp_path: Path, page: Page) -> Iterator[RunningApps]:
    def enter(link: str) -> None:
        response = page.request.get(link)  # the browser context keeps the session cookie it sets
        assert response.ok, f"{link}: {response.status}"

    apps = RunningApps(tmp_path, enter)
    yield apps
    apps.stop_all()


@pytest.fixture
def start_app(running_apps: RunningApps) -> Callable[..., str]:
    """Start the app on a data directory (and `batchmail run` options); returns its URL. Every app started is
    stopped at the end."""
    return running_apps.start


@pytest.fixture
def stop_app(running_apps: RunningApps) -> Callable[[str], None]:
    """Stop the app started at this URL, so the command line can open its data directory."""
    return running_apps.stop


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
