"""One error tree: every exception class BatchMail defines derives from BatchMailError, and the send kinds carry
what the UI and the queue show as fields."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import timedelta

import batchmail
import storage
from batchmail.errors import BatchMailError, ImportRowError, InvalidAddress, TemporaryFailure


def _modules() -> list[str]:
    names = []
    for package in (batchmail, storage):
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return names


def test_every_exception_the_project_defines_is_in_the_tree() -> None:
    defined = {
        f"{module}.{name}": cls
        for module in _modules()
        for name, cls in inspect.getmembers(importlib.import_module(module), inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module
    }
    assert len(defined) > 15, "the walk found the error classes"
    outside = [name for name, cls in defined.items() if not issubclass(cls, BatchMailError)]
    assert outside == []


def test_a_send_failure_keeps_the_servers_code_words_and_delay_apart_from_the_reason() -> None:
    failure = TemporaryFailure(
        "the server refused the message: try later",
        transport="office",
        recipient="jean@example.com",
        code=451,
        server_text="try later",
        retry_after=timedelta(minutes=5),
    )
    assert (failure.code, failure.server_text, failure.retry_after) == (451, "try later", timedelta(minutes=5))
    assert str(failure) == "[office jean@example.com] 451 the server refused the message: try later"


def test_input_errors_name_where_the_value_was() -> None:
    row = ImportRowError(7, "'x' is not a date (YYYY-MM-DD)", field="date", file="pieces.csv")
    assert (row.file, row.line, row.field) == ("pieces.csv", 7, "date")
    assert str(row) == "line 7, date: 'x' is not a date (YYYY-MM-DD)"
    address = InvalidAddress("jean@", "no domain", field="single recipient")
    assert str(address) == "single recipient: 'jean@' is not a valid email address (no domain)"
