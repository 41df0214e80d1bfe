"""The demo's customers and suppliers: thirty companies in France, Belgium and beyond, with fictional but
well-formed VAT numbers, phones and example-domain emails."""

from __future__ import annotations

import random
import re
import unicodedata

from batchmail.domain.contacts import Contact
from batchmail.domain.language import Language
from batchmail.domain.pieces import Side

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


def make_contacts(rng: random.Random) -> list[Contact]:
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
