"""Benchmark of the stores at scale: 100,000 pieces over 10 years, 2,000 contacts.

    python bench/store_bench.py                    # generate into a temporary folder, measure, delete it
    python bench/store_bench.py --data-dir DIR     # reuse DIR if it holds a store, else generate into it

The measures run in a fresh process (nothing warm from the generation): opening the stores, resident memory,
typical filters through `batchmail.selection.select`, and single-piece changes that are on disk when they return.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = {"open_s": 3.0, "filter_ms": 200.0, "update_ms": 150.0, "rss_mb": 1024.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="where the generated store goes (kept); default: a temp dir")
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the fresh measuring process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    temp = None if args.data_dir else tempfile.mkdtemp(prefix="batchmail-bench-")
    data_dir = args.data_dir or Path(str(temp))
    try:
        if not (data_dir / "pieces").exists():
            started = time.perf_counter()
            generate(data_dir, pieces=args.pieces, contacts=args.contacts, years=args.years)
            print(f"generated {args.pieces:,} pieces in {time.perf_counter() - started:.1f} s into {data_dir}")
        size = sum(p.stat().st_size for p in data_dir.rglob("*.json"))
        print(f"store on disk: {size / 1e6:.0f} MB in {len(list((data_dir / 'pieces').glob('*.json')))} year files")
        run = subprocess.run(
            [sys.executable, __file__, "--measure", str(data_dir)], capture_output=True, text=True, check=False
        )
        if run.returncode:
            sys.exit(f"measuring failed:\n{run.stderr}")
        report(json.loads(run.stdout))
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


def report(figures: dict[str, float]) -> None:
    rows = [
        ("open the stores", figures["open_s"], "s", TARGETS["open_s"]),
        ("resident memory after open", figures["rss_mb"], "MB", TARGETS["rss_mb"]),
        ("filter: unpaid invoices of one year", figures["filter_unpaid_ms"], "ms", TARGETS["filter_ms"]),
        ("filter: free text (notes, contacts)", figures["filter_text_ms"], "ms", TARGETS["filter_ms"]),
        ("filter: overdue on a day, one type", figures["filter_overdue_ms"], "ms", TARGETS["filter_ms"]),
        ("update one piece, median of 20", figures["update_median_ms"], "ms", TARGETS["update_ms"]),
        ("update one piece, worst of 20", figures["update_max_ms"], "ms", TARGETS["update_ms"]),
        ("add one numbered invoice, median of 20", figures["add_median_ms"], "ms", TARGETS["update_ms"]),
    ]
    print(f"{figures['pieces']:,} pieces, {figures['contacts']:,} contacts (import {figures['import_s']:.2f} s)")
    print(f"{'measure':<42}{'value':>10}  {'target':>10}")
    for name, value, unit, target in rows:
        verdict = "ok" if value < target else "MISSED"
        print(f"{name:<42}{value:>8.1f} {unit:<2} < {target:>6g} {unit:<2} {verdict}")
    print(
        f"(peak resident memory during open: {figures['peak_rss_mb']:.0f} MB; filters: median of 10 runs, "
        f"{figures['unpaid_rows']:,} / {figures['text_rows']:,} / {figures['overdue_rows']:,} rows)"
    )
    if not figures["durable"]:
        sys.exit("the last update was not found in its file on disk")


# Measuring, in a fresh process


def measure(data_dir: Path) -> dict[str, float]:
    started = time.perf_counter()
    import orjson

    from batchmail.domain.pieces import Payment, Piece, PieceType, Status, StatusGroup
    from batchmail.domain.selection import Criteria, Period, select
    from storage.stores import open_stores

    imported = time.perf_counter()
    stores = open_stores(data_dir)
    opened = time.perf_counter()
    figures: dict[str, float] = {
        "import_s": imported - started,
        "open_s": opened - imported,
        "rss_mb": _status_mb("VmRSS"),
        "peak_rss_mb": _status_mb("VmHWM"),
        "pieces": stores.pieces.count(),
        "contacts": stores.contacts.count(),
    }
    year = max(s.date.year for s in stores.pieces.summaries())
    contacts = stores.contacts.by_id()
    unpaid = Criteria(types=frozenset({PieceType.invoice}), group=StatusGroup.unpaid).with_period(
        Period.parse(str(year - 1))
    )
    text = Criteria(text="Prochaine visite")
    overdue = Criteria(types=frozenset({PieceType.invoice}), overdue_on=date(year, 6, 30))
    for name, criteria in (("unpaid", unpaid), ("text", text), ("overdue", overdue)):
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            rows = select(stores.pieces.summaries(), criteria, contacts)
            times.append(time.perf_counter() - t0)
        figures[f"filter_{name}_ms"] = statistics.median(times) * 1000
        figures[f"{name}_rows"] = len(rows)

    rng = random.Random(7)
    candidates = [s.id for s in stores.pieces.summaries() if s.date.year == year and s.type is PieceType.invoice]
    times = []
    piece = None
    for piece_id in rng.sample(candidates, 20):
        piece = stores.pieces.get(piece_id)
        piece.notes += f" Relance téléphonique le {date(year, 7, 1).isoformat()}."
        piece.payments.append(Payment(date=date(year, 7, 1), amount=Decimal("10.00"), method="virement"))
        piece.status = piece.status_after_payment()
        t0 = time.perf_counter()
        stores.pieces.update(piece)
        times.append(time.perf_counter() - t0)
    figures["update_median_ms"] = statistics.median(times) * 1000
    figures["update_max_ms"] = max(times) * 1000

    times = []
    template = stores.pieces.get(candidates[0])
    for _ in range(20):
        new = Piece(
            type=PieceType.invoice,
            date=template.date,
            contact_id=template.contact_id,
            lines=template.lines,
            status=Status.validated,
        )
        t0 = time.perf_counter()
        stores.pieces.add(new)
        times.append(time.perf_counter() - t0)
    figures["add_median_ms"] = statistics.median(times) * 1000
    stores.close()

    assert piece is not None
    on_disk = orjson.loads((data_dir / "pieces" / f"{piece.date.year}.json").read_bytes())
    figures["durable"] = on_disk["pieces"][str(piece.id)]["notes"] == piece.notes
    return figures


def _status_mb(field: str) -> float:
    """Resident memory from /proc (ru_maxrss would carry over the parent's peak across exec on Linux)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    scale = 1024 if sys.platform == "darwin" else 1  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / scale


# Generating a realistic store


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Camille Léa Manon Chloé Inès Sarah Jade Louise Emma Hugo Lucas Théo Nathan Louis Gabriel Jules Arthur Raphaël "
    "Noah Zoé Anaïs Mathéo Élodie Benoît Céline Jérôme Hélène François Sébastien Maëlle Aurélien Wout Lotte Ruben"
)
LAST_NAMES = _words(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèbvre Michel Garcia "
    "David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François Peeters "
    "Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters Dubois-Smet"
)
COMPANY_WORDS = _words(
    "Boulangerie Garage Cabinet Atelier Pharmacie Hôtel Restaurant Menuiserie Clinique Ferme Librairie Imprimerie "
    "Brasserie Domaine Transports Agence Studio Société Laboratoire Quincaillerie"
)
TOWNS = _words("Lyon Lille Nantes Namur Liège Bordeaux Rennes Dijon Grenoble Bruxelles Tours Metz Reims Mons Charleroi")
ITEMS = [
    ("Maintenance préventive chaudière gaz murale, visite annuelle obligatoire", "189.00", "10"),
    ("Remplacement du joint de porte foyer et réglage du brûleur", "64.50", "10"),
    ("Forfait déplacement zone {n}", "35.00", "20"),
    ("Main d'œuvre technicien qualifié (heure)", "58.00", "20"),
    ("Fourniture vanne thermostatique Danfoss RA-N 15 avec tête", "42.90", "20"),
    ("Contrat d'entretien climatisation réversible, {n} unités intérieures", "320.00", "20"),
    ("Désembouage du circuit de chauffage, produit inhibiteur inclus", "450.00", "10"),
    ("Pompe de circulation Grundfos Alpha2 25-40", "289.00", "5.5"),
    ("Ramonage conduit de fumée avec certificat", "75.00", "10"),
    ("Diagnostic de performance énergétique du logement", "210.00", "20"),
    ("Pièces détachées diverses selon bon n° {n}", "18.70", "20"),
    ("Installation ballon thermodynamique 200 L, mise en service comprise", "2450.00", "5.5"),
    ("Abonnement télésurveillance mensuel", "29.90", "20"),
    ("Formation utilisateur sur site, demi-journée", "380.00", "20"),
]
NOTE_SENTENCES = [
    "Paiement à réception de facture par virement sur le compte indiqué ci-dessous.",
    "Merci de rappeler le numéro de la pièce dans le libellé de votre virement.",
    "Intervention réalisée en présence du client ; le matériel remplacé a été laissé sur place.",
    "Prochaine visite d'entretien prévue dans douze mois, nous vous contacterons pour fixer un rendez-vous.",
    "Garantie pièces deux ans, main d'œuvre un an, à compter de la date d'intervention.",
    "Accès au local technique par la cour intérieure, code portail communiqué par le gérant.",
    "Devis valable trois mois à compter de sa date d'émission.",
    "Escompte pour paiement anticipé : néant.",
    "Travaux éligibles au taux réduit de TVA selon l'attestation signée par le client.",
    "Livraison prévue sous quinze jours ouvrés après acceptation.",
    "Le client signale un bruit anormal au démarrage ; à vérifier lors du prochain passage.",
    "Facture établie selon le bon de commande {ref} du {day}.",
]
OLD_BILLING_STATUSES = ["paid", "partially_paid", "sent", "cancelled"]
ANNOTATIONS = [
    "Client à relancer par téléphone",
    "Payeur lent, exiger un acompte",
    "Contact : service comptabilité",
    "",
]


def generate(data_dir: Path, *, pieces: int, contacts: int, years: int) -> None:
    from batchmail.domain.contacts import Contact
    from batchmail.domain.language import Language
    from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status
    from storage.stores import open_stores

    rng = random.Random(2026)
    last_year = date.today().year
    first_day = date(last_year - years + 1, 1, 1)
    span = (date(last_year, 12, 31) - first_day).days
    weights = {
        PieceType.invoice: 55,
        PieceType.quote: 15,
        PieceType.credit_note: 4,
        PieceType.order: 6,
        PieceType.delivery_note: 6,
        PieceType.purchase_order: 4,
        PieceType.supplier_invoice: 8,
        PieceType.supplier_credit_note: 1,
        PieceType.purchase_request: 1,
    }
    kinds, kind_weights = list(weights), list(weights.values())

    def person() -> Contact:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST_NAMES)}" if rng.random() < 0.7 else ""
        email = f"{first}.{last}@{(company or last).replace(' ', '-')}.example".lower()
        return Contact(
            kind=Side.supplier if rng.random() < 0.1 else Side.customer,
            company=company,
            name=f"{first} {last}",
            emails=[email],
            language=Language.nl if rng.random() < 0.1 else Language.fr,
            address=f"{rng.randint(1, 180)} rue de la République\n{rng.randint(1000, 99999)} {rng.choice(TOWNS)}",
            phone=f"+33 4 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        )

    def status_for(kind: PieceType, day: date) -> Status:
        age = (date(last_year, 12, 31) - day).days
        if kind is PieceType.quote:
            return rng.choice([Status.sent, Status.accepted, Status.refused, Status.converted])
        if kind.is_billing:
            if age > 120:
                return Status(rng.choices(OLD_BILLING_STATUSES, [90, 3, 5, 2])[0])
            return rng.choice([Status.draft, Status.validated, Status.sent, Status.partially_paid, Status.paid])
        return rng.choice([Status.validated, Status.sent, Status.converted])

    def piece(contact_ids: list[int]) -> Piece:
        kind = rng.choices(kinds, kind_weights)[0]
        day = first_day + timedelta(days=rng.randrange(span + 1))
        lines = []
        for _ in range(rng.randint(1, 6)):
            text, price, vat = rng.choice(ITEMS)
            lines.append(
                Line(
                    description=text.format(n=rng.randint(1, 9)),
                    quantity=Decimal(rng.choice(["1", "1", "2", "3", "0.5", "1.25", "10"])),
                    unit_price=(Decimal(price) * rng.randint(80, 120) / 100).quantize(Decimal("0.01")),
                    vat_rate=Decimal(vat),
                    discount=Decimal(rng.choice(["0", "0", "0", "5", "10"])),
                )
            )
        reference = f"BC-{rng.randint(1000, 99999)}"
        notes = " ".join(
            rng.choice(NOTE_SENTENCES).format(ref=reference, day=day.strftime("%d/%m/%Y"))
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
        )
        made = Piece(
            type=kind,
            date=day,
            due_date=day + timedelta(days=30),
            contact_id=rng.choice(contact_ids),
            status=status_for(kind, day),
            lines=lines,
            nature=rng.choice(["maintenance", "dépannage", "installation", "contrat", "fournitures"]),
            reference=reference,
            notes=notes,
            annotations=rng.choice(ANNOTATIONS),
            last_sent=day + timedelta(days=1) if rng.random() < 0.8 else None,
        )
        if made.status in (Status.paid, Status.partially_paid):
            due = made.totals.incl_tax
            share = Decimal(1) if made.status is Status.paid else Decimal("0.4")
            paid_on = day + timedelta(days=rng.randint(5, 60))
            made.payments.append(
                Payment(date=paid_on, amount=(due * share).quantize(Decimal("0.01")), method="virement")
            )
        return made

    with open_stores(data_dir) as stores:
        contact_ids = [c.id for c in stores.contacts.add_many(person() for _ in range(contacts))]
        generated = sorted((piece(contact_ids) for _ in range(pieces)), key=lambda p: p.date)
        stores.pieces.add_many(generated)


if __name__ == "__main__":
    main()
