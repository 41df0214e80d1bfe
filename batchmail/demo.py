"""Deterministic demo data: a fictional Lyon maintenance firm, its customers and suppliers, 18 months of pieces.

Everything comes from one `random.Random(seed)` and the `today` given, never from the clock or the global random
generator: the same seed and day give the same data, so screenshots, benchmarks and tests can rely on it.
Every identifier is fictional but has a valid format and check digits; every email is on an example domain.
"""

from __future__ import annotations

import calendar
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from batchmail.contacts import Contact, IssuingCompany, Language, SenderAddress, User
from batchmail.pieces import ZERO, Line, Payment, Piece, PieceType, Side, Status, format_number, to_cents

PAYMENT_TERMS_DAYS = 30


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
    contacts = _contacts(rng)
    pieces = _PieceMaker(rng, today, contacts).make()
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


# kind (C customer, S supplier, P private person) | country | language | name | street | town | first contact
_COMPANIES = """\
C|FR|fr|L'Atelier d'Élodie|14 rue Mercière|69002 Lyon|Élodie Marchand
C|FR|fr|Boulangerie Lefèvre|3 place des Terreaux|69001 Lyon|
C|FR|fr|Clinique vétérinaire des Brotteaux|52 boulevard des Brotteaux|69006 Lyon|
C|FR|fr|Hôtel Le Cèdre Bleu|8 quai Saint-Antoine|69002 Lyon|
C|FR|fr|Imprimerie Dauphiné Offset|27 avenue Alsace-Lorraine|38000 Grenoble|
C|FR|fr|Laiterie coopérative du Forez|Zone artisanale des Granges|42600 Montbrison|
C|FR|fr|Cave Saint-Éloi|11 rue du Général Leclerc|71000 Mâcon|
C|FR|fr|Garage de l'Étoile|190 route de Vienne|69008 Lyon|Jean-Noël D'Almeida
C|FR|fr|Syndic Résidence Les Tilleuls|6 allée des Tilleuls|69100 Villeurbanne|
C|FR|fr|Brasserie du Pâquier|2 quai de l'Évêché|74000 Annecy|
C|FR|fr|Menuiserie Béranger & Fils|33 rue d'Austerlitz|69004 Lyon|
C|FR|fr|Pharmacie de la Guillotière|75 grande rue de la Guillotière|69007 Lyon|
C|FR|fr|Collège Jean-Moulin|1 rue de l'Égalité|26000 Valence|
C|FR|fr|Auvergne Froid Industriel|18 rue de l'Industrie|63000 Clermont-Ferrand|
C|FR|fr|Blanchisserie des Charmettes|5 chemin des Charmettes|73000 Chambéry|
C|FR|en|Lumen Optics France|40 rue de la République|69002 Lyon|
C|BE|fr|Müller & Fils|Rue de l'Étuve 18|1000 Bruxelles|Hélène Müller
C|BE|fr|Fromagerie Lambert|Rue Saint-Gilles 210|4000 Liège|
C|BE|fr|Hôtel de l'Ourthe|Quai de l'Ourthe 3|6900 Marche-en-Famenne|
C|BE|nl|Bakkerij Van den Broeck|Meir 45|2000 Antwerpen|
C|BE|nl|Brouwerij De Gouden Leeuw|Grote Markt 7|8500 Kortrijk|
C|BE|nl|Tandartspraktijk Peeters|Kortrijksesteenweg 112|9000 Gent|
C|IE|en|Ó Briain Engineering Ltd|14 Harcourt Street|Dublin 2|Siobhán Ó Briain
C|GB|en|Pennine Labs Ltd|221 Deansgate|Manchester M3 4EN|
C|FR|fr|Crèche Les P'tits Loups|9 rue Saint-Jean|69005 Lyon|
P|FR|fr|Thérèse N'Guessan|9 impasse des Lilas|69300 Caluire-et-Cuire|
S|FR|fr|Comptoir lyonnais du chauffage|102 rue de Gerland|69007 Lyon|
S|FR|fr|Électro-Distribution Rhône-Alpes|Parc d'activités de Chesnes|38070 Saint-Quentin-Fallavier|
S|FR|fr|Location Pro Équipements|12 avenue Jean-Jaurès|69007 Lyon|
S|BE|nl|Koeltechniek Vermeulen NV|Industrieweg 21|3500 Hasselt|
S|IE|en|Celtic Valves Ltd|Unit 4, Ballymount Industrial Estate|Dublin 12|"""

_FIRST = {
    "fr": "Éric Amélie Jérôme Céline Benoît Noël Maëlle Loïc Anaïs Stéphane Gaëlle Joël Inès Raphaël Zoé Aurélien "
    "Clémence François Marc Sophie Julien Camille",
    "nl": "Pieter Ans Joris Lotte Wouter Griet Stijn Els Bram Liesbeth Ine Koen",
    "en": "Seán Emma Oliver Niamh James Charlotte Ciarán Aoife Harry Orla",
}
_LAST = {
    "fr": "Lefèvre,Dupré,Roussel,Mercier,Lemaître,Gauthier,Chevalier,Béranger,Péron,N'Diaye,Fauré,Garnier,"
    "Boucher,Delacroix,Perrin,Rivière,Giraud",
    "nl": "Van den Broeck,De Smet,Peeters,Janssens,Maes,Vermeulen,Claes,Wouters,Van Damme,D'Hondt,De Bruyne",
    "en": "O'Connor,Smith,Murphy,Walsh,Kelly,Brennan,McCarthy,Ó Súilleabháin,Hughes",
}
_COUNTRY_LINE = {"FR": "", "BE": "Belgique", "IE": "Ireland", "GB": "United Kingdom"}
_DOMAINS = {"FR": ("example.fr", "example.com"), "BE": ("example.be",), "IE": ("example.org", "example.com")}
_DOMAINS["GB"] = _DOMAINS["IE"]


def _contacts(rng: random.Random) -> list[Contact]:
    contacts: list[Contact] = []
    seen: set[str] = set()
    for row in _COMPANIES.splitlines():
        kind, country, lang, name, street, town, lead = row.split("|")
        private = kind == "P"
        company = "" if private else name
        country_line = "België" if country == "BE" and lang == "nl" else _COUNTRY_LINE[country]
        address = "\n".join(part for part in (street, town, country_line) if part)
        vat = "" if private else _vat_number(rng, country)
        domain = rng.choice(_DOMAINS[country])
        people = [name] if private else [lead] if lead else []
        wanted = 1 if private else 2 + int(rng.random() < 0.5)
        while len(people) < wanted:
            person = f"{rng.choice(_FIRST[lang].split())} {rng.choice(_LAST[lang].split(','))}"
            if person not in people:
                people.append(person)
        for person in people:
            local = ".".join(_ascii(part) for part in person.split(" ", 1))
            if local in seen:
                local = f"{local}.{_ascii(company)}"
            seen.add(local)
            emails = [f"{local}@{domain}"]
            if company and rng.random() < 0.15:
                emails.append(f"compta.{_ascii(company)}@{domain}")
            contacts.append(
                Contact(
                    id=len(contacts) + 1,
                    kind=Side.supplier if kind == "S" else Side.customer,
                    company=company,
                    name=person,
                    emails=emails,
                    language=Language(lang),
                    address=address,
                    vat_number=vat,
                    phone=_phone(rng, country) if rng.random() < 0.75 else "",
                )
            )
    customers = [c for c in contacts if c.kind is Side.customer]
    for contact in rng.sample(customers, 3 + rng.randrange(3)):
        contact.emails = []  # still to be sent by email: the address is what is missing
    rng.choice([c for c in contacts if c.kind is Side.supplier]).emails = []
    for contact in rng.sample([c for c in customers if c.emails], 2):
        contact.send_by_email = False  # wants paper
    return contacts


def _ascii(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens: "L'Atelier d'Élodie" -> "latelierdelodie"."""
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", folded)


def _vat_number(rng: random.Random, country: str) -> str:
    if country == "FR":
        siren = _luhn_complete(str(rng.randint(30_000_000, 99_999_999)))
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    if country == "BE":
        first8 = f"0{rng.randint(2_000_000, 9_999_999)}"
        return f"BE{first8}{97 - int(first8) % 97:02d}"
    if country == "IE":
        digits = str(rng.randint(1_000_000, 9_999_999))
        check = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True)) % 23
        return f"IE{digits}{'WABCDEFGHIJKLMNOPQRSTUV'[check]}"
    return f"GB{rng.randint(100_000_000, 999_999_999)}"


def _luhn_complete(digits: str) -> str:
    """`digits` followed by its Luhn check digit (SIREN and SIRET use it)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        doubled = int(char) * (2 - position % 2)
        total += doubled - 9 if doubled > 9 else doubled
    return f"{digits}{-total % 10}"


def _phone(rng: random.Random, country: str) -> str:
    if country == "FR":
        return f"+33 4 {rng.randint(72, 78)} {_pairs(rng, 3)}"
    if country == "BE":
        return f"+32 {rng.choice('2349')} {rng.randint(200, 999)} {_pairs(rng, 2)}"
    if country == "IE":
        return f"+353 1 {rng.randint(200, 999)} {rng.randrange(10_000):04d}"
    return f"+44 161 496 0{rng.randrange(1000):03d}"  # Ofcom's range kept for fiction


def _pairs(rng: random.Random, count: int) -> str:
    return " ".join(f"{rng.randrange(100):02d}" for _ in range(count))


# nature | description | unit (f flat, u unit, h hour, j day, m metre) | unit price excl. tax | VAT %
# "*" rows belong to every nature of their side.
_CUSTOMER_CATALOG = """\
maintenance|Contrat de maintenance annuel chaudière|f|480.00|20
maintenance|Visite d'entretien préventif|f|95.00|20
maintenance|Entretien chaudière gaz (logement de plus de 2 ans)|f|129.00|10
maintenance|Ramonage conduit de fumée|f|75.00|10
maintenance|Remplacement filtre à air|u|18.50|20
maintenance|Contrôle d'étanchéité circuit frigorifique|f|145.00|20
installation|Pompe à chaleur air/eau 8 kW (travaux d'économie d'énergie)|u|6850.00|5.5
installation|Pose et raccordement pompe à chaleur|f|1450.00|5.5
installation|Calorifugeage des canalisations|m|12.40|5.5
installation|Main-d'œuvre installation|h|58.00|20
installation|Mise en service et essais|f|150.00|20
installation|Climatiseur mural réversible 3,5 kW|u|1290.00|20
vente|Compresseur d'air 50 L|u|389.90|20
vente|Kit de joints toriques|u|24.90|20
vente|Manomètre numérique|u|79.00|20
vente|Détendeur gaz propane|u|45.60|20
vente|Pompe de relevage|u|219.00|20
vente|Thermostat connecté|u|149.00|20
location|Location nacelle élévatrice|j|185.00|20
location|Location groupe électrogène 20 kVA|j|120.00|20
location|Location déshumidificateur industriel|j|35.00|20
location|Location chauffage d'appoint 15 kW|j|48.00|20
location|Livraison et reprise du matériel loué|f|90.00|20
formation|Formation habilitation électrique BR (par stagiaire)|j|390.00|20
formation|Formation sécurité gaz (par stagiaire)|j|420.00|20
formation|Formation fluides frigorigènes (par stagiaire)|j|510.00|20
formation|Manuel du stagiaire|u|15.00|5.5
formation|Repas stagiaire|u|18.00|10
dépannage|Forfait déplacement dépannage|f|65.00|20
dépannage|Main-d'œuvre dépannage|h|62.00|20
dépannage|Main-d'œuvre dépannage (logement)|h|62.00|10
dépannage|Carte électronique de régulation|u|164.30|20
dépannage|Circulateur chauffage|u|238.00|20
*|Déplacement|f|45.00|20
*|Petites fournitures|f|12.50|20
*|Frais de port|f|9.90|20"""
_SUPPLIER_CATALOG = """\
achat|Chaudière à condensation 24 kW|u|1890.00|20
achat|Pompe à chaleur air/eau 8 kW|u|4720.00|20
achat|Climatiseur mural 3,5 kW|u|760.00|20
achat|Gaz réfrigérant R32 (bouteille 9 kg)|u|310.00|20
achat|Circulateur chauffage|u|142.00|20
fournitures|Lot de 50 raccords laiton|u|87.50|20
fournitures|Câble R2V 3G2,5 (couronne 100 m)|u|96.00|20
fournitures|Tube cuivre recuit 12 mm (25 m)|u|118.00|20
fournitures|Gaine isolante 13 mm|m|1.85|20
fournitures|Joints fibre assortis|u|14.20|20
sous-traitance|Sous-traitance soudure|h|55.00|20
sous-traitance|Sous-traitance électricité|h|52.00|20
sous-traitance|Contrôle réglementaire|f|180.00|20
sous-traitance|Grue avec opérateur|j|690.00|20
sous-traitance|Mise en décharge DEEE|f|75.00|20
*|Transport|f|45.00|20
*|Emballage|f|8.00|20
*|Éco-participation|u|2.50|20"""
_NOTES = {
    Side.customer: (
        "Merci de rappeler le numéro de la pièce lors de votre règlement.",
        "Intervention réalisée en présence du responsable technique.",
        "Accès par le quai de livraison n° 3.",
        "Prochaine visite d'entretien prévue dans six mois.",
        "Matériel garanti 2 ans pièces et main-d'œuvre.",
    ),
    Side.supplier: ("Livraison partielle, reliquat à suivre.", "Remise négociée sur volume annuel."),
}
_QUANTITIES = {
    unit: tuple(Decimal(q) for q in values.split())
    for unit, values in (
        ("f", "1"),
        ("u", "1 1 1 2 2 3 4 5 10"),
        ("h", "1 1.5 2 2 3 4 6 8"),
        ("j", "1 1 2 3 5"),
        ("m", "5 10 12.5 20 25 40"),
    )
}
_DISCOUNTS = tuple(Decimal(d) for d in ("2.5", "5", "5", "10", "10", "15"))
_LINE_COUNTS = tuple(range(1, 9))
_LINE_WEIGHTS = tuple(accumulate((22, 22, 18, 13, 10, 7, 5, 3)))
_PAYMENT_METHODS = ("virement",) * 6 + ("chèque", "chèque", "carte", "prélèvement")


class _Item(NamedTuple):
    description: str
    quantities: tuple[Decimal, ...]
    unit_price: Decimal
    vat_rate: Decimal


def _catalog(text: str) -> dict[str, tuple[list[_Item], list[_Item]]]:
    """nature -> (its own items, the items common to every nature)."""
    own: dict[str, list[_Item]] = {}
    common: list[_Item] = []
    for row in text.splitlines():
        nature, description, unit, price, vat = row.split("|")
        item = _Item(description, _QUANTITIES[unit], Decimal(price), Decimal(vat))
        (common if nature == "*" else own.setdefault(nature, [])).append(item)
    return {nature: (items, common) for nature, items in own.items()}


_CATALOGS = {Side.customer: _catalog(_CUSTOMER_CATALOG), Side.supplier: _catalog(_SUPPLIER_CATALOG)}
_NATURES = {side: tuple(catalog) for side, catalog in _CATALOGS.items()}
_NATURE_WEIGHTS = {Side.customer: tuple(accumulate((30, 15, 20, 10, 8, 17))), Side.supplier: (40, 75, 100)}

_Table = tuple[tuple[Status, ...], tuple[int, ...]]  # statuses and their cumulative weights


def _table(**weights: int) -> _Table:
    return tuple(Status(name) for name in weights), tuple(accumulate(weights.values()))


# type: (age in days under which a piece is recent, statuses when recent, statuses later)
_STATUSES: dict[PieceType, tuple[int, _Table, _Table]] = {
    PieceType.quote: (
        15,
        _table(draft=15, sent=70, accepted=15),
        _table(draft=3, sent=20, accepted=30, refused=20, converted=25, cancelled=2),
    ),
    PieceType.order: (10, _table(validated=30, sent=70), _table(sent=30, converted=63, cancelled=7)),
    PieceType.delivery_note: (5, _table(validated=1), _table(validated=10, sent=50, converted=40)),
    PieceType.credit_note: (30, _table(draft=10, validated=30, sent=60), _table(sent=10, paid=85, cancelled=5)),
    PieceType.purchase_request: (10, _table(draft=30, sent=70), _table(sent=30, converted=55, cancelled=15)),
    PieceType.purchase_order: (10, _table(validated=30, sent=70), _table(sent=25, converted=70, cancelled=5)),
    PieceType.goods_receipt: (5, _table(validated=1), _table(validated=45, converted=55)),
    PieceType.supplier_credit_note: (30, _table(validated=1), _table(validated=40, paid=60)),
}
_INVOICE_THIS_MONTH = _table(draft=12, validated=30, sent=48, paid=10)
_PAID_SHARE = ((365, 0.96), (120, 0.9), (60, 0.75), (30, 0.5), (0, 0.2))  # (minimum age in days, share paid)
_ISSUED = frozenset(t for t in PieceType if t.side is Side.customer) | {
    PieceType.purchase_request,
    PieceType.purchase_order,
}
_WENT_OUT = frozenset(
    {Status.sent, Status.accepted, Status.refused, Status.converted, Status.partially_paid, Status.paid}
)
_WITH_DUE_DATE = frozenset({PieceType.invoice, PieceType.supplier_invoice})


class _PieceMaker:
    def __init__(self, rng: random.Random, today: date, contacts: list[Contact]) -> None:
        self.rng = rng
        self.today = today
        self.start = _months_before(today, 18)
        self.span = (today - self.start).days
        self.contacts = {side: [c for c in contacts if c.kind is side] for side in Side}
        # a few big customers and suppliers get most of the pieces
        self.weights = {
            side: tuple(accumulate(rng.choice((1, 2, 3, 6)) for _ in pool)) for side, pool in self.contacts.items()
        }
        self.pieces: list[Piece] = []
        self.links: list[tuple[Piece, Piece]] = []  # (piece, the piece it was generated from)

    def make(self) -> list[Piece]:
        self._chains()
        self._validated_last_month()
        made = Counter(piece.type for piece in self.pieces)
        for piece_type in PieceType:
            wanted = 800 + self.rng.randrange(80) + (600 if piece_type is PieceType.invoice else 0)
            for _ in range(wanted - made[piece_type]):
                day = self.start + timedelta(days=self.rng.randrange(self.span + 1))
                self._add(piece_type, day, self._contact(piece_type.side))
        return self._numbered()

    def _contact(self, side: Side) -> Contact:
        return self.rng.choices(self.contacts[side], cum_weights=self.weights[side])[0]

    def _chains(self) -> None:
        """Quotes turned into an order, sometimes a delivery note, then an invoice, each linked to the one before."""
        for _ in range(30 + self.rng.randrange(10)):
            contact = self._contact(Side.customer)
            day = self.start + timedelta(days=self.rng.randrange(self.span - 30))
            origin = self._add(PieceType.quote, day, contact, status=Status.converted)
            steps = [PieceType.order, PieceType.delivery_note, PieceType.invoice]
            if self.rng.random() < 0.5:
                del steps[1]
            for piece_type in steps:
                day = min(self.today, day + timedelta(days=self.rng.randint(1, 12)))
                status = None if piece_type is PieceType.invoice else Status.converted
                piece = self._add(piece_type, day, contact, status=status, like=origin)
                self.links.append((piece, origin))
                origin = piece

    def _validated_last_month(self) -> None:
        """Last month's invoices validated and never sent, so "send last month's invoices" has work to do; one or
        two are for a contact without an address, so the batch shows a "skipped: no address"."""
        last = self.today.replace(day=1) - timedelta(days=1)
        customers = self.contacts[Side.customer]
        reachable = [c for c in customers if c.email and c.send_by_email]
        unreachable = [c for c in customers if not c.emails]
        chosen = self.rng.sample(reachable, 6 + self.rng.randrange(3))
        chosen += self.rng.sample(unreachable, 1 + self.rng.randrange(2))
        for contact in chosen:
            day = last.replace(day=1 + self.rng.randrange(last.day))
            self._add(PieceType.invoice, day, contact, status=Status.validated)

    def _add(
        self,
        piece_type: PieceType,
        day: date,
        contact: Contact,
        *,
        status: Status | None = None,
        like: Piece | None = None,
    ) -> Piece:
        rng = self.rng
        side = piece_type.side
        if like is None:
            nature = rng.choices(_NATURES[side], cum_weights=_NATURE_WEIGHTS[side])[0]
            lines = self._lines(_CATALOGS[side][nature])
            reference = f"BC-{rng.randint(1000, 99999)}" if side is Side.customer and rng.random() < 0.2 else ""
            notes = rng.choice(_NOTES[side]) if rng.random() < 0.15 else ""
        else:
            nature, reference, notes = like.nature, like.reference, like.notes
            lines = [replace(line) for line in like.lines]
        if piece_type.sign < 0:
            lines = [self._credited(lines[0])]
        piece = Piece(
            type=piece_type,
            date=day,
            due_date=day + timedelta(days=PAYMENT_TERMS_DAYS) if piece_type in _WITH_DUE_DATE else None,
            contact_id=contact.id,
            lines=lines,
            nature=nature,
            reference=reference,
            notes=notes,
        )
        piece.status = status or self._status(piece)
        self._settle(piece)
        self.pieces.append(piece)
        return piece

    def _lines(self, catalog: tuple[list[_Item], list[_Item]]) -> list[Line]:
        """At least one item of the piece's nature first, then maybe travel, supplies or shipping."""
        rng = self.rng
        own, common = catalog
        count = rng.choices(_LINE_COUNTS, cum_weights=_LINE_WEIGHTS)[0]
        extras = max(count - len(own), min(len(common), rng.randrange(count) // 2))
        return [
            Line(
                description=item.description,
                quantity=rng.choice(item.quantities),
                unit_price=item.unit_price,
                vat_rate=item.vat_rate,
                discount=rng.choice(_DISCOUNTS) if rng.random() < 0.12 else ZERO,
            )
            for item in rng.sample(own, count - extras) + rng.sample(common, extras)
        ]

    def _credited(self, line: Line) -> Line:
        """A credit note gives back part of one line (a return, a goodwill gesture), not a whole invoice."""
        share = Decimal(self.rng.choice((10, 20, 25, 50))) / 100
        return replace(line, quantity=Decimal(1), unit_price=to_cents(line.unit_price * share), discount=ZERO)

    def _status(self, piece: Piece) -> Status:
        age = (self.today - piece.date).days
        if piece.type in _WITH_DUE_DATE:
            return self._invoice_status(piece, age)
        recent_days, recent, later = _STATUSES[piece.type]
        statuses, weights = recent if age < recent_days else later
        return self.rng.choices(statuses, cum_weights=weights)[0]

    def _invoice_status(self, piece: Piece, age: int) -> Status:
        """Older invoices are more often paid; only this month's may still be validated and unsent."""
        rng = self.rng
        ours = piece.type is PieceType.invoice
        if ours and (piece.date.year, piece.date.month) == (self.today.year, self.today.month):
            statuses, weights = _INVOICE_THIS_MONTH
            return rng.choices(statuses, cum_weights=weights)[0]
        if not ours and age < 10:
            return Status.validated
        draw = rng.random()
        if draw < 0.02:
            return Status.cancelled
        if draw < 0.05 and ours and age < 120:  # forgotten drafts
            return Status.draft
        share = next(share for min_age, share in _PAID_SHARE if age >= min_age)
        draw = rng.random()
        if draw < share:
            return Status.paid
        if draw < share + 0.06:
            return Status.partially_paid
        return Status.sent if ours else Status.validated  # a supplier invoice is recorded, not sent

    def _settle(self, piece: Piece) -> None:
        """The sending date, payments and reminders that go with the piece's status."""
        if piece.type in _ISSUED and piece.status in _WENT_OUT:
            piece.last_sent = min(self.today, piece.date + timedelta(days=self.rng.randrange(3)))
        if piece.status in (Status.paid, Status.partially_paid):
            piece.payments = self._payments(piece, full=piece.status is Status.paid)
        if piece.type is PieceType.invoice and piece.is_overdue(self.today) and self.rng.random() < 0.7:
            piece.reminder_level = min(3, piece.days_overdue(self.today) // 20)

    def _payments(self, piece: Piece, *, full: bool) -> list[Payment]:
        rng = self.rng
        cents = int(piece.totals.incl_tax * 100)
        if not full:
            parts = [rng.randint(cents * 2 // 10, cents * 8 // 10)]
        elif cents > 20_000 and rng.random() < 0.2:
            first = rng.randint(cents * 3 // 10, cents * 7 // 10)
            parts = [first, cents - first]
        else:
            parts = [cents]
        start = piece.last_sent or piece.date
        room = (self.today - start).days
        days = sorted(min(room, rng.randint(2, 50)) for _ in parts)
        return [
            Payment(date=start + timedelta(days=d), amount=Decimal(c).scaleb(-2), method=rng.choice(_PAYMENT_METHODS))
            for d, c in zip(days, parts, strict=True)
        ]

    def _numbered(self) -> list[Piece]:
        """Ids and numbers in date order; pieces of one day keep the order they were made in."""
        pieces = sorted(self.pieces, key=lambda piece: piece.date)
        sequences: Counter[tuple[PieceType, int]] = Counter()
        for piece_id, piece in enumerate(pieces, start=1):
            piece.id = piece_id
            key = (piece.type, piece.date.year)
            sequences[key] += 1
            piece.number = format_number(piece.type, piece.date.year, sequences[key])
        for piece, origin in self.links:
            piece.origin_id = origin.id
        return pieces


def _months_before(day: date, months: int) -> date:
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))
