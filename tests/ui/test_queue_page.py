"""The queue page as a user works it, without a browser: a refused mail read in detail (the server's code and own
words), sent to a corrected address; a waiting one dropped after confirming."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from batchmail.domain.selection import Criteria
from batchmail.errors import NotFound
from batchmail.sending.outbox import OutboxState
from batchmail.wiring import App
from storage.stores import Stores
from tests.sendkit import address, send
from tests.servers.smtpd import Faults, SmtpTestServer
from tests.ui.conftest import by_test_id, marked, text_of, wait_for

GOOD_ADDRESS = "compta@example.org"


def rows(user: User) -> dict[int, dict[str, object]]:
    [table] = marked(user, "queue-table")
    assert isinstance(table, ui.table)
    return {int(row["id"]): row for row in table.rows}


def is_open(user: User, test_id: str) -> bool:
    """Whether the dialog holding the card marked `test_id` is open."""
    dialogs = {card.parent_slot.parent for card in marked(user, test_id) if card.parent_slot is not None}
    return any(isinstance(dialog, ui.dialog) and dialog.value for dialog in dialogs)


async def test_a_refused_mail_is_readdressed_and_sent_a_waiting_one_dropped(
    app: App, stores: Stores, user: User, server: SmtpTestServer
) -> None:
    server.faults.refuse = {address(1): 550, address(2): 450}
    await send(app, await app.workspace.matching_ids(Criteria()))
    server.faults = Faults()
    states = {entry.recipients[0]: entry for entry in stores.outbox.in_state(*OutboxState)}
    failed, waiting = states[address(1)].id, states[address(2)].id

    await user.open("/queue")
    await wait_for(lambda: set(rows(user)) == {failed, waiting})  # on a busy machine the page may come first
    shown = rows(user)
    assert (shown[failed]["state"], shown[waiting]["state"]) == ("échec", "nouvel essai prévu")
    assert "550" in str(shown[failed]["reason"]) and "450" in str(shown[waiting]["reason"])

    by_test_id(user, "queue-table").trigger("open_row", failed)
    await wait_for(lambda: is_open(user, "queue-detail"))
    assert text_of(user, "queue-detail-answer").startswith("Code 550 · ")
    assert text_of(user, "queue-detail-server-text") == "5.1.1 No such user here"

    by_test_id(user, "queue-table").trigger("address_row", failed)
    await wait_for(lambda: is_open(user, "queue-address"))
    field = by_test_id(user, "queue-address-input")
    field.clear().type("pas une adresse")
    by_test_id(user, "queue-address-save").click()
    await wait_for(lambda: marked(user, "queue-address-input").pop().props.get("error-message"))
    assert "ne peut pas recevoir de mail" in marked(user, "queue-address-input").pop().props["error-message"]
    assert stores.outbox.get(failed).recipients == [address(1)]  # nothing changed
    field.clear().type(GOOD_ADDRESS)
    by_test_id(user, "queue-address-save").click()
    await wait_for(lambda: rows(user)[failed]["recipients"] == GOOD_ADDRESS)
    assert rows(user)[failed]["state"] == "en file"

    by_test_id(user, "queue-table").trigger("retry_row", failed)
    await wait_for(lambda: failed not in rows(user), timeout=30)
    assert [m.recipients for m in server.messages] == [[address(3)], [GOOD_ADDRESS]]

    by_test_id(user, "queue-table").trigger("drop_row", waiting)
    await wait_for(lambda: is_open(user, "queue-drop"))
    assert "1 mail(s)" in text_of(user, "queue-drop-text")
    by_test_id(user, "queue-drop-confirm").click()
    await wait_for(lambda: waiting not in rows(user))
    with pytest.raises(NotFound):
        stores.outbox.get(waiting)
    await user.should_see("La file d'attente est vide")
