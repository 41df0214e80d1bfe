"""What every worker process BatchMail spawns does first (the PDF workers, the template worker)."""

from __future__ import annotations

import multiprocessing
import os
import threading


def die_with_parent() -> None:
    """End this worker as soon as the process that started it ends, however it ends (a SIGKILL included): the
    parent holds one end of a pipe that its death closes, and a thread waits for that. Without it, the workers of
    a killed BatchMail would run on, ~100 MB each, until the machine restarts."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)  # the parent is gone: nothing is left to hand a result to

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
