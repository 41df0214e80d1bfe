"""Every word printed on a document, per language: the one place to correct or translate them.

`{name}` placeholders are filled by the template with values already formatted for the language.
"""

from __future__ import annotations

from batchmail.contacts import Language
from batchmail.pieces import PieceType

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

LABELS: dict[Language, dict[str, str]] = {
    Language.fr: {
        "draft": "Brouillon",
        "number": "Numéro",
        "date": "Date",
        "due_date": "Échéance",
        "valid_until": "Valable jusqu'au",
        "expected_date": "Date prévue",
        "reference": "Votre référence",
        "origin": "Selon pièce",
        "vat_number": "N° TVA",
        "description": "Désignation",
        "quantity": "Qté",
        "unit_price": "P.U. HT",
        "discount": "Remise",
        "vat": "TVA",
        "amount": "Montant HT",
        "vat_rate": "Taux de TVA",
        "vat_base": "Base HT",
        "vat_amount": "Montant TVA",
        "total_excl": "Total HT",
        "total_vat": "Total TVA",
        "total_incl": "Total TTC",
        "payments": "Paiements reçus",
        "payment_of": "Paiement du {date}",
        "balance_due": "Solde dû",
        "balance": "Solde",
        "notes": "Notes",
        "payment_terms": "Conditions de paiement",
        "terms_days": "Paiement à {days} jours",
        "terms_receipt": "Paiement à réception",
        "bank_details": "Coordonnées bancaires",
        "acceptance": "Bon pour accord : date, nom et signature",
        "capital": "{form} au capital de {capital}",
        "penalties": (
            "En cas de retard de paiement, pénalités au taux annuel de {rate} (art. L441-10 du Code de commerce) "
            "et indemnité forfaitaire pour frais de recouvrement de {indemnity} (art. D441-5). "
            "Pas d'escompte pour paiement anticipé."
        ),
    },
    Language.en: {
        "draft": "Draft",
        "number": "Number",
        "date": "Date",
        "due_date": "Due date",
        "valid_until": "Valid until",
        "expected_date": "Expected date",
        "reference": "Your reference",
        "origin": "Based on",
        "vat_number": "VAT no.",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price excl. VAT",
        "discount": "Disc.",
        "vat": "VAT",
        "amount": "Amount excl. VAT",
        "vat_rate": "VAT rate",
        "vat_base": "Base excl. VAT",
        "vat_amount": "VAT",
        "total_excl": "Total excl. VAT",
        "total_vat": "Total VAT",
        "total_incl": "Total incl. VAT",
        "payments": "Payments received",
        "payment_of": "Payment of {date}",
        "balance_due": "Balance due",
        "balance": "Balance",
        "notes": "Notes",
        "payment_terms": "Payment terms",
        "terms_days": "Payment within {days} days",
        "terms_receipt": "Payment on receipt",
        "bank_details": "Bank details",
        "acceptance": "Accepted: date, name and signature",
        "capital": "{form} with a share capital of {capital}",
        "penalties": (
            "Late payment: penalties at the annual rate of {rate} (French Commercial Code, art. L441-10) "
            "and a fixed indemnity for recovery costs of {indemnity} (art. D441-5). "
            "No discount for early payment."
        ),
    },
    Language.nl: {
        "draft": "Ontwerp",
        "number": "Nummer",
        "date": "Datum",
        "due_date": "Vervaldatum",
        "valid_until": "Geldig tot",
        "expected_date": "Verwachte datum",
        "reference": "Uw referentie",
        "origin": "Op basis van",
        "vat_number": "Btw-nr.",
        "description": "Omschrijving",
        "quantity": "Aantal",
        "unit_price": "Eenheidsprijs excl. btw",
        "discount": "Korting",
        "vat": "Btw",
        "amount": "Bedrag excl. btw",
        "vat_rate": "Btw-tarief",
        "vat_base": "Grondslag",
        "vat_amount": "Btw-bedrag",
        "total_excl": "Totaal excl. btw",
        "total_vat": "Totaal btw",
        "total_incl": "Totaal incl. btw",
        "payments": "Ontvangen betalingen",
        "payment_of": "Betaling van {date}",
        "balance_due": "Te betalen",
        "balance": "Saldo",
        "notes": "Opmerkingen",
        "payment_terms": "Betalingsvoorwaarden",
        "terms_days": "Betaling binnen {days} dagen",
        "terms_receipt": "Betaling bij ontvangst",
        "bank_details": "Bankgegevens",
        "acceptance": "Voor akkoord: datum, naam en handtekening",
        "capital": "{form} met een kapitaal van {capital}",
        "penalties": (
            "Bij laattijdige betaling: verwijlintrest aan de jaarlijkse rentevoet van {rate} (art. L441-10 Frans "
            "Wetboek van Koophandel) en een forfaitaire vergoeding voor invorderingskosten van {indemnity} "
            "(art. D441-5). Geen korting bij vervroegde betaling."
        ),
    },
}
