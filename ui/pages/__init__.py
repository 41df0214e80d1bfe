"""One module per page, each with `register(app, jobs)`; a new page is one module plus one line here."""

from __future__ import annotations

from batchmail.wiring import App
from ui.jobs import Jobs
from ui.pages import batch, contacts, pieces, queue, settings, templates
from ui.pdf_routes import register_pdf_route

PAGES = (batch, queue, pieces, contacts, templates, settings)


def register_pages(app: App) -> None:
    jobs = Jobs()
    register_pdf_route(app)
    for page in PAGES:
        page.register(app, jobs)
