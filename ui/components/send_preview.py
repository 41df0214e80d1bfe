"""The preview of a send: every message with its warnings (a click opens it as its recipient will see it), the
pieces left out with the warnings that block them, and those held back as already sent. Nothing is sent."""

from __future__ import annotations

from nicegui import events, ui

from batchmail.sending.preview import Preview
from ui import i18n
from ui.components.message_view import open_message, size_text
from ui.components.report import ROWS_PER_PAGE, held_table, skipped_table, warning_text
from ui.components.tables import simple_table


def open_preview(preview: Preview) -> None:
    """Show the preview in a dialog, removed from the page once closed."""
    columns = [
        ("pieces", "preview.pieces", "left"),
        ("recipients", "preview.to", "left"),
        ("subject", "preview.subject", "left"),
        ("attachments", "preview.attachments", "left"),
        ("size", "preview.size", "right"),
        ("warnings", "preview.warnings", "left"),
    ]
    rows = [
        {
            "id": n,
            "pieces": ", ".join(m.numbers),
            "recipients": ", ".join((*m.to, *m.cc)),
            "subject": m.subject,
            "attachments": ", ".join(a.name for a in m.attachments),
            "size": size_text(m.size),
            "warnings": " ; ".join(warning_text(w) for w in m.warnings),
        }
        for n, m in enumerate(preview.messages)
    ]

    def open_row(event: events.GenericEventArguments) -> None:
        open_message(preview.messages[int(event.args[1]["id"])])

    with ui.dialog() as dialog, ui.card().classes("w-[1100px] max-w-[95vw] gap-3") as card:
        card.props("data-testid=send-preview-dialog")
        with ui.row().classes("w-full items-center"):
            ui.label(i18n.t("preview.title")).classes("text-lg font-semibold")
            ui.space()
            ui.button(icon="close", on_click=dialog.close).props("flat round dense data-testid=send-preview-close")
        count = i18n.number(len(preview.messages))
        ui.label(i18n.t("preview.count", count=count, size=size_text(preview.total_size))).classes(
            "text-sm text-grey-8"
        ).props("data-testid=send-preview-count")
        if preview.test_mode:
            ui.label(i18n.t("report.test")).classes("text-sm text-orange-9")
        if preview.messages:
            ui.label(i18n.t("preview.open")).classes("text-sm text-grey-8")
            table = simple_table(columns, rows, "send-preview-messages", per_page=ROWS_PER_PAGE)
            table.classes("cursor-pointer")
            table.on("rowClick", open_row, [[], ["id"], None])
        if preview.skipped:
            skipped_table(preview.skipped)
        if preview.held:
            held_table(preview.held)
    dialog.on("hide", dialog.delete)
    dialog.open()
