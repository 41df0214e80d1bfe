"""The issuing company ("société facturante"), its users and the addresses they send from."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from batchmail.domain.language import Language


@dataclass(kw_only=True, slots=True)
class SenderAddress:
    email: str
    display_name: str = ""


@dataclass(kw_only=True, slots=True)
class User:
    id: int = 0
    name: str
    addresses: list[SenderAddress] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class IssuingCompany:
    """The seller ("société facturante"): what a French B2B invoice must show about its issuer."""

    name: str
    legal_form: str = ""  # SAS, SARL, SRL...
    capital: str = ""  # share capital as printed, e.g. "10 000 €"
    address: str = ""
    siren: str = ""
    siret: str = ""
    rcs: str = ""  # e.g. "RCS Lyon 812 345 678"
    vat_number: str = ""
    iban: str = ""
    bic: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    logo_path: str = ""  # a file chosen in the settings; the only local file a document may show
    accent_color: str = "#1f4e79"  # the documents' one colour, "#rrggbb"
    footer_text: str = ""  # a line the company adds at the foot of every document
    archive_bcc: str = ""  # every mail goes in blind copy to this address unless the batch skips it; "" none
    language: Language = Language.fr
    payment_terms_days: int = 30
    late_penalty_rate: Decimal = Decimal("12.15")  # percent a year, printed on invoices (art. L441-10)
    recovery_indemnity: Decimal = Decimal("40")  # euros, fixed indemnity for recovery costs (art. D441-5)
