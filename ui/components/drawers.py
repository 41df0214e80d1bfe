"""Quick views opened from a row, in a side sheet: a piece (header, lines, totals, payments, send history, PDF) and
a contact (details, pieces, mails sent). One sheet at a time; each links to the other."""

from __future__ import annotations

from collections.abc import Sequence

from nicegui import ui

from batchmail.domain.pieces import PieceRef
from batchmail.sending.history import SendRecord
from batchmail.services.workspace import ContactView, PieceView, WorkspaceService
from ui import i18n
from ui.components.tables import simple_table
from ui.pdf_routes import PIECE_ROUTE
from ui.pdf_view import frame_src

CONTACT_PIECES_SHOWN = 50


class Drawers:
    def __init__(self, workspace: WorkspaceService) -> None:
        self.workspace = workspace
        with ui.dialog().props("position=right full-height") as self.dialog:
            self.sheet = ui.card().classes("w-[760px] max-w-[96vw] h-full gap-3 p-4 no-wrap overflow-auto rounded-none")
            self.sheet.props("data-testid=drawer")

    async def piece(self, piece_id: int) -> None:
        view = await self.workspace.piece_view(piece_id)
        self.sheet.clear()
        with self.sheet:
            self._piece(view)
        self.dialog.open()

    async def contact(self, contact_id: int) -> None:
        view = await self.workspace.contact_view(contact_id)
        self.sheet.clear()
        with self.sheet:
            self._contact(view)
        self.dialog.open()

    def _links(self, label_key: str, pieces: Sequence[PieceRef], test_id: str) -> None:
        """The pieces this one comes from, or that came from it: each opens its own view."""
        if not pieces:
            return
        with ui.row().classes("items-center gap-2 text-sm text-grey-8").props(f"data-testid={test_id}"):
            ui.label(i18n.t(label_key))
            for ref in pieces:
                ui.link(f"{i18n.piece_type(ref.type)} {ref.number}").classes("cursor-pointer text-primary").on(
                    "click", lambda _, piece_id=ref.id: self.piece(piece_id)
                )

    # -- a piece -----------------------------------------------------------------------------------------------

    def _piece(self, view: PieceView) -> None:
        piece = view.piece
        self._title(f"{i18n.piece_type(piece.type)} {piece.number}", "description", "piece-title")
        with ui.row().classes("items-center gap-2"):
            ui.badge(i18n.status(piece.status), color="primary").props("outline")
            if view.in_batch:
                ui.badge(i18n.t("piece.in_batch"), color="positive").props("outline")
        self._links("piece.origins", view.origins, "piece-origins")
        self._links("piece.derived", view.derived, "piece-derived")
        with ui.grid(columns="160px 1fr").classes("w-full gap-x-4 gap-y-1 text-sm"):
            if view.contact:
                contact = view.contact
                _fact(i18n.t("piece.contact"))
                ui.link(contact.display_name).classes("cursor-pointer text-primary").on(
                    "click", lambda: self.contact(contact.id)
                ).props("data-testid=piece-contact")
            _pair(i18n.t("piece.date"), i18n.day(piece.date))
            _pair(i18n.t("piece.due_date"), i18n.day(piece.due_date))
            _pair(i18n.t("piece.nature"), piece.nature)
            _pair(i18n.t("piece.reference"), piece.reference)
            _pair(i18n.t("piece.reminders"), i18n.reminder(piece.reminder_level, piece.last_reminder))
        self._section("piece.lines")
        simple_table(
            [
                ("description", "line.description", "left"),
                ("quantity", "line.quantity", "right"),
                ("unit_price", "line.unit_price", "right"),
                ("discount", "line.discount", "right"),
                ("vat", "line.vat", "right"),
                ("amount", "line.amount", "right"),
            ],
            [
                {"description": line.description}
                if line.heading
                else {
                    "description": line.description,
                    "quantity": i18n.number(line.quantity),
                    "unit_price": i18n.money(line.unit_price),
                    "discount": i18n.percent(line.discount) if line.discount else "",
                    "vat": i18n.percent(line.vat_rate),
                    "amount": i18n.money(line.amount_excl_tax),
                }
                for line in piece.lines
            ],
            "piece-lines",
        )
        totals = piece.totals
        with ui.column().classes("self-end gap-0 text-sm min-w-[300px]").props("data-testid=piece-totals"):
            _total(i18n.t("totals.excl"), i18n.money(totals.excl_tax))
            for vat in totals.vat:
                _total(i18n.t("totals.vat", rate=i18n.percent(vat.rate)), i18n.money(vat.amount))
            _total(i18n.t("totals.incl"), i18n.money(totals.incl_tax), strong=True)
            if piece.type.is_billing:
                _total(i18n.t("totals.paid"), i18n.money(piece.paid))
                _total(i18n.t("totals.balance"), i18n.money(piece.balance), strong=True)
        if piece.type.is_billing:
            self._section("piece.payments")
            if piece.payments:
                simple_table(
                    [
                        ("date", "payment.date", "left"),
                        ("amount", "payment.amount", "right"),
                        ("method", "payment.method", "left"),
                    ],
                    [
                        {"date": i18n.day(p.date), "amount": i18n.money(p.amount), "method": p.method}
                        for p in piece.payments
                    ],
                    "piece-payments",
                )
            else:
                _empty("piece.payments.none")
        for key, text in (("piece.notes", piece.notes), ("piece.annotations", piece.annotations)):
            if text:
                self._section(key)
                ui.label(text).classes("text-sm whitespace-pre-line")
        self._section("piece.history")
        _history(view.history, "piece.history.none", "piece-history")
        self._section("piece.pdf")
        url = PIECE_ROUTE.format(piece_id=piece.id)
        ui.link(i18n.t("piece.pdf.open"), url, new_tab=True).classes("text-sm").props("data-testid=piece-pdf-link")
        ui.element("iframe").props(f'src="{frame_src(url)}" title="{piece.number}"').classes(
            "w-full h-[70vh] border border-grey-4 rounded shrink-0"
        )

    # -- a contact ---------------------------------------------------------------------------------------------

    def _contact(self, view: ContactView) -> None:
        contact = view.contact
        self._title(contact.display_name, "person", "contact-title")
        with ui.grid(columns="160px 1fr").classes("w-full gap-x-4 gap-y-1 text-sm"):
            _pair(i18n.t("contact.kind"), i18n.t(f"kind.{contact.kind.value}"))
            _pair(i18n.t("contact.emails"), ", ".join(contact.emails))
            _pair(i18n.t("contact.language"), i18n.t(f"lang.{contact.language.value}"))
            _pair(i18n.t("contact.phone"), contact.phone)
            _pair(i18n.t("contact.vat"), contact.vat_number)
            _pair(i18n.t("contact.address"), contact.address)
        if not contact.emails:
            ui.label(i18n.t("contact.no_email")).classes("text-sm text-negative")
        self._section("contact.pieces")
        totals = view.totals
        ui.label(
            i18n.count_of(
                "match.count", totals.count, total=i18n.money(totals.total_incl_tax), balance=i18n.money(totals.balance)
            )
            if totals.count
            else i18n.t("match.none")
        ).classes("text-sm font-medium").props("data-testid=contact-totals")
        shown = view.pieces[:CONTACT_PIECES_SHOWN]
        if len(view.pieces) > len(shown):
            ui.label(i18n.t("contact.pieces.shown", shown=i18n.number(len(shown)), count=i18n.number(totals.count)))
        table = simple_table(
            [
                ("number", "col.number", "left"),
                ("type", "col.type", "left"),
                ("date", "col.date", "left"),
                ("total", "col.total", "right"),
                ("balance", "col.balance", "right"),
                ("status", "col.status", "left"),
            ],
            [
                {
                    "id": s.id,
                    "number": s.number,
                    "type": i18n.piece_type(s.type),
                    "date": i18n.day(s.date),
                    "total": i18n.money(s.total_incl_tax),
                    "balance": i18n.money(s.balance),
                    "status": i18n.status(s.status),
                }
                for s in shown
            ],
            "contact-pieces",
        )
        table.classes("cursor-pointer")
        table.on("rowClick", lambda e: self.piece(int(e.args[1]["id"])))
        self._section("contact.history")
        _history(view.history, "contact.history.none", "contact-history")

    # -- pieces of a sheet -------------------------------------------------------------------------------------

    def _title(self, text: str, icon: str, test_id: str) -> None:
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            ui.icon(icon, color="primary", size="sm")
            ui.label(text).classes("text-lg font-semibold").props(f"data-testid={test_id}")
            ui.space()
            ui.button(icon="close", on_click=self.dialog.close).props("flat round dense").tooltip(i18n.t("close"))

    def _section(self, key: str) -> None:
        ui.label(i18n.t(key)).classes("section-title mt-2")


def _fact(label: str) -> None:
    ui.label(label).classes("text-grey-7")


def _pair(label: str, value: str) -> None:
    _fact(label)
    ui.label(value or "—").classes("whitespace-pre-line")


def _total(label: str, value: str, *, strong: bool = False) -> None:
    with ui.row().classes("w-full justify-between gap-6 no-wrap" + (" font-semibold" if strong else "")):
        ui.label(label)
        ui.label(value).classes("tabular-nums")


def _empty(key: str) -> None:
    ui.label(i18n.t(key)).classes("text-sm text-grey-7")


def _history(records: list[SendRecord], none_key: str, test_id: str) -> None:
    if not records:
        _empty(none_key)
        return
    simple_table(
        [
            ("date", "history.date", "left"),
            ("subject", "history.subject", "left"),
            ("recipients", "history.recipients", "left"),
        ],
        [
            {"date": i18n.moment(r.sent_at), "subject": r.subject, "recipients": ", ".join(r.recipients)}
            for r in records
        ],
        test_id,
    )
