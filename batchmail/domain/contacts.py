"""The customers and suppliers BatchMail writes to ("contacts"), grouped by the company they belong to."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchmail.domain.language import Language
from batchmail.domain.pieces import Side


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
