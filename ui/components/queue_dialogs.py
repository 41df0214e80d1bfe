"""The queue's dialogs: a mail's detail, its new address, and the confirmations before a risky action. Each is
drawn in the current container and removed with the next one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from batchmail.sending.outbox import Attempt, OutboxState
from batchmail.services.queue import QueueItem
from ui import i18n
from ui.components.message_view import size_text
from ui.components.queue_table import STATE_COLOURS, RowAction, reason_of
from ui.components.tables import simple_table

# Saves the new address (and sends the mail when told to); returns the error to show, or "" once done.
SaveAddress = Callable[[str, bool], Awaitable[str]]


def confirm(title: str, text: str, confirm_label: str, *, colour: str, test_id: str) -> ui.dialog:
    """Ask before doing: awaiting the dialog opens it and gives True once the user confirmed."""
    with ui.dialog() as dialog, ui.card().classes("w-[560px] max-w-[95vw] gap-3").props(f"data-testid={test_id}"):
        ui.label(title).classes("text-lg font-semibold")
        ui.label(text).classes("text-sm").props(f"data-testid={test_id}-text")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(i18n.t("cancel"), on_click=lambda: dialog.submit(False)).props(
                f"flat no-caps data-testid={test_id}-cancel"
            )
            ui.button(confirm_label, on_click=lambda: dialog.submit(True)).props(
                f"unelevated no-caps color={colour} data-testid={test_id}-confirm"
            )
    return dialog


def address_dialog(item: QueueItem, save: SaveAddress) -> None:
    """The mail's new address: checked by the service, its error shown under the field, what was typed kept."""
    entry = item.entry
    with ui.dialog() as dialog, ui.card().classes("w-[520px] max-w-[95vw] gap-3").props("data-testid=queue-address"):
        ui.label(i18n.t("queue.address.title", id=entry.id)).classes("text-lg font-semibold")
        ui.label(i18n.t("queue.address.current", address=", ".join(entry.recipients))).classes("text-sm text-grey-8")
        field = ui.input(i18n.t("queue.address.new"), value=entry.recipients[0] if entry.recipients else "")
        field.classes("w-full").props("outlined dense autofocus data-testid=queue-address-input")

        async def submit(send: bool) -> None:
            error = await save((field.value or "").strip(), send)
            field.error = error or None
            if not error:
                dialog.close()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(i18n.t("cancel"), on_click=dialog.close).props("flat no-caps data-testid=queue-address-cancel")
            ui.button(i18n.t("queue.address.save"), on_click=lambda: submit(False)).props(
                "outline no-caps data-testid=queue-address-save"
            )
            ui.button(i18n.t("queue.address.save_send"), icon="send", on_click=lambda: submit(True)).props(
                "unelevated no-caps data-testid=queue-address-send"
            )
    field.on("keydown.enter", lambda: submit(False))
    dialog.open()


def detail_dialog(item: QueueItem, *, on_retry: RowAction, on_address: RowAction, on_drop: RowAction) -> None:
    """Everything the outbox knows of the mail, with the row's actions."""
    entry = item.entry
    with ui.dialog() as dialog, ui.card().classes("w-[820px] max-w-[95vw] gap-3").props("data-testid=queue-detail"):
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(i18n.t("queue.detail.title", id=entry.id)).classes("text-lg font-semibold")
            ui.badge(i18n.state(entry.state), color=STATE_COLOURS[entry.state]).props("data-testid=queue-detail-state")
            ui.space()
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        ui.label(reason_of(item)).classes("text-sm").props("data-testid=queue-detail-why")
        with ui.grid(columns="170px 1fr").classes("w-full gap-x-4 gap-y-1 text-sm"):
            answer = entry.last_error
            if entry.last_code is not None:
                answer = f"{i18n.t('queue.detail.code', code=entry.last_code)} · {answer}"
            facts = (
                ("contact", item.contact, ""),
                ("recipients", ", ".join(entry.recipients), "queue-detail-recipients"),
                ("sender", entry.sender, ""),
                ("subject", entry.subject, ""),
                ("pieces", ", ".join(item.numbers), ""),
                ("amount", i18n.money(item.total_incl_tax) if item.total_incl_tax is not None else "", ""),
                ("attachments", ", ".join(entry.attachments), ""),
                ("size", size_text(entry.size), ""),
                ("account", entry.account, ""),
                ("created", i18n.moment(entry.created_at), ""),
                ("attempts", i18n.number(entry.attempts), "queue-detail-attempts"),
                ("answer", answer, "queue-detail-answer"),
                ("server_text", entry.last_answer, "queue-detail-server-text"),
                ("next_try", i18n.moment(entry.next_try) if entry.next_try else "", ""),
                ("message_id", entry.message_id, "queue-detail-message-id"),
                ("batch", entry.batch_id, ""),
            )
            for key, value, test_id in facts:
                if not value:
                    continue
                ui.label(i18n.t(f"queue.detail.{key}")).classes("text-grey-7")
                shown = ui.label(value).classes("break-words")
                if test_id:
                    shown.props(f"data-testid={test_id}")
        if entry.tries:
            _tries_table(entry.tries)

        def then(action: RowAction) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                dialog.close()
                await action(entry.id)

            return run

        with ui.row().classes("w-full justify-end gap-2"):
            for key, icon, colour, action, test_id in (
                ("queue.drop", "delete", "negative", on_drop, "queue-detail-drop"),
                ("queue.address", "alternate_email", "grey-8", on_address, "queue-detail-address"),
                ("queue.retry", "send", "primary", on_retry, "queue-detail-retry"),
            ):
                button = ui.button(i18n.t(key), icon=icon, on_click=then(action))
                button.props(f"outline no-caps color={colour} data-testid={test_id}")
                button.set_enabled(entry.state is not OutboxState.sending)
    dialog.open()


def _tries_table(tries: list[Attempt]) -> None:
    """Every try the outbox kept, newest first, with the server's code and answer."""
    ui.label(i18n.t("queue.tries.title")).classes("text-base font-semibold")
    columns = [
        ("at", "queue.tries.at", "left"),
        ("state", "queue.tries.state", "left"),
        ("answer", "queue.tries.answer", "left"),
    ]
    rows = [
        {
            "at": i18n.moment(attempt.at),
            "state": i18n.state(attempt.state),
            "answer": " · ".join(
                part
                for part in (i18n.t("queue.detail.code", code=attempt.code) if attempt.code else "", attempt.answer)
                if part
            ),
        }
        for attempt in reversed(tries)
    ]
    simple_table(columns, rows, "queue-detail-tries", per_page=5)
