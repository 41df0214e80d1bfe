"""Worker processes do not outlive BatchMail: a process that started the PDF workers and the template worker is
killed with SIGKILL (nothing of it runs to close them), and every worker is gone within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GONE_WITHIN = 10.0  # seconds

STARTER = textwrap.dedent(
    """
    import multiprocessing, sys, time
    from batchmail.documents.pdf import PdfRenderer
    from batchmail.sending.template_runner import RUNNER

    if __name__ == "__main__":
        renderer = PdfRenderer(workers=2)
        renderer.start()
        assert RUNNER.render([("subject", "Facture {{ n }}")], {"n": "1"}, ("n",)) == {"subject": "Facture 1"}
        print(" ".join(str(child.pid) for child in multiprocessing.active_children()), flush=True)
        time.sleep(600)
    """
)


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for a reaper has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_workers_of_a_killed_process_end_within_seconds(tmp_path: Path) -> None:
    script = tmp_path / "starter.py"
    script.write_text(STARTER, encoding="utf-8")
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 3, "two PDF workers and the template worker"
        assert all(running(pid) for pid in workers)
    finally:
        parent.send_signal(signal.SIGKILL)  # the parent alone, not its group: the workers must see it go
        parent.wait()
    deadline = time.monotonic() + GONE_WITHIN
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in workers if running(pid)] == []
