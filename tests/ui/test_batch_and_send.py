"""The main screen as a user works it, without a browser: filter the pieces, tick them into the batch, preview the
batch's mails, send them through a real SMTP server and read the report. The grid's browser half is played by
answering its JavaScript calls (`User.javascript_rules`)."""

from __future__ import annotations

import re
from typing import Any

from nicegui import ui
from nicegui.testing import User

from batchmail.domain.pieces import Status
from batchmail.sending.outbox import OutboxState
from storage.stores import Stores
from tests.sendkit import address, received_ids
from tests.servers.smtpd import SmtpTestServer
from tests.ui.conftest import PIECES, by_test_id, marked, text_of, wait_for

SELECTION = re.compile(r"return BatchMailGrid\.selection\(")


def ticks(user: User, selection: dict[str, Any]) -> None:
    """What the grid answers when asked which rows are ticked."""
    user.javascript_rules[SELECTION] = lambda _match: selection


async def test_a_filter_narrows_the_grid_and_its_totals(user: User) -> None:
    await user.open("/")
    await user.should_see("Atelier Martin")
    assert text_of(user, "piece-count").startswith(f"{PIECES} pièces")
    grid = by_test_id(user, "piece-grid").elements.pop()
    assert isinstance(grid, ui.aggrid)
    first_rows = grid.options[":datasource"]
    assert all(f"Client {n}" in first_rows for n in range(1, PIECES + 1))  # the first rows come with the page

    by_test_id(user, "filter-contact-name").type("client 2")
    await wait_for(lambda: text_of(user, "piece-count").startswith("1 pièce "))
    assert "121,20" in text_of(user, "piece-count")  # fill(): Client 2's invoice, 101.00 excl. tax at 20 %


async def test_tick_into_the_batch_preview_send_and_read_the_report(
    user: User, stores: Stores, server: SmtpTestServer
) -> None:
    await user.open("/")
    by_test_id(user, "filter-contact-name").type("client 2")
    await wait_for(lambda: text_of(user, "piece-count").startswith("1 pièce "))
    ticks(user, {"all": True, "excluded": []})
    by_test_id(user, "select-all").click()
    by_test_id(user, "add-to-batch").click()
    await user.should_see("1 pièce(s) ajoutée(s) au lot")
    await wait_for(lambda: text_of(user, "batch-summary").startswith("1 pièce "))

    by_test_id(user, "send-preview").click()
    await user.should_see("1 mail(s)", retries=50)  # composed for real: its PDF is rendered
    assert server.messages == []  # a preview sends nothing

    by_test_id(user, "send").click()
    await wait_for(lambda: marked(user, "report"), timeout=30)  # the report card once the batch is done
    assert (text_of(user, "report-sent"), text_of(user, "report-failed")) == ("1", "0")
    [mail] = server.messages
    assert mail.recipients == [address(2)]
    [entry] = stores.outbox.in_state(OutboxState.sent)
    assert received_ids(server) == [entry.message_id]
    [piece_id] = entry.piece_ids
    assert stores.pieces.get(piece_id).status is Status.sent  # recorded on the piece
