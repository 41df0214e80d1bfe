"""Start the app: open the data directory, register the pages, serve them in a native window or to a browser.

Import this module only after NICEGUI_STORAGE_PATH is set (app.py does it): NiceGUI reads it at import.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import secrets
import sys
import webbrowser
from pathlib import Path

from nicegui import app, background_tasks, core, ui

from batchmail.domain.addresses import is_loopback
from batchmail.errors import BatchMailError, StoreError
from batchmail.files import OWNER_ONLY_FILE, private_folder
from batchmail.services.queue import QueueService
from batchmail.wiring import open_app
from ui import desktop, pdf_view
from ui.guard import Guard, Keys, allowed_hosts
from ui.pages import register_pages
from ui.pdf_view import PdfViewer

SECRET_FILE = "session-secret"
QUEUE_ROUND_SECONDS = 60
LISTEN_TIMEOUT_SECONDS = 30.0  # the longest the link waits for the server to listen before it is printed anyway

log = logging.getLogger(__name__)


def run_app(
    data_dir: Path,
    *,
    native: bool,
    host: str = "127.0.0.1",
    port: int = 8765,
    demo: bool = False,
    pdf_viewer: PdfViewer = PdfViewer.auto,
) -> None:
    """Serve BatchMail until the window is closed (native) or the process is stopped (browser).

    A data directory that cannot be opened (locked by another BatchMail, unreadable store) ends the process with
    status 2 and the store's own message; the files are left as they are.
    """
    if multiprocessing.current_process().name != "MainProcess":
        return  # the native window's process re-imports the main module; only the parent serves
    try:
        opened = open_app(data_dir)
    except StoreError as err:
        print(f"batchmail: {err}", file=sys.stderr)
        sys.exit(2)

    backend = desktop.native_backend() if native else None
    if native and backend is None:
        print(f"No native window backend here: serving on http://{host}:{port}", flush=True)
        native = False
    pdf_view.configure(pdf_viewer, native_backend=backend)
    keys, base = _guard(host, port)
    if native:
        app.native.window_args["url"] = keys.entry_url(base)  # the window gets the secret directly

    async def startup() -> None:
        if demo and await opened.imports.is_empty():
            contacts, pieces = await opened.imports.load_demo()
            print(f"Demo data: {contacts} contacts and {pieces} pieces in {data_dir}", flush=True)
        if not native:
            background_tasks.create(_announce(host, port, keys.entry_url(base)), name="announce")
        background_tasks.create(_keep_the_queue_moving(opened.queue), name="queue")

    async def shutdown() -> None:
        await asyncio.to_thread(opened.close)

    app.on_startup(startup)
    app.on_shutdown(shutdown)
    register_pages(opened)
    pdf_view.register_viewer()
    if native:
        desktop.configure_window()
    ui.run(
        host=host,
        port=port,
        title="BatchMail",
        language="fr",
        favicon="✉️",
        reload=False,
        show=False,
        native=native,
        window_size=desktop.WINDOW_SIZE if native else None,
        storage_secret=_storage_secret(data_dir),
        show_welcome_message=False,
        gzip_middleware_factory=None,  # compressing on localhost cost ~110 ms of CPU per cold page open
    )


def _guard(host: str, port: int) -> tuple[Keys, str]:
    """Only its own window and the browser let in may use the server (ui/guard.py); returns the start's secrets
    and the address the app is reached at."""
    keys = Keys()
    app.add_middleware(Guard, keys=keys, hosts=allowed_hosts(host, port))
    core.sio.eio.cors_allowed_origins = None  # socket.io answers the page's own origin only, not '*'
    if not is_loopback(host):
        print(
            f"WARNING: BatchMail listens on {host}, not only on this computer: other machines can reach it. "
            "It still asks every visitor for the secret link it prints.",
            file=sys.stderr,
            flush=True,
        )
    local = host if is_loopback(host) or host not in ("0.0.0.0", "::") else "127.0.0.1"
    return keys, f"http://{f'[{local}]' if ':' in local else local}:{port}"


async def _announce(host: str, port: int, entry_url: str) -> None:
    """Print the link that lets a browser in, and open it, once the server accepts connections: the start-up
    hooks run before the socket listens, and a browser sent there too early would find nothing."""
    reach = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LISTEN_TIMEOUT_SECONDS
    while loop.time() < deadline:
        try:
            _, writer = await asyncio.open_connection(reach, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        break
    print(f"BatchMail is ready: open {entry_url}", flush=True)
    webbrowser.open(entry_url)


async def _keep_the_queue_moving(queue: QueueService) -> None:
    """At start, then every minute: finish recording mails that left before a crash and send what is queued or
    due for a retry. A failure is logged and tried again at the next round; it never stops the app."""
    while True:
        try:
            await queue.resume()
        except BatchMailError as err:
            log.warning("the queue could not be sent: %s", err)
        await asyncio.sleep(QUEUE_ROUND_SECONDS)


def _storage_secret(data_dir: Path) -> str:
    """A random secret kept beside NiceGUI's storage, so sessions survive a restart and no two installs share one."""
    folder = Path(os.environ.get("NICEGUI_STORAGE_PATH") or data_dir / "ui-state")
    path = folder / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    private_folder(folder)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret)
    return secret
