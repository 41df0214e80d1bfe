"""What the demo company sells and buys: catalogue lines per nature, quantities, discounts, notes."""

from __future__ import annotations

from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from batchmail.domain.pieces import Side

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
NOTES = {
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
DISCOUNTS = tuple(Decimal(d) for d in ("2.5", "5", "5", "10", "10", "15"))
LINE_COUNTS = tuple(range(1, 9))
LINE_WEIGHTS = tuple(accumulate((22, 22, 18, 13, 10, 7, 5, 3)))
PAYMENT_METHODS = ("virement",) * 6 + ("chèque", "chèque", "carte", "prélèvement")


class Item(NamedTuple):
    description: str
    quantities: tuple[Decimal, ...]
    unit_price: Decimal
    vat_rate: Decimal


def _catalog(text: str) -> dict[str, tuple[list[Item], list[Item]]]:
    """nature -> (its own items, the items common to every nature)."""
    own: dict[str, list[Item]] = {}
    common: list[Item] = []
    for row in text.splitlines():
        nature, description, unit, price, vat = row.split("|")
        item = Item(description, _QUANTITIES[unit], Decimal(price), Decimal(vat))
        (common if nature == "*" else own.setdefault(nature, [])).append(item)
    return {nature: (items, common) for nature, items in own.items()}


CATALOGS = {Side.customer: _catalog(_CUSTOMER_CATALOG), Side.supplier: _catalog(_SUPPLIER_CATALOG)}
NATURES = {side: tuple(catalog) for side, catalog in CATALOGS.items()}
NATURE_WEIGHTS = {Side.customer: tuple(accumulate((30, 15, 20, 10, 8, 17))), Side.supplier: (40, 75, 100)}
