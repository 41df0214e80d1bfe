"""One planned message as its recipient will see it: the headers, the HTML body in a sandboxed frame (no script, no
access to the app), the plain-text part, the attachments; and what only the user sees: the blind copies and the
warnings accepted for it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from nicegui import ui

from batchmail.sending.preview import PlannedMessage
from ui import i18n
from ui.components.report import warning_text

_MB = 1_000_000


def size_text(size: int) -> str:
    """ "840 Ko", "12,5 Mo": decimal units, as mail providers state their limits."""
    if size < _MB:
        return i18n.t("preview.size.kb", size=i18n.number(max(1, round(size / 1_000))))
    megabytes = (Decimal(size) / _MB).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return i18n.t("preview.size.mb", size=i18n.number(megabytes))


def open_message(message: PlannedMessage) -> None:
    """Open the message in a dialog, removed from the page once closed."""
    with ui.dialog() as dialog, ui.card().classes("w-[960px] max-w-[96vw] gap-2 no-wrap") as card:
        card.props("data-testid=message-view")
        with ui.row().classes("w-full items-start no-wrap"):
            ui.label(message.subject).classes("text-lg font-semibold").props("data-testid=message-subject")
            ui.space()
            ui.button(icon="close", on_click=dialog.close).props("flat round dense data-testid=message-close")
        _headers(message)
        for warning in message.warnings:
            ui.label(warning_text(warning)).classes("text-sm text-orange-9").props("data-testid=message-warning")
        with ui.tabs().props("dense align=left no-caps").classes("text-grey-8") as tabs:
            html_tab = ui.tab("html", label=i18n.t("preview.html")).props("data-testid=message-tab-html")
            ui.tab("text", label=i18n.t("preview.text")).props("data-testid=message-tab-text")
            ui.tab("files", label=f"{i18n.t('preview.attachments')} ({len(message.attachments)})").props(
                "data-testid=message-tab-files"
            )
        with ui.tab_panels(tabs, value=html_tab).classes("w-full").props("animated=false"):
            with ui.tab_panel("html").classes("p-0"):
                frame = ui.element("iframe").classes("w-full h-[55vh] border rounded bg-white")
                frame.props["sandbox"] = ""  # every restriction: the mail's HTML runs nothing and reaches nothing
                frame.props["srcdoc"] = message.html_body
                frame.props["data-testid"] = "message-html"
            with (
                ui.tab_panel("text").classes("p-0"),
                ui.element("div").classes("w-full h-[55vh] overflow-auto border rounded"),
            ):
                ui.label(message.text_body).classes("whitespace-pre-wrap font-mono text-sm p-3").props(
                    "data-testid=message-text"
                )
            with ui.tab_panel("files"):
                _attachments(message)
    dialog.on("hide", dialog.delete)
    dialog.open()


def _headers(message: PlannedMessage) -> None:
    with ui.grid(columns="110px 1fr").classes("w-full gap-x-3 gap-y-1 text-sm"):
        _header("preview.from", message.from_header, "message-from")
        _header("preview.to", ", ".join(message.to), "message-to")
        if message.cc:
            _header("preview.cc", ", ".join(message.cc), "message-cc")
        if message.bcc:
            _header("preview.bcc", f"{', '.join(message.bcc)} ({i18n.t('preview.bcc.hint')})", "message-bcc")
        flags = [
            i18n.t(key)
            for key, on in (
                ("send.priority", message.high_priority),
                ("send.read_receipt", message.read_receipt),
                ("send.delivery_receipt", message.delivery_receipt),
            )
            if on
        ]
        if flags:
            _header("preview.flags", ", ".join(flags), "message-flags")
        _header("preview.size", size_text(message.size), "message-size")


def _header(label_key: str, value: str, test_id: str) -> None:
    ui.label(i18n.t(label_key)).classes("text-grey-7")
    ui.label(value).classes("break-all").props(f"data-testid={test_id}")


def _attachments(message: PlannedMessage) -> None:
    if not message.attachments:
        ui.label(i18n.t("preview.no_attachment")).classes("text-sm text-grey-8")
        return
    with ui.column().classes("gap-1 text-sm").props("data-testid=message-files"):
        for attachment in message.attachments:
            with ui.row().classes("items-center gap-2"):
                ui.icon("attach_file", size="18px").classes("text-grey-7")
                ui.label(attachment.name)
                ui.label(size_text(attachment.size)).classes("text-grey-7")
