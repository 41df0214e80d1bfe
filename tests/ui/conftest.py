"""The real pages under NiceGUI's User simulation: no browser, no JavaScript, the app's services over a real data
directory and a real SMTP server. A page is opened in a few tenths of a second.

The pages are registered between NiceGUI's reset and the app's start-up, as `nicegui.testing.user_simulation` does
with a main file (the batch page adds a start-up task when it registers, which the plugin's own `user` fixture
cannot take)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from nicegui import Client, ElementFilter, core, ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing import User, UserInteraction
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation

from batchmail.documents.pdf import PdfRenderer
from batchmail.wiring import App
from storage.stores import Stores
from tests.sendkit import add_account, fill, services_and_stores
from tests.servers.smtpd import SmtpTestServer

PIECES = 3  # one validated invoice for each of three contacts (tests/sendkit.py)


@pytest.fixture
async def opened(tmp_path: Path, server: SmtpTestServer, renderer: PdfRenderer) -> AsyncIterator[tuple[App, Stores]]:
    await asyncio.to_thread(fill, tmp_path, PIECES)
    await asyncio.to_thread(add_account, tmp_path, server)
    app, stores = services_and_stores(tmp_path, renderer)
    yield app, stores
    await asyncio.to_thread(app.close)


@pytest.fixture
async def user(app: App, caplog: pytest.LogCaptureFixture) -> AsyncIterator[User]:
    """A user of the app's pages, in French."""
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            # Imported here: the reset forgets the modules that define pages, so each test registers them anew.
            from ui.pages import register_pages  # noqa: PLC0415
            from ui.pdf_view import register_viewer  # noqa: PLC0415

            register_pages(app)
            register_viewer()
            prepare_simulation()
            ui.run(storage_secret="test secret", language="fr")  # under the simulation it only takes the settings
            async with (
                core.app.router.lifespan_context(core.app),
                httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test") as client,
            ):
                yield User(client)
                for page in list(Client.instances.values()):
                    page.outbox.stop()  # else teardown waits 2 s for an update nobody will read
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate, ui.notify, ui.download = Navigate(), notify, download
    errors = [record.getMessage() for record in caplog.get_records("call") if record.levelname == "ERROR"]
    assert errors == [], "the app logged errors"


def marked(user: User, test_id: str) -> set[ui.element]:
    """The elements of the page marked `data-testid=<test_id>` (the marks the Playwright stories use too)."""
    with user:
        return {e for e in ElementFilter(local_scope=False) if e.props.get("data-testid") == test_id}


def by_test_id(user: User, test_id: str) -> UserInteraction[Any]:
    """`marked`, to act on: there must be at least one."""
    found = marked(user, test_id)
    assert found, f"no element with data-testid={test_id}"
    return UserInteraction(user, found, None)


def text_of(user: User, test_id: str) -> str:
    """The text of the one element marked `test_id` (a label, a badge, a button...)."""
    [element] = marked(user, test_id)
    text = getattr(element, "text", None)
    assert isinstance(text, str), element
    return text


async def wait_for(condition: Callable[[], object], *, timeout: float = 10.0) -> None:
    """Until `condition()` holds: a job in the background, a dialog opening."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"not within {timeout} s"
        await asyncio.sleep(0.02)
