"""What a treatment tab is: a label, an icon and a `build` that fills the tab from the workspace context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nicegui import ui

from batchmail.wiring import App
from ui.jobs import Jobs


@dataclass(kw_only=True, slots=True)
class WorkspaceContext:
    """What the batch page gives a treatment."""

    app: App  # the treatment takes the services it calls from here
    jobs: Jobs  # run the treatment here: it survives a page reload and shows its progress again
    batch_ids: Callable[[], Awaitable[list[int]]]  # the pieces of the batch, now
    changed: Callable[[], Awaitable[None]]  # call once a run changed pieces: the grids and the batch refresh


@dataclass(frozen=True, slots=True)
class Treatment:
    key: str  # also the tab's test id: treatment-<key>
    label_key: str  # in ui/labels
    icon: str  # a Material icon name
    build: Callable[[ui.element, WorkspaceContext], Awaitable[None]]  # fills the tab: parameters, Preview, Run
