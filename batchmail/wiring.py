"""The one place the services are built: `open_app` opens a data directory's stores and hands each service the
repositories and collaborators it uses, nothing more. The command line and the UI both call it; they keep the
`App` it returns and give each page or command the services it asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from batchmail.documents.pdf import PdfRenderer
from batchmail.paths import mailbox_dir
from batchmail.services.accounts import AccountService
from batchmail.services.company import BRANDING_DIR, CompanyService
from batchmail.services.delivery import Deliveries
from batchmail.services.generation import GenerationService
from batchmail.services.imports import ImportService
from batchmail.services.printing import PrintingService
from batchmail.services.queue import QueueService
from batchmail.services.reminders import ReminderService
from batchmail.services.send import SendService
from batchmail.services.templates import TemplateService
from batchmail.services.workspace import WorkspaceService
from storage.credentials import CredentialStore
from storage.stores import Stores, open_stores

PDF_CACHE = "pdf-cache"


@dataclass(frozen=True, kw_only=True)
class App:
    """The services of one open data directory."""

    data_dir: Path
    today: Callable[[], date]  # what day it is: `date.today`, but in tests
    accounts: AccountService
    company: CompanyService
    deliveries: Deliveries
    generation: GenerationService
    imports: ImportService
    printing: PrintingService
    queue: QueueService
    reminders: ReminderService
    send: SendService
    templates: TemplateService
    workspace: WorkspaceService
    _stores: Stores = field(repr=False)
    _renderer: PdfRenderer | None = field(repr=False)  # closed with the app: the one `open_app` started

    def close(self) -> None:
        """Stop the PDF workers `open_app` started and let another process open the data directory."""
        if self._renderer is not None:
            self._renderer.close()
        self._stores.close()


def open_app(data_dir: Path, *, today: Callable[[], date] = date.today, renderer: PdfRenderer | None = None) -> App:
    """The services over `data_dir`, its stores opened (raises StoreError naming a file that cannot be read,
    StoreLocked when another BatchMail process has it). `renderer`: a PDF pool to share (a test's, a benchmark's),
    left running by `App.close`; without one the app starts its own, with its cache in the data directory."""
    stores = open_stores(data_dir)
    try:
        return wire(stores, today=today, renderer=renderer)
    except BaseException:
        stores.close()
        raise


def wire(stores: Stores, *, today: Callable[[], date] = date.today, renderer: PdfRenderer | None = None) -> App:
    """The services over stores already open (`App.close` closes them): each given the repositories and
    collaborators it uses.

    A mail still marked `sending` was cut off by a crash mid-flight and may have left: it becomes `uncertain`,
    never resent without the user's say."""
    data_dir = stores.data_dir
    stores.outbox.mark_stale_sending_uncertain()
    own_renderer = None
    if renderer is None:
        renderer = own_renderer = PdfRenderer(cache_dir=data_dir / PDF_CACHE)
    accounts = AccountService(
        accounts=stores.accounts,
        settings=stores.settings,
        company=stores.company,
        history=stores.history,
        secrets=CredentialStore(data_dir),
        mailbox_dir=mailbox_dir(data_dir),
        today=today,
    )
    templates = TemplateService(
        templates=stores.templates, company=stores.company, pieces=stores.pieces, contacts=stores.contacts
    )
    deliveries = Deliveries(outbox=stores.outbox, pieces=stores.pieces, history=stores.history, transports=accounts)
    printing = PrintingService(
        pieces=stores.pieces, contacts=stores.contacts, company=stores.company, renderer=renderer, today=today
    )
    send = SendService(
        pieces=stores.pieces,
        contacts=stores.contacts,
        company=stores.company,
        settings=stores.settings,
        outbox=stores.outbox,
        history=stores.history,
        accounts=accounts,
        templates=templates,
        renderer=renderer,
        deliveries=deliveries,
        today=today,
    )
    return App(
        data_dir=data_dir,
        today=today,
        accounts=accounts,
        company=CompanyService(company=stores.company, pieces=stores.pieces, branding_dir=data_dir / BRANDING_DIR),
        deliveries=deliveries,
        generation=GenerationService(
            pieces=stores.pieces, contacts=stores.contacts, company=stores.company, settings=stores.settings
        ),
        imports=ImportService(pieces=stores.pieces, contacts=stores.contacts, company=stores.company, today=today),
        printing=printing,
        queue=QueueService(
            outbox=stores.outbox,
            pieces=stores.pieces,
            contacts=stores.contacts,
            accounts=accounts,
            deliveries=deliveries,
        ),
        reminders=ReminderService(
            pieces=stores.pieces,
            contacts=stores.contacts,
            company=stores.company,
            settings=stores.settings,
            outbox=stores.outbox,
            templates=stores.templates,
            send=send,
            printing=printing,
        ),
        send=send,
        templates=templates,
        workspace=WorkspaceService(
            pieces=stores.pieces, contacts=stores.contacts, settings=stores.settings, history=stores.history
        ),
        _stores=stores,
        _renderer=own_renderer,
    )
