"""The sandbox a user's message template runs in: Jinja2's immutable sandbox with no globals, a short list of
filters and string methods, and limits on everything that could build a text large enough to exhaust memory.

`compile_text` turns a subject or body (keywords as ``{{ NAME }}`` or ``%NAME%``) into a template, refusing macros,
recursive loops, underscore attributes and unknown keywords; `write` renders it within `MAX_TEXT` characters;
`render_field` does both for one field and says what went wrong as a `FieldProblem`. What no such check can bound
(time, memory) the template worker does (template_runner.py), which calls `render_field`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from batchmail.errors import SandboxProblem

PERCENT_KEYWORD = re.compile(r"%([A-Z][A-Z0-9_]*)%")
MAX_REPEAT = 10_000  # longest string or list a template may build with `*`
MAX_TEXT = 1_000_000  # longest subject or body a template may write
MAX_SOURCE = 20_000  # longest subject or body a template may have, as typed


class ProblemKind(StrEnum):
    unknown_keyword = "unknown_keyword"  # a name that is not one of the keywords
    syntax = "syntax"  # Jinja2 cannot parse the text, or it names an unknown filter or test
    not_allowed = "not_allowed"  # a construct the sandbox refuses (macro, "_" attribute, string method, `**`...)
    error = "error"  # the text parses but fails when rendered (adding a number to a text...)
    limit = "limit"  # too long a text, too slow or too greedy to render: past the bounds a template must keep


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What keeps one field of a template from rendering, and where (plain values: it crosses processes)."""

    field: str  # "subject" or "body"
    line: int | None  # in that field, from 1; None when unknown
    kind: ProblemKind
    keyword: str  # the unknown keyword's name (without %), "" for the other kinds
    detail: str  # in English


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing what could build a text large enough to exhaust memory: `**`, `%` formatting,
    `*` products past MAX_REPEAT, string methods, `.format` and filters that pad or format to a given width."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the ** operator is not allowed in a message template")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("formatting a text with % is not allowed in a message template")
        sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
        counts = [v for v in (left, right) if isinstance(v, int)]
        if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_REPEAT:
            raise SecurityError("this repetition would build too long a text")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # The sandbox hands out str.format itself, before the attribute check: a width of 10**9 would fill memory.
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: Any, **kwargs: Any) -> str:
            raise SecurityError("formatting a text with .format is not allowed in a message template")

        return refused

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr not in _STR_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _join(value: Any, separator: str = "") -> str:
    """The `join` filter, refusing a result past MAX_TEXT (a list of long texts repeated joins into gigabytes)."""
    items = [str(item) for item in value]
    if sum(map(len, items)) + len(str(separator)) * len(items) > MAX_TEXT:
        raise SecurityError("this join would build too long a text")
    return str(separator).join(items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """The `replace` filter, refusing a result past MAX_TEXT (replacing "" inserts between every character)."""
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if len(text) + hits * len(new) > MAX_TEXT:
        raise SecurityError("this replacement would build too long a text")
    return text.replace(old, new, -1 if count is None else count)


_STR_METHODS = frozenset(
    {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith", "split"}
)
_FILTERS = frozenset(
    {
        *("abs", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last", "length"),
        *("list", "lower", "max", "min", "reverse", "round", "sort", "string", "striptags", "sum", "title"),
        *("trim", "truncate", "unique", "upper", "wordcount"),
    }
)
_ENV = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.globals.clear()
_ENV.filters = {name: function for name, function in _ENV.filters.items() if name in _FILTERS}
_ENV.filters["replace"] = _replace
_ENV.filters["join"] = _join


@lru_cache(maxsize=256)
def compile_text(source: str, keywords: tuple[str, ...]) -> jinja2.Template:
    """Translate %NAME%, parse, refuse what `_checked` refuses, compile."""
    try:
        return _ENV.from_string(_checked(_ENV.parse(PERCENT_KEYWORD.sub(r"{{ \1 }}", source)), keywords))
    except TemplateSyntaxError as err:  # also an unknown filter or test
        raise SandboxProblem(err.lineno, f"syntax error: {err.message}") from err
    except RecursionError as err:
        raise SandboxProblem(None, "expressions nested too deeply") from err


def _checked(tree: nodes.Template, keywords: tuple[str, ...]) -> nodes.Template:
    """The tree, if it has no macro, recursive loop, underscore attribute or unknown keyword."""
    for block in tree.find_all((nodes.Macro, nodes.CallBlock, nodes.For)):
        # A macro or a recursive loop can call itself without end; loops within loops run for as long.
        if not isinstance(block, nodes.For) or block.recursive or _has_inner_loop(block):
            raise SandboxProblem(
                block.lineno,
                "macros, recursive loops and loops within loops are not allowed in a message template",
                ProblemKind.not_allowed,
            )
    for assign in tree.find_all((nodes.Assign, nodes.AssignBlock)):
        # A text kept and doubled line after line outgrows any limit on what one expression builds.
        raise SandboxProblem(assign.lineno, "{% set %} is not allowed in a message template", ProblemKind.not_allowed)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(getattr(node, "arg", None), "value", None)
        if isinstance(attr, str) and attr.startswith("_"):
            raise SandboxProblem(node.lineno, f"access to {attr!r} is not allowed", ProblemKind.not_allowed)
    unknown = meta.find_undeclared_variables(tree) - set(keywords)
    if unknown:
        names = [n for n in tree.find_all(nodes.Name) if n.name in unknown]
        first = min(names, key=lambda n: n.lineno)
        known = ", ".join(f"%{k}%" for k in keywords)
        message = f"unknown keyword %{first.name}% (known keywords: {known})"
        raise SandboxProblem(first.lineno, message, ProblemKind.unknown_keyword, first.name)
    return tree


def _has_inner_loop(loop: nodes.For) -> bool:
    return any(isinstance(node, nodes.For) or any(node.find_all(nodes.For)) for node in (*loop.body, *loop.else_))


def explain(err: TemplateError) -> str:
    if isinstance(err, SecurityError):
        return f"not allowed: {err}"
    return f"{type(err).__name__}: {err}"


def template_line(err: BaseException) -> int | None:
    """The template line an error was raised at: Jinja2 rewrites its tracebacks to show template lines."""
    line = None
    tb: TracebackType | None = err.__cause__.__traceback__ if err.__cause__ else err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_field(field: str, source: str, values: dict[str, str], keywords: tuple[str, ...]) -> str | FieldProblem:
    """One field of a template written with `values`, or what keeps it from being written."""
    if len(source) > MAX_SOURCE:
        detail = f"{len(source):,} characters, more than the {MAX_SOURCE:,} a template may have"
        return FieldProblem(field=field, line=None, kind=ProblemKind.limit, keyword="", detail=detail)
    try:
        compiled = compile_text(source, keywords)
    except SandboxProblem as err:
        return FieldProblem(
            field=field, line=err.line, kind=ProblemKind(err.kind), keyword=err.keyword, detail=err.message
        )
    try:
        return write(compiled, values)
    except TemplateError as err:
        kind = ProblemKind.not_allowed if isinstance(err, SecurityError) else ProblemKind.error
        return FieldProblem(field=field, line=template_line(err), kind=kind, keyword="", detail=explain(err))
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        # Python's own errors out of an expression ({{ NUMFACT + 1 }}): Jinja2 lets them through.
        detail = f"{type(err).__name__}: {err}"
        return FieldProblem(field=field, line=template_line(err), kind=ProblemKind.error, keyword="", detail=detail)


def write(compiled: jinja2.Template, values: dict[str, str]) -> str:
    """The rendered text, written piece by piece so that a loop writing without end is stopped before memory runs
    out. Raises Jinja2's TemplateError, or Python's own errors out of an expression."""
    parts: list[str] = []
    size = 0
    for part in compiled.generate(values):
        size += len(part)
        if size > MAX_TEXT:
            raise SecurityError(f"this template writes more than {MAX_TEXT:,} characters")
        parts.append(part)
    return "".join(parts)
