"""The contacts page: every contact, searched by name, company or address (without case or accents), each
opening its drawer (details, pieces, mails sent)."""

from __future__ import annotations

from nicegui import events, ui

from batchmail.domain.contacts import Contact
from batchmail.wiring import App
from ui import i18n
from ui.components.drawers import Drawers
from ui.jobs import Jobs
from ui.layout import frame

ROWS_PER_PAGE = 25


def register(app: App, jobs: Jobs) -> None:
    @ui.page("/contacts")
    async def contacts_page() -> None:
        async with frame(app, "/contacts", i18n.t("contacts.title")):
            drawers = Drawers(app.workspace)
            columns = [
                {"name": key, "label": i18n.t(f"col.{key}"), "field": key, "align": "left", "sortable": True}
                for key in ("name", "company", "email", "language", "kind")
            ]
            with ui.row().classes("w-full items-center gap-3"):
                search = ui.input(i18n.t("contacts.search")).classes("w-[360px]")
                search.props(
                    "outlined dense clearable debounce=300 prepend-inner-icon=search data-testid=contact-search"
                )
                count = ui.label().classes("text-sm text-grey-8").props("data-testid=contact-count")
            table = ui.table(columns=columns, rows=[], row_key="id", pagination=ROWS_PER_PAGE).classes("w-full")
            table.props("flat bordered dense data-testid=contact-table").classes("cursor-pointer")
            table.on("rowClick", lambda e: drawers.contact(int(e.args[1]["id"])))

            async def show(text: str) -> None:
                found = await app.workspace.find_contacts(text)
                table.rows = [_row(c) for c in found]
                table.update()
                count.text = i18n.count_of("contacts.count", len(found))

            async def searched(event: events.ValueChangeEventArguments[str | None]) -> None:
                await show(event.value or "")

            search.on_value_change(searched)
            await show("")


def _row(contact: Contact) -> dict[str, object]:
    return {
        "id": contact.id,
        "name": contact.name,
        "company": contact.company,
        "email": ", ".join(contact.emails),
        "language": i18n.t(f"lang.{contact.language.value}"),
        "kind": i18n.t(f"kind.{contact.kind.value}"),
    }
