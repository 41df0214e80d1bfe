"""Kill the sending process (SIGKILL) at random points of a 300-mail batch, restart it, let it finish: every mail
arrived exactly once, except those marked uncertain, and those are at most the mails in flight at the kills."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from batchmail.sending.outbox import OutboxState
from storage.stores import open_stores
from tests.cli import processes
from tests.sendkit import add_account, fill, received_ids
from tests.servers.smtpd import SmtpTestServer, smtp_server

MAILS, KILLS, CONNECTIONS = 300, 4, 2
DEADLINE = 240.0  # seconds for the whole story, on a slow shared machine


def batchmail(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    return processes.batchmail(data_dir, *args, stderr=(data_dir.parent / "stderr.log").open("ab"))


def kill_when(process: subprocess.Popen[bytes], server: SmtpTestServer, received: int, deadline: float) -> bool:
    """SIGKILL the process once the server has received `received` mails. False if it ended first."""
    while process.poll() is None and len(server.messages) < received:
        assert time.monotonic() < deadline, "the batch did not progress"
        time.sleep(0.001)
    if process.poll() is not None:
        return False
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return True


def test_a_batch_killed_at_random_points_and_resumed_sends_each_mail_at_most_once(tmp_path: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    data_dir = tmp_path / "data"
    fill(data_dir, MAILS)
    chooser = random.Random(20261124)
    with smtp_server() as server:
        add_account(data_dir, server, connections=CONNECTIONS)
        kills = 0
        process = batchmail(data_dir, "send")
        for threshold in sorted(chooser.sample(range(10, MAILS - 10), KILLS)):
            if kill_when(process, server, threshold, deadline):
                kills += 1
                process = batchmail(data_dir, "queue", "retry", "--due")
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
        final = batchmail(data_dir, "queue", "retry", "--due")
        assert final.wait(timeout=max(1.0, deadline - time.monotonic())) == 0
        arrived_before = len(server.messages)

        # The same send once more: composition holds back the pieces sent, the outbox the uncertain ones.
        again = batchmail(data_dir, "send")
        assert again.wait(timeout=max(1.0, deadline - time.monotonic())) == 1, (tmp_path / "stderr.log").read_text()
        assert len(server.messages) == arrived_before
        arrived = Counter(received_ids(server))

    assert kills == KILLS
    assert max(arrived.values()) == 1, "a mail arrived twice"
    with open_stores(data_dir) as stores:
        entries = stores.outbox.in_state(*OutboxState)
        assert len(entries) == MAILS and len({e.piece_ids[0] for e in entries}) == MAILS
        uncertain = [e for e in entries if e.state is OutboxState.uncertain]
        settled = [e for e in entries if e.state is not OutboxState.uncertain]
        assert len(uncertain) <= KILLS * CONNECTIONS
        assert all("the app stopped while this message was being sent" in e.last_error for e in uncertain)
        assert all(e.state is OutboxState.sent and arrived[e.message_id] == 1 for e in settled)
        assert set(arrived) - {e.message_id for e in entries} == set()
        history = Counter(r.message_id for c in stores.contacts.all() for r in stores.history.for_contact(c.id))
        assert history == Counter({e.message_id: 1 for e in settled})
        assert stores.outbox.unrecorded() == []
