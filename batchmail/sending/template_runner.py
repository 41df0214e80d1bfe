"""User templates rendered in a worker process of their own, within bounds no sandbox check can give: a time limit
per mail (a worker past it is killed and replaced) and a memory limit (Unix), on top of the sandbox's limits on what
a template may build and write. A template pasted into the editor, checked at save or sent can then cost at most a
few seconds of one process, never a frozen app or a MemoryError.

One worker serves the whole application; calls are serialised, and each is a round trip on a pipe (~0.1 ms): a
batch of a thousand mails spends well under a second on it. A template that broke a bound once is refused at
once for the rest of the runner's life, so one hostile template cannot hold a batch for seconds per mail.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from batchmail.errors import ConfigurationError
from batchmail.sending.template_sandbox import FieldProblem, ProblemKind, render_field
from batchmail.workers import die_with_parent

RENDER_SECONDS = 2.0  # the most one mail's texts may take to write
MEMORY_BYTES = 768 * 1024 * 1024  # the worker's address space (Unix)
_START_SECONDS = 30.0  # for a worker to start (a cold disk)

Fields = Sequence[tuple[str, str]]  # (field name, source) of one template, in order


class TemplateRunner:
    def __init__(self, *, seconds: float = RENDER_SECONDS, memory_bytes: int = MEMORY_BYTES) -> None:
        self._seconds = seconds
        self._memory = memory_bytes
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._pipe: Connection | None = None
        self._refused: dict[tuple[str, str], FieldProblem] = {}  # (field, source) -> the bound it broke

    def render(
        self, fields: Fields, values: dict[str, str], keywords: tuple[str, ...]
    ) -> dict[str, str] | FieldProblem:
        """Each field written with `values`, or the first problem found (a bound broken included). Blocking: call it
        from a worker thread."""
        for field, source in fields:
            if (field, source) in self._refused:
                return self._refused[(field, source)]
        with self._lock:
            pipe = self._started()
            pipe.send((list(fields), values, keywords))
            current = fields[0][0] if fields else ""
            while pipe.poll(self._seconds):
                try:
                    answer = pipe.recv()
                except EOFError:  # the worker died: past its memory, most likely
                    return self._broken(fields, current, "used more memory than a template may")
                if isinstance(answer, str):  # the field it starts writing
                    current = answer
                    continue
                result: dict[str, str] | FieldProblem = answer
                return result
            return self._broken(fields, current, f"took more than {self._seconds:g} s to write")

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _broken(self, fields: Fields, field: str, what: str) -> FieldProblem:
        self._stop()
        problem = FieldProblem(field=field, line=None, kind=ProblemKind.limit, keyword="", detail=f"the {field} {what}")
        source = dict(fields).get(field)
        if source is not None:
            self._refused[(field, source)] = problem
        return problem

    def _started(self) -> Connection:
        if self._pipe is None or self._process is None or not self._process.is_alive():
            self._stop()
            parent, child = multiprocessing.get_context("spawn").Pipe()
            process = multiprocessing.get_context("spawn").Process(
                target=_serve, args=(child, self._memory), name="batchmail-templates", daemon=True
            )
            process.start()
            child.close()
            try:
                if not parent.poll(_START_SECONDS):
                    raise TimeoutError
                parent.recv()  # ready
            except (TimeoutError, EOFError) as err:
                process.kill()
                raise ConfigurationError("the worker that writes message templates could not start") from err
            self._process, self._pipe = process, parent
        return self._pipe

    def _stop(self) -> None:
        process, pipe = self._process, self._pipe
        self._process = self._pipe = None
        if pipe is not None:
            pipe.close()
        if process is not None:
            process.kill()
            process.join(timeout=5)


def _serve(pipe: Connection, memory_bytes: int) -> None:
    """The worker: bounded, then rendering what it is sent until the pipe closes."""
    die_with_parent()
    with contextlib.suppress(ImportError, ValueError, OSError):  # no `resource` on Windows
        import resource  # noqa: PLC0415 - Unix only

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    pipe.send("ready")
    while True:
        try:
            fields, values, keywords = pipe.recv()
        except EOFError:
            return
        texts: dict[str, str] = {}
        answer: dict[str, str] | FieldProblem = texts
        for field, source in fields:
            pipe.send(field)
            try:
                written = render_field(field, source, values, keywords)
            except MemoryError:
                written = FieldProblem(
                    field=field,
                    line=None,
                    kind=ProblemKind.limit,
                    keyword="",
                    detail=f"the {field} needs too much memory",
                )
            if isinstance(written, FieldProblem):
                answer = written
                break
            texts[field] = written
        pipe.send(answer)


RUNNER = TemplateRunner()  # the application's: every template rendered goes through it
atexit.register(RUNNER.close)
