"""Jobs that run in the background, owned by the app rather than by a page: a send goes on when the page that
started it is reloaded or closed, and the page that comes back shows its progress again.

One job at a time: two treatments running over the same batch at once (two sends of it) is never what the user
meant.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nicegui import background_tasks

from batchmail.errors import BatchMailError

log = logging.getLogger(__name__)


@dataclass(kw_only=True, slots=True)
class Job:
    key: str  # the treatment that runs it
    done: int = 0
    total: int = 0
    result: Any = None  # what the treatment made of it (a send report), possibly while it runs
    error: str = ""
    finished: bool = False

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class Jobs:
    def __init__(self) -> None:
        self._last: dict[str, Job] = {}

    def last(self, key: str) -> Job | None:
        """The job of that treatment running now, or the last one that ran."""
        return self._last.get(key)

    @property
    def busy(self) -> bool:
        return any(not job.finished for job in self._last.values())

    def start(self, key: str, work: Callable[[Job], Awaitable[Any]]) -> Job | None:
        """Run `work(job)` in the background; its return value becomes `job.result`. None, and nothing started,
        while another job runs."""
        if self.busy:
            return None
        job = self._last[key] = Job(key=key)

        async def run() -> None:
            try:
                job.result = await work(job)
            except BatchMailError as err:
                job.error = str(err)
            except Exception as err:
                job.error = f"{type(err).__name__}: {err}"
                log.exception("job %s failed", key)
            finally:
                job.finished = True

        background_tasks.create(run(), name=f"batchmail-job-{key}")
        return job
