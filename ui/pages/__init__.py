"""One module per page, each with `register(services, jobs)`; a new page is one module plus one line here."""

from __future__ import annotations

from batchmail.services.facade import Services
from ui.jobs import Jobs
from ui.pages import batch, contacts, pieces, queue, settings, templates
from ui.pdf_routes import register_pdf_route

PAGES = (batch, queue, pieces, contacts, templates, settings)


def register_pages(services: Services) -> None:
    jobs = Jobs()
    register_pdf_route(services)
    for page in PAGES:
        page.register(services, jobs)
