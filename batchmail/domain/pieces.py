"""Commercial documents ("pièces"): types, statuses, lines, payments, totals and balance (money.py rounds)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from batchmail.domain.money import HUNDRED, ZERO, Totals, to_cents


class Side(StrEnum):
    customer = "customer"  # documents we issue to customers
    supplier = "supplier"  # documents we receive from or send to suppliers


class PieceType(StrEnum):
    quote = "quote"  # devis
    order = "order"  # commande client
    delivery_note = "delivery_note"  # bon de livraison
    invoice = "invoice"  # facture
    credit_note = "credit_note"  # avoir
    purchase_request = "purchase_request"  # demande de prix
    purchase_order = "purchase_order"  # commande fournisseur
    goods_receipt = "goods_receipt"  # bon de réception
    supplier_invoice = "supplier_invoice"  # facture fournisseur
    supplier_credit_note = "supplier_credit_note"  # avoir fournisseur

    @property
    def side(self) -> Side:
        return _SIDE[self]

    @property
    def prefix(self) -> str:
        return _PREFIX[self]

    @property
    def is_billing(self) -> bool:
        """Invoices and credit notes: they carry a balance due and take payments."""
        return self in _BILLING

    @property
    def sign(self) -> int:
        """+1 for what the contact owes, -1 for credit notes, which reduce it."""
        return -1 if self in (PieceType.credit_note, PieceType.supplier_credit_note) else 1


_SUPPLIER_PREFIXES = ("purchase", "goods", "supplier")
_SIDE = {t: Side.supplier if t.value.startswith(_SUPPLIER_PREFIXES) else Side.customer for t in PieceType}
_PREFIX = {
    PieceType.quote: "DE",
    PieceType.order: "CO",
    PieceType.delivery_note: "BL",
    PieceType.invoice: "FA",
    PieceType.credit_note: "AV",
    PieceType.purchase_request: "DP",
    PieceType.purchase_order: "CF",
    PieceType.goods_receipt: "BR",
    PieceType.supplier_invoice: "FF",
    PieceType.supplier_credit_note: "AF",
}
_BILLING = {
    PieceType.invoice,
    PieceType.credit_note,
    PieceType.supplier_invoice,
    PieceType.supplier_credit_note,
}


class Status(StrEnum):
    draft = "draft"  # brouillon: still being written, never sent
    validated = "validated"  # validée: final, ready to send
    sent = "sent"  # envoyée
    accepted = "accepted"  # acceptée (quotes)
    refused = "refused"  # refusée (quotes)
    converted = "converted"  # transformée into another piece
    partially_paid = "partially_paid"  # partiellement payée
    paid = "paid"  # soldée
    cancelled = "cancelled"  # annulée


class StatusGroup(StrEnum):
    to_send = "to_send"  # à envoyer: validated, never sent
    unpaid = "unpaid"  # non soldées: a balance is still due
    paid = "paid"  # soldées
    open = "open"  # en cours: neither closed, converted nor cancelled

    @property
    def statuses(self) -> frozenset[Status]:
        return _GROUPS[self]


_GROUPS = {
    StatusGroup.to_send: frozenset({Status.validated}),
    StatusGroup.unpaid: frozenset({Status.validated, Status.sent, Status.partially_paid}),
    StatusGroup.paid: frozenset({Status.paid}),
    StatusGroup.open: frozenset({Status.draft, Status.validated, Status.sent, Status.accepted, Status.partially_paid}),
}


NO_BALANCE = frozenset({Status.draft, Status.cancelled, Status.converted})  # statuses where nothing is due


@dataclass(kw_only=True, slots=True)
class Line:
    description: str
    quantity: Decimal = ZERO
    unit_price: Decimal = ZERO  # excluding tax
    vat_rate: Decimal = ZERO  # percent, e.g. 20 or 5.5
    discount: Decimal = ZERO  # percent
    heading: bool = False  # a title over the lines that follow (a consolidated piece's origins): text only

    @property
    def amount_excl_tax(self) -> Decimal:
        if self.heading:
            return ZERO
        gross = self.quantity * self.unit_price
        if self.discount:
            gross = gross * (HUNDRED - self.discount) / HUNDRED
        return to_cents(gross)


@dataclass(kw_only=True, slots=True)
class Payment:
    date: datetime.date
    amount: Decimal
    method: str = ""  # virement, chèque, carte... free text


class PieceRef(NamedTuple):
    """A piece as another one names it: "Commande CO-2026-00012"."""

    id: int
    type: PieceType
    number: str


@dataclass(kw_only=True, slots=True)
class Piece:
    id: int = 0  # 0 until the store gives it one
    number: str = ""  # "" until numbered, see `format_number`
    type: PieceType
    date: datetime.date
    due_date: datetime.date | None = None
    contact_id: int
    status: Status = Status.draft
    lines: list[Line] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    nature: str = ""
    reference: str = ""  # the customer's own reference (order number...)
    notes: str = ""  # printed on the document
    annotations: str = ""  # internal, never printed
    linked_files: list[str] = field(default_factory=list)
    last_sent: datetime.date | None = None
    origin_ids: list[int] = field(default_factory=list)  # the pieces this one was transformed or consolidated from
    derived_ids: list[int] = field(default_factory=list)  # the pieces generated from this one
    reminder_level: int = 0  # how many payment reminders were sent
    last_reminder: datetime.date | None = None  # the day of the last payment reminder

    @property
    def side(self) -> Side:
        return self.type.side

    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines)

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def balance(self) -> Decimal:
        """What is still due on a billing piece; zero for other types and for draft, cancelled or converted pieces
        (an invoice is converted by its credit note, which settles it)."""
        return self.balance_of(self.totals.incl_tax)

    def balance_of(self, total_incl_tax: Decimal) -> Decimal:
        """The balance given the piece's total incl. tax, for callers that already computed it."""
        if not self.type.is_billing or self.status in NO_BALANCE:
            return ZERO
        return total_incl_tax - self.paid

    def is_overdue(self, today: datetime.date) -> bool:
        """Échue: an invoice (ours or a supplier's) with a balance still due after its due date."""
        return self.type.sign > 0 and self.due_date is not None and self.due_date < today and self.balance > ZERO

    def days_overdue(self, today: datetime.date) -> int:
        return (today - self.due_date).days if self.is_overdue(today) and self.due_date else 0

    def status_after_payment(self) -> Status:
        """The status the payments received imply for a billing piece."""
        if self.status in NO_BALANCE or not self.type.is_billing:
            return self.status
        balance = self.balance
        if balance <= ZERO:
            return Status.paid
        if self.paid > ZERO:
            return Status.partially_paid
        return Status.sent if self.last_sent else self.status
