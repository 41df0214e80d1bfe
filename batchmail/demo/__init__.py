"""Deterministic demo data: a fictional Lyon maintenance firm, its customers and suppliers, 18 months of pieces.

Everything comes from one `random.Random(seed)` and the `today` given, never from the clock or the global random
generator: the same seed and day give the same data, so screenshots, benchmarks and tests can rely on it.
Every identifier is fictional but has a valid format and check digits; every email is on an example domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from batchmail.demo.people import make_contacts
from batchmail.demo.pieces import PAYMENT_TERMS_DAYS, PieceMaker
from batchmail.domain.company import IssuingCompany, SenderAddress, User
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece


@dataclass(kw_only=True, slots=True)
class DemoData:
    """What `generate_demo` makes: everything a store needs to show a working company."""

    company: IssuingCompany
    users: list[User]
    contacts: list[Contact]
    pieces: list[Piece]


def generate_demo(*, seed: int = 1, today: date) -> DemoData:
    """A complete data set: ids assigned (contacts 1..N, pieces 1..M in date order), pieces numbered per type and
    year without gaps, statuses, payments and sending dates consistent with each piece's age on `today`."""
    rng = random.Random(seed)
    contacts = make_contacts(rng)
    pieces = PieceMaker(rng, today, contacts).make()
    return DemoData(company=_company(), users=_users(), contacts=contacts, pieces=pieces)


def _company() -> IssuingCompany:
    return IssuingCompany(
        name="Rhône Maintenance Équipements",
        legal_form="SAS",
        capital="50 000 €",
        address="27 quai Perrache\n69002 Lyon",
        siren="814629374",
        siret="81462937400020",
        rcs="RCS Lyon 814 629 374",
        vat_number="FR03814629374",
        iban="FR7630002005500000157845611",
        bic="RHMEFRP0XXX",  # location code "P0": a test BIC, which no real bank holds
        email="contact@example.fr",
        phone="+33 4 78 42 17 90",
        website="https://www.example.fr",
        payment_terms_days=PAYMENT_TERMS_DAYS,
    )


def _users() -> list[User]:
    return [
        User(
            id=1,
            name="Claire Fontaine",
            addresses=[
                SenderAddress(email="claire.fontaine@example.fr", display_name="Claire Fontaine"),
                SenderAddress(email="facturation@example.fr", display_name="Rhône Maintenance Équipements"),
            ],
        ),
        User(id=2, name="Mathieu Roche", addresses=[SenderAddress(email="mathieu.roche@example.fr")]),
    ]
