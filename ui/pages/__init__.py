"""One module per page, each with `register(services)`; a new page is one module plus one line here."""

from __future__ import annotations

from batchmail.services import Services
from ui.pages import batch

PAGES = (batch,)


def register_pages(services: Services) -> None:
    for page in PAGES:
        page.register(services)
