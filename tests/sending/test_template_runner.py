"""User templates are written in a worker process within bounds no sandbox check gives: a time limit (the worker
past it is killed and replaced), a memory limit, a longest source; a template that broke a bound is refused at once
afterwards."""

from __future__ import annotations

import time

from batchmail.domain.keywords import KEYWORDS
from batchmail.sending.template_runner import TemplateRunner
from batchmail.sending.template_sandbox import MAX_SOURCE, FieldProblem, ProblemKind

HOSTILE = "{{ ([[1] * 9999] * 9999)|sum(start=[])|length }}"  # each step within the sandbox's limits: slow
GREEDY = "{{ ([[1] * 9999] * 9999)|string|length }}"  # a text of 300 million characters, built at once
VALUES = dict.fromkeys(KEYWORDS, "x") | {"NUMFACT": "FA-2026-00042"}


def test_a_template_past_the_time_limit_is_stopped_named_and_refused_at_once_afterwards() -> None:
    runner = TemplateRunner(seconds=1.0)
    try:
        started = time.monotonic()
        problem = runner.render([("subject", "Facture %NUMFACT%"), ("body", HOSTILE)], VALUES, KEYWORDS)
        assert time.monotonic() - started < 5
        assert isinstance(problem, FieldProblem)
        assert (problem.field, problem.kind) == ("body", ProblemKind.limit)
        assert problem.detail == "the body took more than 1 s to write"

        started = time.monotonic()
        assert runner.render([("body", HOSTILE)], VALUES, KEYWORDS) == problem
        assert time.monotonic() - started < 0.1  # known: not tried again

        # A new worker took the stopped one's place: other templates still write.
        assert runner.render([("subject", "Facture %NUMFACT%")], VALUES, KEYWORDS) == {
            "subject": "Facture FA-2026-00042"
        }
    finally:
        runner.close()


def test_a_template_past_the_memory_limit_is_named_and_the_worker_replaced() -> None:
    runner = TemplateRunner(seconds=30.0, memory_bytes=300 * 1024 * 1024)
    try:
        problem = runner.render([("body", GREEDY)], VALUES, KEYWORDS)
        assert isinstance(problem, FieldProblem) and problem.kind is ProblemKind.limit
        assert "memory" in problem.detail
        assert runner.render([("body", "Bonjour")], VALUES, KEYWORDS) == {"body": "Bonjour"}
    finally:
        runner.close()


def test_a_source_longer_than_a_template_may_be_is_refused_unread() -> None:
    runner = TemplateRunner()
    try:
        problem = runner.render([("body", "x" * (MAX_SOURCE + 1))], VALUES, KEYWORDS)
        assert isinstance(problem, FieldProblem) and problem.kind is ProblemKind.limit
        assert f"more than the {MAX_SOURCE:,} a template may have" in problem.detail
    finally:
        runner.close()
