"""French and English labels for the UI, and money and dates written the way the chosen language writes them.

The language is an app preference kept in `app.storage.general` (one user per desktop install), so it survives
a restart and needs no browser cookie. French is the default.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from nicegui import app

from batchmail.formatting import format_date, format_money
from batchmail.outbox import OutboxState
from batchmail.pieces import PieceType, Side, Status, StatusGroup

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
_KEY = "language"

_FR: dict[str, str] = {
    "app.title": "BatchMail",
    "nav.batch": "Lot",
    "mode.test": "Mode test",
    "mode.test.tooltip": "Boîte de test : les mails sont gardés en fichiers .eml, rien ne part",
    "mode.account": "Compte : {name}",
    "company.none": "Aucune société facturante",
    "batch.title": "Lot à envoyer",
    "filter.side": "Côté",
    "filter.type": "Type",
    "filter.status": "Statut",
    "filter.period": "Période",
    "filter.period.hint": "AAAA-MM ou AAAA",
    "filter.period.invalid": "AAAA-MM ou AAAA",
    "filter.text": "Recherche",
    "filter.text.hint": "contact, société, numéro",
    "filter.all": "Tous",
    "filter.reset": "Effacer les filtres",
    "count": "{count} pièces · total TTC {total} · solde {balance}",
    "count.one": "1 pièce · total TTC {total} · solde {balance}",
    "count.none": "Aucune pièce ne correspond aux filtres",
    "count.capped": "{shown} sur {count} affichées : affinez les filtres",
    "col.number": "Numéro",
    "col.type": "Type",
    "col.date": "Date",
    "col.due_date": "Échéance",
    "col.contact": "Contact",
    "col.company": "Société",
    "col.total": "Total TTC",
    "col.balance": "Solde",
    "col.status": "Statut",
    "col.last_sent": "Dernier envoi",
    "select.all": "Tout",
    "select.none": "Aucun",
    "selected": "{count} sélectionnée(s)",
    "send": "Envoyer",
    "send.nothing": "Sélectionnez au moins une pièce",
    "send.running": "Envoi en cours : {done} / {total}",
    "send.preparing": "Préparation des mails et des PDF…",
    "send.error": "Envoi impossible : {error}",
    "report.title": "Compte rendu de l'envoi",
    "report.test": "Mode test : les mails sont dans la boîte de test, rien n'est parti.",
    "report.sent": "envoyés",
    "report.waiting": "en attente",
    "report.failed": "en échec",
    "report.uncertain": "incertains",
    "report.skipped": "ignorées",
    "report.pieces": "Pièces",
    "report.recipients": "Destinataires",
    "report.state": "État",
    "report.detail": "Détail",
    "report.skipped.title": "Pièces ignorées",
    "report.reason": "Raison",
    "report.contact": "Contact",
    "state.queued": "en file",
    "state.sending": "en cours",
    "state.sent": "envoyé",
    "state.retry_waiting": "nouvel essai prévu",
    "state.failed": "échec",
    "state.uncertain": "incertain",
    "empty.title": "Aucune donnée pour l'instant",
    "empty.text": "Ce dossier de données est vide. Chargez une société de démonstration pour essayer BatchMail : "
    "les envois partent dans la boîte de test, rien ne quitte l'ordinateur.",
    "empty.load": "Charger les données de démonstration",
    "empty.loaded": "Données de démonstration : {contacts} contacts et {pieces} pièces",
    "side.customer": "Clients",
    "side.supplier": "Fournisseurs",
    "type.quote": "Devis",
    "type.order": "Commande",
    "type.delivery_note": "Bon de livraison",
    "type.invoice": "Facture",
    "type.credit_note": "Avoir",
    "type.purchase_request": "Demande de prix",
    "type.purchase_order": "Commande fournisseur",
    "type.goods_receipt": "Bon de réception",
    "type.supplier_invoice": "Facture fournisseur",
    "type.supplier_credit_note": "Avoir fournisseur",
    "status.draft": "Brouillon",
    "status.validated": "Validée",
    "status.sent": "Envoyée",
    "status.accepted": "Acceptée",
    "status.refused": "Refusée",
    "status.converted": "Transformée",
    "status.partially_paid": "Partiellement payée",
    "status.paid": "Soldée",
    "status.cancelled": "Annulée",
    "group.to_send": "À envoyer",
    "group.unpaid": "Non soldées",
    "group.paid": "Soldées",
    "group.open": "En cours",
    "group.prefix": "Groupe",
}

_EN: dict[str, str] = {
    "app.title": "BatchMail",
    "nav.batch": "Batch",
    "mode.test": "Test mode",
    "mode.test.tooltip": "Test mailbox: mails are kept as .eml files, nothing leaves",
    "mode.account": "Account: {name}",
    "company.none": "No issuing company",
    "batch.title": "Batch to send",
    "filter.side": "Side",
    "filter.type": "Type",
    "filter.status": "Status",
    "filter.period": "Period",
    "filter.period.hint": "YYYY-MM or YYYY",
    "filter.period.invalid": "YYYY-MM or YYYY",
    "filter.text": "Search",
    "filter.text.hint": "contact, company, number",
    "filter.all": "All",
    "filter.reset": "Clear filters",
    "count": "{count} pieces · total incl. tax {total} · balance {balance}",
    "count.one": "1 piece · total incl. tax {total} · balance {balance}",
    "count.none": "No piece matches the filters",
    "count.capped": "{shown} of {count} shown: refine the filters",
    "col.number": "Number",
    "col.type": "Type",
    "col.date": "Date",
    "col.due_date": "Due",
    "col.contact": "Contact",
    "col.company": "Company",
    "col.total": "Total incl. tax",
    "col.balance": "Balance",
    "col.status": "Status",
    "col.last_sent": "Last sent",
    "select.all": "All",
    "select.none": "None",
    "selected": "{count} selected",
    "send": "Send",
    "send.nothing": "Select at least one piece",
    "send.running": "Sending: {done} / {total}",
    "send.preparing": "Preparing the mails and PDFs…",
    "send.error": "Cannot send: {error}",
    "report.title": "Send report",
    "report.test": "Test mode: the mails are in the test mailbox, nothing left.",
    "report.sent": "sent",
    "report.waiting": "waiting",
    "report.failed": "failed",
    "report.uncertain": "uncertain",
    "report.skipped": "skipped",
    "report.pieces": "Pieces",
    "report.recipients": "Recipients",
    "report.state": "State",
    "report.detail": "Detail",
    "report.skipped.title": "Skipped pieces",
    "report.reason": "Reason",
    "report.contact": "Contact",
    "state.queued": "queued",
    "state.sending": "sending",
    "state.sent": "sent",
    "state.retry_waiting": "retry planned",
    "state.failed": "failed",
    "state.uncertain": "uncertain",
    "empty.title": "No data yet",
    "empty.text": "This data directory is empty. Load a demo company to try BatchMail: "
    "mails go to the test mailbox, nothing leaves the computer.",
    "empty.load": "Load the demo data",
    "empty.loaded": "Demo data: {contacts} contacts and {pieces} pieces",
    "side.customer": "Customers",
    "side.supplier": "Suppliers",
    "type.quote": "Quote",
    "type.order": "Order",
    "type.delivery_note": "Delivery note",
    "type.invoice": "Invoice",
    "type.credit_note": "Credit note",
    "type.purchase_request": "Request for quotation",
    "type.purchase_order": "Purchase order",
    "type.goods_receipt": "Goods receipt",
    "type.supplier_invoice": "Supplier invoice",
    "type.supplier_credit_note": "Supplier credit note",
    "status.draft": "Draft",
    "status.validated": "Validated",
    "status.sent": "Sent",
    "status.accepted": "Accepted",
    "status.refused": "Refused",
    "status.converted": "Converted",
    "status.partially_paid": "Partially paid",
    "status.paid": "Paid",
    "status.cancelled": "Cancelled",
    "group.to_send": "To send",
    "group.unpaid": "Unpaid",
    "group.paid": "Paid",
    "group.open": "Open",
    "group.prefix": "Group",
}

LABELS: dict[str, dict[str, str]] = {"fr": _FR, "en": _EN}


def language() -> str:
    chosen = app.storage.general.get(_KEY, DEFAULT_LANGUAGE)
    return chosen if chosen in LABELS else DEFAULT_LANGUAGE


def set_language(code: str) -> None:
    if code not in LABELS:
        raise ValueError(f"language {code!r} is not one of {', '.join(LANGUAGES)}")
    app.storage.general[_KEY] = code


def t(key: str, **values: Any) -> str:
    """The label for `key` in the current language, with `values` filled in; a missing key shows itself."""
    text = LABELS[language()].get(key) or _FR.get(key) or key
    return text.format(**values) if values else text


def money(amount: Decimal) -> str:
    return format_money(amount, language())


def day(d: date | None) -> str:
    return format_date(d, language()) if d else ""


def piece_type(value: PieceType) -> str:
    return t(f"type.{value.value}")


def status(value: Status) -> str:
    return t(f"status.{value.value}")


def side(value: Side) -> str:
    return t(f"side.{value.value}")


def group(value: StatusGroup) -> str:
    return t(f"group.{value.value}")


def state(value: OutboxState) -> str:
    return t(f"state.{value.value}")
