"""The people and companies BatchMail deals with: contacts, the issuing company, users and their addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from batchmail.pieces import Side


class Language(StrEnum):
    fr = "fr"  # français
    en = "en"  # English
    nl = "nl"  # Nederlands (Belgian customers)


@dataclass(kw_only=True, slots=True)
class Contact:
    id: int = 0  # 0 until the store gives it one
    kind: Side = Side.customer
    company: str = ""  # the company the contact belongs to; contacts of one company share statements
    name: str
    emails: list[str] = field(default_factory=list)  # the first one receives documents
    language: Language = Language.fr
    send_by_email: bool = True  # "envoi des documents par mail"
    address: str = ""  # postal address, several lines
    vat_number: str = ""
    phone: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.company})" if self.company and self.company != self.name else self.name

    @property
    def email(self) -> str | None:
        """The address documents go to, or None when the contact has none."""
        return self.emails[0] if self.emails else None


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
