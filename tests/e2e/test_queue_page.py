"""A user's story on the queue page, in Chromium: two invoices sent from the command line to a real SMTP server come
back, one refused for good (550), one refused for now (450); the refused one gets a new address and goes, the other
is dropped, and the command line agrees."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.domain.type_names import document_type_name
from tests.e2e.conftest import RunningApps
from tests.e2e.test_batch_page import ARTIFACTS
from tests.servers.smtpd import Faults, SmtpTestServer, smtp_server

Cli = Callable[..., subprocess.CompletedProcess[str]]
GOOD_ADDRESS = "compta@example.org"
SEND_TIMEOUT_MS = 60_000
EMPTY = "La file d'attente est vide : tous les mails sont partis."


@contextmanager
def running_app(apps: RunningApps, data_dir: Path) -> Iterator[str]:
    """The app on `data_dir` until the block ends, then stopped: the command line needs the data directory back."""
    url = apps.start(data_dir)
    try:
        yield url
    finally:
        apps.stop(url)


@dataclass(frozen=True, slots=True)
class Queued:
    id: int  # the outbox entry
    recipient: str
    number: str  # its piece
    state: str


Pair = tuple[Queued, Queued]


def send_two(cli: Cli, data_dir: Path, server: SmtpTestServer, codes: tuple[int, int], *, cut: bool = False) -> Pair:
    """Through the command line: the server's account added, then two validated invoices of different contacts
    sent, the server refusing their recipients with `codes` (0: accepted) and, if `cut`, dropping the connection
    after each message's data. Returns both mails as the queue lists them; the server's faults stay."""
    account = ("--name", "office", "--host", server.host, "--port", str(server.port), "--security", "none")
    cli(data_dir, "account", "add-smtp", *account)
    listed = json.loads(cli(data_dir, "list", "--json", "--type", "invoice", "--status", "validated").stdout)
    numbers = _numbers(piece["number"] for piece in listed[:12])
    plan = json.loads(cli(data_dir, "send", "--dry-run", "--json", *numbers, check=False).stdout)
    chosen: dict[str, str] = {}
    for message in plan["messages"]:
        [recipient] = message["recipients"]
        chosen.setdefault(recipient, message["pieces"][0])
    pair = list(chosen.items())[:2]
    server.faults.refuse = {recipient: code for (recipient, _), code in zip(pair, codes, strict=True) if code}
    server.faults.drop_after_data = cut
    cli(data_dir, "send", *_numbers(number for _, number in pair), check=False)
    entries = {e["recipients"][0]: e for e in json.loads(cli(data_dir, "queue", "list", "--json").stdout)["entries"]}
    one, two = (
        Queued(id=entries[recipient]["id"], recipient=recipient, number=number, state=entries[recipient]["state"])
        for recipient, number in pair
    )
    return one, two


def _numbers(numbers: Iterable[str]) -> list[str]:
    return [arg for number in numbers for arg in ("--number", number)]


@pytest.mark.browser
def test_a_refused_mail_gets_a_new_address_and_goes_a_waiting_one_is_dropped(
    demo_dir: Path, page: Page, cli: Cli, running_apps: RunningApps
) -> None:
    with smtp_server(tls="none") as server:
        refused, waiting = send_two(cli, demo_dir, server, (550, 450))
        assert (refused.state, waiting.state) == ("failed", "retry_waiting") and server.messages == []
        failed_id, waiting_id, refused_number = refused.id, waiting.id, refused.number

        with running_app(running_apps, demo_dir) as url:
            page.goto(f"{url}/queue")
            expect(page.get_by_test_id(f"queue-state-{failed_id}")).to_have_text("échec")
            expect(page.get_by_test_id(f"queue-reason-{failed_id}")).to_contain_text("550")
            expect(page.get_by_test_id(f"queue-state-{waiting_id}")).to_have_text("nouvel essai prévu")
            expect(page.get_by_test_id(f"queue-reason-{waiting_id}")).to_contain_text("450")
            expect(page.get_by_test_id(f"queue-reason-{waiting_id}")).to_contain_text("nouvel essai automatique le")
            expect(page.get_by_test_id("queue-filter-failed")).to_contain_text("En échec (1)")
            expect(page.get_by_test_id("queue-filter-waiting")).to_contain_text("En attente (1)")
            expect(page.get_by_test_id(f"queue-row-{failed_id}")).to_contain_text(refused_number)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "queue-page.png"), full_page=True)

            page.get_by_test_id(f"queue-row-{failed_id}").click()
            expect(page.get_by_test_id("queue-detail-answer")).to_contain_text("Code 550")
            expect(page.get_by_test_id("queue-detail-tries")).to_contain_text("Code 550")
            expect(page.get_by_test_id("queue-detail-message-id")).to_contain_text("@")
            page.get_by_test_id("queue-detail").screenshot(path=str(ARTIFACTS / "queue-detail.png"))
            page.get_by_test_id("queue-detail-address").click()

            field = page.get_by_test_id("queue-address-input")
            field.fill("pas une adresse")
            page.get_by_test_id("queue-address-save").click()
            expect(page.get_by_test_id("queue-address")).to_contain_text("Cette adresse ne peut pas recevoir de mail")
            expect(field).to_have_value("pas une adresse")
            field.fill(GOOD_ADDRESS)
            page.get_by_test_id("queue-address-save").click()
            expect(page.get_by_test_id("queue-address")).to_be_hidden()
            expect(page.get_by_test_id(f"queue-recipients-{failed_id}")).to_have_text(GOOD_ADDRESS)
            expect(page.get_by_test_id(f"queue-state-{failed_id}")).to_have_text("en file")

            page.get_by_test_id(f"queue-row-{failed_id}").click()
            message_id = page.get_by_test_id("queue-detail-message-id").inner_text()
            page.get_by_test_id("queue-detail-retry").click()
            expect(page.get_by_test_id(f"queue-row-{failed_id}")).to_have_count(0, timeout=SEND_TIMEOUT_MS)
            [arrived] = server.messages
            assert arrived.recipients == [GOOD_ADDRESS]
            assert str(arrived.message["To"]) == GOOD_ADDRESS and str(arrived.message["Message-ID"]) == message_id
            assert refused_number in str(arrived.message["Subject"])
            [pdf] = arrived.message.iter_attachments()
            # Named in the contact's language, which the demo draws: "Facture_", "Invoice_" or "Factuur_".
            invoice_names = {document_type_name(PieceType.invoice, language) for language in Language}
            assert pdf.get_filename() in {f"{name}_{refused_number}.pdf" for name in invoice_names}
            assert pdf.get_content().startswith(b"%PDF")

            page.get_by_test_id(f"queue-drop-{waiting_id}").click()
            expect(page.get_by_test_id("queue-drop-text")).to_contain_text("1 mail(s)")
            page.get_by_test_id("queue-drop-confirm").click()
            expect(page.get_by_test_id(f"queue-row-{waiting_id}")).to_have_count(0)
            expect(page.get_by_test_id("queue-empty")).to_have_text(
                "La file d'attente est vide : tous les mails sont partis."
            )
            expect(page.get_by_test_id("queue-filter-all")).to_contain_text("Tous (0)")

    assert json.loads(cli(demo_dir, "queue", "list", "--json").stdout) == {"entries": []}
    sent_states = json.loads(cli(demo_dir, "queue", "list", "--json", "--state", "sent").stdout)["entries"]
    assert [(e["id"], e["recipients"]) for e in sent_states] == [(failed_id, [GOOD_ADDRESS])]


@pytest.mark.browser
def test_an_uncertain_mail_goes_again_only_once_the_user_accepts_a_second_copy(
    demo_dir: Path, page: Page, cli: Cli, running_apps: RunningApps
) -> None:
    with smtp_server(tls="none") as server:
        refused, cut = send_two(cli, demo_dir, server, (550, 0), cut=True)
        assert (refused.state, cut.state) == ("failed", "uncertain")
        failed_id, uncertain_id = refused.id, cut.id
        arrived_before = len(server.messages)  # the cut mail's data reached the server before the connection broke
        server.faults = Faults()

        with running_app(running_apps, demo_dir) as url:
            page.goto(f"{url}/queue")
            page.get_by_test_id("queue-filter-uncertain").click()
            expect(page.get_by_test_id("queue-filter-uncertain")).to_contain_text("Incertains (1)")
            expect(page.get_by_test_id(f"queue-row-{failed_id}")).to_have_count(0)
            expect(page.get_by_test_id(f"queue-state-{uncertain_id}")).to_have_text("incertain")
            expect(page.get_by_test_id(f"queue-reason-{uncertain_id}")).to_contain_text("peut-être arrivé")
            expect(page.get_by_test_id(f"queue-reason-{uncertain_id}")).to_contain_text("À vous de décider")

            page.get_by_test_id("queue-filter-all").click()
            page.get_by_test_id(f"queue-tick-{failed_id}").click()
            page.get_by_test_id(f"queue-tick-{uncertain_id}").click()
            expect(page.get_by_test_id("queue-ticked")).to_have_text("2 sélectionné(s)")
            page.get_by_test_id("queue-retry-ticked").click()
            expect(page.get_by_test_id("queue-uncertain-text")).to_contain_text("second exemplaire")
            page.get_by_test_id("queue-uncertain-cancel").click()
            expect(page.get_by_test_id("queue-uncertain")).to_be_hidden()
            expect(page.get_by_test_id(f"queue-state-{uncertain_id}")).to_have_text("incertain")
            assert len(server.messages) == arrived_before  # nothing went

            page.get_by_test_id("queue-retry-ticked").click()
            page.get_by_test_id("queue-uncertain-confirm").click()
            expect(page.get_by_test_id("queue-empty")).to_have_text(EMPTY, timeout=SEND_TIMEOUT_MS)
            expect(page.get_by_text("Renvoi terminé : 2 envoyé(s)")).to_be_visible()
        again = [m.recipients for m in server.messages[arrived_before:]]
        assert sorted(again) == sorted([[refused.recipient], [cut.recipient]])
