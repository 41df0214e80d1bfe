"""Values of the data (a piece number, a contact's name) cannot add or split a header line of a mail that leaves,
however they are written: read back from what a real SMTP server received."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchmail.documents.pdf import PdfRenderer
from batchmail.domain.selection import Criteria
from batchmail.sending.outbox import OutboxState
from batchmail.wiring import App
from storage.stores import Stores, open_stores
from tests.sendkit import add_account, address, fill, send, services_and_stores
from tests.servers.smtpd import SmtpTestServer

NUMBER = "=?utf-8?q?FA-EW=0D=0AReply-To:_attacker@evil.example?="
NAME = "=?utf-8?q?Jean=0D=0ABcc:_x@evil.example?="
SEPARATED = "Marie\u2028Bcc: y@evil.example\u0085X-Evil: 1"


@pytest.fixture
async def opened(tmp_path: Path, server: SmtpTestServer, renderer: PdfRenderer) -> AsyncIterator[tuple[App, Stores]]:
    def prepare() -> None:
        fill(tmp_path, 3)
        add_account(tmp_path, server)
        with open_stores(tmp_path) as stores:
            first, second, _ = sorted(stores.pieces.get_many(s.id for s in stores.pieces.summaries()), key=_id)
            first.number, second.number = NUMBER, "FA-2026\u2028Bcc: z@evil.example"
            stores.pieces.update_many([first, second])
            for contact_id, name in ((first.contact_id, NAME), (second.contact_id, SEPARATED)):
                contact = stores.contacts.get(contact_id)
                contact.name = name
                stores.contacts.update(contact)

    await asyncio.to_thread(prepare)
    app, stores = services_and_stores(tmp_path, renderer)
    yield app, stores
    app.close()


def _id(piece: object) -> int:
    return int(getattr(piece, "id"))  # noqa: B009


async def test_no_piece_number_or_contact_name_reaches_the_headers_as_a_line(
    app: App, stores: Stores, server: SmtpTestServer
) -> None:
    report = await send(app, await app.workspace.matching_ids(Criteria()))
    assert report.counts[OutboxState.sent.value] == 3  # a line separator in one contact stops nothing
    assert sorted(m.recipients[0] for m in server.messages) == sorted(address(n) for n in (1, 2, 3))
    for mail in server.messages:
        head = mail.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
        assert not re.search(r"(?im)^(bcc|reply-to|x-evil):", head), head
        assert len(mail.recipients) == 1  # nobody was added to the envelope either
        for value in (str(mail.message["Subject"]), *(a.get_filename() or "" for a in mail.message.iter_attachments())):
            assert not re.search(r"[\r\n\u2028\u2029\x85]", value)
    [marked] = [m for m in server.messages if NUMBER in str(m.message["Subject"])]  # written as the literal text
    assert "Reply-To" in str(marked.message["Subject"]) and marked.message["Reply-To"] is None
