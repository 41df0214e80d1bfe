"""The name of each document type in each language, as documents, mails and file names write it."""

from __future__ import annotations

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType

TITLES: dict[Language, dict[PieceType, str]] = {
    Language.fr: {
        PieceType.invoice: "Facture",
        PieceType.quote: "Devis",
        PieceType.credit_note: "Avoir",
        PieceType.delivery_note: "Bon de livraison",
        PieceType.order: "Commande",
        PieceType.purchase_request: "Demande de prix",
        PieceType.purchase_order: "Commande fournisseur",
        PieceType.goods_receipt: "Bon de réception",
        PieceType.supplier_invoice: "Facture fournisseur",
        PieceType.supplier_credit_note: "Avoir fournisseur",
    },
    Language.en: {
        PieceType.invoice: "Invoice",
        PieceType.quote: "Quote",
        PieceType.credit_note: "Credit note",
        PieceType.delivery_note: "Delivery note",
        PieceType.order: "Order",
        PieceType.purchase_request: "Request for quotation",
        PieceType.purchase_order: "Purchase order",
        PieceType.goods_receipt: "Goods receipt",
        PieceType.supplier_invoice: "Supplier invoice",
        PieceType.supplier_credit_note: "Supplier credit note",
    },
    Language.nl: {
        PieceType.invoice: "Factuur",
        PieceType.quote: "Offerte",
        PieceType.credit_note: "Creditnota",
        PieceType.delivery_note: "Leveringsbon",
        PieceType.order: "Bestelling",
        PieceType.purchase_request: "Prijsaanvraag",
        PieceType.purchase_order: "Bestelbon",
        PieceType.goods_receipt: "Ontvangstbon",
        PieceType.supplier_invoice: "Aankoopfactuur",
        PieceType.supplier_credit_note: "Aankoopcreditnota",
    },
}


def document_type_name(piece_type: PieceType, language: Language) -> str:
    """The name of a document type as the recipient's language writes it ("Facture", "Invoice", "Factuur")."""
    return TITLES[language][piece_type]
