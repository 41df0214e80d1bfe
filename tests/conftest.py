"""Settings for the whole test session, and the fixtures many modules share.

Secrets go to the data directory's owner-only file in every test and every `batchmail` subprocess the tests start
(they inherit this environment): whatever keyring the machine running the tests has is never touched, and the
test process and its subprocesses always agree on where a password is. tests/storage/test_credentials.py sets keyring
backends explicitly to test the keyring path.
"""

import os
from collections.abc import Iterator

import pytest

from batchmail.documents.pdf import PdfRenderer
from batchmail.wiring import App
from storage.stores import Stores
from tests.servers.smtpd import SmtpTestServer, smtp_server

os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(scope="module")
def renderer() -> Iterator[PdfRenderer]:
    """One pool of PDF workers for the module's tests."""
    with PdfRenderer() as shared:
        yield shared


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    """A real SMTP server on 127.0.0.1 (STARTTLS, AUTH) that records what it receives."""
    with smtp_server() as running:
        yield running


@pytest.fixture
def app(opened: tuple[App, Stores]) -> App:
    """The app of the module's `opened` fixture (the app and the stores behind it)."""
    return opened[0]


@pytest.fixture
def stores(opened: tuple[App, Stores]) -> Stores:
    """The stores behind the module's `opened` app, for a test to arrange and inspect."""
    return opened[1]
