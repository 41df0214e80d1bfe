"""The queue page ("File d'attente"): the mails not sent yet (waiting, failed, uncertain) with why, filtered by
state; retry them (in the background, with progress), change an address, or drop them.

The page follows the queue without reading it over and over: a light timer compares the queue service's version
and the progress of the app's jobs (a send from the batch page) with what it last showed, and reads the queue
again, off the event loop, only when one moved.
"""

from __future__ import annotations

from collections import Counter

from nicegui import ui

from batchmail.errors import BatchMailError, InvalidAddress
from batchmail.sending.outbox import OutboxState
from batchmail.sending.report import BatchReport
from batchmail.services.queue import QueueItem, QueueService
from batchmail.wiring import App
from ui import i18n
from ui.components.queue_dialogs import address_dialog, confirm, detail_dialog
from ui.components.queue_table import FILTER_STATES, QueueFilter, QueueTable
from ui.jobs import Job, Jobs
from ui.layout import frame
from ui.treatments import TREATMENTS

KEY = "queue"  # the job retrying mails
POLL_SECONDS = 1.0
_WATCHED_JOBS = (KEY, *(treatment.key for treatment in TREATMENTS))
_WAITING = FILTER_STATES[QueueFilter.waiting]


def register(app: App, jobs: Jobs) -> None:
    @ui.page("/queue")
    async def queue_page() -> None:
        async with frame(app, "/queue", i18n.t("queue.title")):
            page = QueuePage(app.queue, jobs)
            await page.refresh()


class QueuePage:
    def __init__(self, queue: QueueService, jobs: Jobs) -> None:
        self.queue = queue
        self.jobs = jobs
        self.items: dict[int, QueueItem] = {}
        self.shown_filter = QueueFilter.all
        self.seen: tuple[object, ...] = ()
        job = jobs.last(KEY)
        self.reported: Job | None = job if job is None or job.finished else None  # its summary shown once
        ui.label(i18n.t("queue.intro")).classes("text-sm text-grey-8")
        with ui.row().classes("w-full items-center gap-2"):
            self.chips = {
                name: ui.chip(on_click=lambda name=name: self.choose(name)).props(
                    f"clickable data-testid=queue-filter-{name.value}"
                )
                for name in QueueFilter
            }
            ui.space()
            self.ticked_label = ui.label().classes("text-sm text-grey-8").props("data-testid=queue-ticked")
            self.retry_button = ui.button(i18n.t("queue.retry"), icon="send", on_click=self.retry_ticked)
            self.retry_button.props("unelevated no-caps data-testid=queue-retry-ticked")
            self.drop_button = ui.button(i18n.t("queue.drop"), icon="delete", on_click=self.drop_ticked)
            self.drop_button.props("outline no-caps color=negative data-testid=queue-drop-ticked")
        with ui.row().classes("w-full items-center gap-3"):
            self.progress = ui.linear_progress(value=0, show_value=False, size="8px").classes("grow")
            self.progress.props("rounded data-testid=queue-progress")
            self.progress_label = ui.label().classes("text-sm text-grey-8").props("data-testid=queue-progress-text")
        self.empty = ui.label().classes("text-base text-grey-8 py-6").props("data-testid=queue-empty")
        self.table = QueueTable(
            on_open=self.open, on_retry=self.retry_one, on_address=self.address, on_drop=self.drop_one
        )
        self.table.table.on_select(self.show_ticked)
        self.dialogs = ui.element("div")
        self.show_job(jobs.last(KEY))
        self.show_ticked()
        ui.timer(POLL_SECONDS, self.poll)

    # -- following the queue ------------------------------------------------------------------------------------

    def marker(self) -> tuple[object, ...]:
        """Cheap to take: what changes whenever the queue may have moved."""
        running = ((key, job.done, job.finished) for key in _WATCHED_JOBS if (job := self.jobs.last(key)))
        return (self.queue.version, *running)

    async def poll(self) -> None:
        job = self.jobs.last(KEY)
        self.show_job(job)
        if job is not None and job.finished and job is not self.reported:
            self.reported = job
            self.report(job)
        if self.marker() != self.seen:
            await self.refresh()

    async def refresh(self) -> None:
        self.seen = self.marker()
        try:
            items = await self.queue.list()
        except BatchMailError as err:
            ui.notify(i18n.t("queue.error", error=err), type="negative", multi_line=True)
            return
        self.items = {item.entry.id: item for item in items}
        self.show()

    def choose(self, name: QueueFilter) -> None:
        self.shown_filter = name
        self.show()

    def show(self) -> None:
        counts = Counter(item.entry.state for item in self.items.values())
        for name, chip in self.chips.items():
            count = sum(counts[state] for state in FILTER_STATES[name])
            chip.text = f"{i18n.t(f'queue.filter.{name.value}')} ({i18n.number(count)})"
            chip.props(f"color={'primary' if name is self.shown_filter else 'grey-3'}")
            chip.props(f"text-color={'white' if name is self.shown_filter else 'grey-9'}")
        wanted = FILTER_STATES[self.shown_filter]
        shown = [item for item in self.items.values() if item.entry.state in wanted]
        self.table.show(shown)
        self.table.table.set_visibility(bool(shown))
        self.empty.text = i18n.t("queue.empty" if not self.items else "queue.empty.filter")
        self.empty.set_visibility(not shown)
        self.show_ticked()

    def show_ticked(self) -> None:
        ticked = len(self.table.ticked)
        self.ticked_label.text = i18n.t("queue.selected", count=i18n.number(ticked)) if ticked else ""
        self.retry_button.set_enabled(bool(ticked))
        self.drop_button.set_enabled(bool(ticked))

    def show_job(self, job: Job | None) -> None:
        running = job is not None and not job.finished
        self.progress.set_visibility(running)
        self.progress_label.set_visibility(running)
        if job is not None and running:
            self.progress.value = job.fraction
            self.progress_label.text = i18n.t(
                "queue.retry.running", done=i18n.number(job.done), total=i18n.number(job.total)
            )

    def report(self, job: Job) -> None:
        if job.error:
            ui.notify(i18n.t("queue.error", error=job.error), type="negative", multi_line=True, close_button=True)
            return
        reports: list[BatchReport] = job.result or []
        states = Counter(row.state for report in reports for row in report.rows.values())
        ui.notify(
            i18n.t(
                "queue.retry.done",
                sent=i18n.number(states[OutboxState.sent]),
                waiting=i18n.number(sum(states[s] for s in _WAITING)),
                failed=i18n.number(states[OutboxState.failed]),
                uncertain=i18n.number(states[OutboxState.uncertain]),
            ),
            type="positive" if states[OutboxState.sent] == sum(states.values()) else "warning",
            multi_line=True,
        )

    # -- actions ------------------------------------------------------------------------------------------------

    async def open(self, entry_id: int) -> None:
        item = self.items.get(entry_id)
        if item is None:
            return
        self.dialogs.clear()
        with self.dialogs:
            detail_dialog(item, on_retry=self.retry_one, on_address=self.address, on_drop=self.drop_one)

    async def retry_one(self, entry_id: int) -> None:
        await self.retry([entry_id])

    async def retry_ticked(self) -> None:
        await self.retry(self.table.ticked)

    async def retry(self, entry_ids: list[int]) -> None:
        """In the background, with progress; an uncertain mail only once the user accepted it may arrive twice."""
        uncertain = sum(1 for i in entry_ids if i in self.items and self.items[i].entry.state is OutboxState.uncertain)
        if uncertain:
            self.dialogs.clear()
            with self.dialogs:
                asked = confirm(
                    i18n.t("queue.uncertain.title"),
                    i18n.t("queue.uncertain.text", count=i18n.number(uncertain)),
                    i18n.t("queue.uncertain.confirm"),
                    colour="deep-purple-6",
                    test_id="queue-uncertain",
                )
            if not await asked:
                return
        queue = self.queue

        async def work(job: Job) -> list[BatchReport]:
            job.total = len(entry_ids)
            reports: dict[str, BatchReport] = {}

            def progress(report: BatchReport) -> None:
                reports[report.batch_id] = report
                job.done, job.result = sum(r.done for r in reports.values()), list(reports.values())

            return await queue.retry_many(entry_ids, uncertain=bool(uncertain), on_progress=progress)

        job = self.jobs.start(KEY, work)
        if job is None:
            ui.notify(i18n.t("treatment.busy"), type="warning")
            return
        self.table.untick()
        self.show_job(job)

    async def address(self, entry_id: int) -> None:
        item = self.items.get(entry_id)
        if item is None:
            return

        async def save(address: str, send: bool) -> str:
            try:
                changed = await self.queue.change_address(entry_id, address)
            except InvalidAddress as err:
                return i18n.t("queue.address.invalid", error=err)
            except BatchMailError as err:
                return i18n.t("queue.error", error=err)
            ui.notify(i18n.t("queue.address.saved", id=entry_id, address=", ".join(changed.recipients)))
            await self.refresh()
            if send:
                await self.retry([entry_id])
            return ""

        self.dialogs.clear()
        with self.dialogs:
            address_dialog(item, save)

    async def drop_one(self, entry_id: int) -> None:
        await self.drop([entry_id])

    async def drop_ticked(self) -> None:
        await self.drop(self.table.ticked)

    async def drop(self, entry_ids: list[int]) -> None:
        self.dialogs.clear()
        with self.dialogs:
            asked = confirm(
                i18n.t("queue.drop.title"),
                i18n.t("queue.drop.text", count=i18n.number(len(entry_ids))),
                i18n.t("queue.drop"),
                colour="negative",
                test_id="queue-drop",
            )
        if not await asked:
            return
        try:
            dropped = await self.queue.drop_many(entry_ids)
        except BatchMailError as err:
            ui.notify(i18n.t("queue.error", error=err), type="negative", multi_line=True)
        else:
            ui.notify(i18n.t("queue.dropped", count=i18n.number(dropped)))
        self.table.untick()
        await self.refresh()
