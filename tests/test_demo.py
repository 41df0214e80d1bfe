"""The demo data set: deterministic, large, varied, and consistent with the domain's rules."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from email_validator import validate_email

from batchmail.demo import DemoData, generate_demo
from batchmail.domain.money import ZERO
from batchmail.domain.numbering import format_number, parse_number
from batchmail.domain.pieces import PieceType, Side, Status

TODAYS = (date(2026, 11, 20), date(2027, 1, 3))  # the second one: last month is in the previous year


@pytest.fixture(scope="module", params=TODAYS, ids=str)
def today(request: pytest.FixtureRequest) -> date:
    day: date = request.param
    return day


@pytest.fixture(scope="module")
def demo(today: date) -> DemoData:
    return generate_demo(seed=1, today=today)


def test_same_seed_and_day_give_identical_data_and_another_seed_differs() -> None:
    today = TODAYS[0]
    first, again = generate_demo(seed=7, today=today), generate_demo(seed=7, today=today)
    assert first == again
    other = generate_demo(seed=8, today=today)
    assert other.pieces != first.pieces
    assert [c.emails for c in other.contacts] != [c.emails for c in first.contacts]


def test_generation_takes_well_under_a_second() -> None:
    started = time.process_time()
    generate_demo(seed=3, today=TODAYS[0])
    assert time.process_time() - started < 1.0


def test_contacts_are_many_and_varied(demo: DemoData) -> None:
    contacts = demo.contacts
    assert [c.id for c in contacts] == list(range(1, len(contacts) + 1))
    assert len(contacts) >= 60
    per_company = Counter(c.company for c in contacts if c.company)
    assert len(per_company) >= 25
    assert sum(1 for n in per_company.values() if n >= 2) >= 20
    assert {c.language.value for c in contacts} == {"fr", "en", "nl"}
    suppliers = [c for c in contacts if c.kind is Side.supplier]
    assert 3 <= len(suppliers) < len(contacts) // 3
    without_email = [c for c in contacts if not c.emails]
    assert 3 <= len(without_email) <= 10
    assert any(len(c.emails) > 1 for c in contacts)
    names = " ".join(f"{c.name} {c.company}" for c in contacts)
    for expected in ("Hélène", "Ó Briain", "L'Atelier d'Élodie", "Müller & Fils", "D'Almeida"):
        assert expected in names
    belgian = [c for c in contacts if c.vat_number.startswith("BE")]
    assert belgian
    assert {c.language.value for c in belgian} == {"fr", "nl"}
    assert all(c.address and c.vat_number for c in contacts if c.company)


def test_emails_are_valid_and_on_example_domains_only(demo: DemoData) -> None:
    domains = {"example.com", "example.fr", "example.be", "example.org"}
    addresses = [a for c in demo.contacts for a in c.emails]
    addresses += [a.email for u in demo.users for a in u.addresses] + [demo.company.email]
    for address in addresses:
        assert address.rsplit("@", 1)[1] in domains
        assert validate_email(address, check_deliverability=False).normalized == address


def test_company_and_contact_identifiers_have_valid_check_digits(demo: DemoData) -> None:
    company = demo.company
    assert luhn_ok(company.siren) and luhn_ok(company.siret) and company.siret.startswith(company.siren)
    assert company.vat_number == f"FR{(12 + 3 * (int(company.siren) % 97)) % 97:02d}{company.siren}"
    assert company.rcs.endswith(" ".join((company.siren[:3], company.siren[3:6], company.siren[6:])))
    assert company.iban.startswith("FR76") and len(company.iban) == 27
    assert int(to_digits(company.iban[4:] + company.iban[:4])) % 97 == 1
    assert len(company.bic) in (8, 11) and company.bic[4:6] == "FR"
    assert len(demo.users) == 2 and all(1 <= len(u.addresses) <= 2 for u in demo.users)
    for contact in demo.contacts:
        vat = contact.vat_number
        if vat.startswith("FR"):
            assert luhn_ok(vat[4:]) and int(vat[2:4]) == (12 + 3 * (int(vat[4:]) % 97)) % 97
        elif vat.startswith("BE"):
            assert len(vat) == 12 and 97 - int(vat[2:10]) % 97 == int(vat[10:])


def test_at_least_800_pieces_of_every_type_over_the_last_18_months(demo: DemoData, today: date) -> None:
    counts = Counter(p.type for p in demo.pieces)
    assert set(counts) == set(PieceType)
    assert min(counts.values()) >= 800
    oldest = min(p.date for p in demo.pieces)
    assert today - timedelta(days=550) <= oldest <= today - timedelta(days=530)
    assert max(p.date for p in demo.pieces) <= today
    contacts = {c.id: c for c in demo.contacts}
    assert all(contacts[p.contact_id].kind is p.type.side for p in demo.pieces)


def test_ids_and_numbers_are_sequential_per_type_and_year_in_date_order(demo: DemoData, today: date) -> None:
    pieces = demo.pieces
    assert [p.id for p in pieces] == list(range(1, len(pieces) + 1))
    assert [p.date for p in pieces] == sorted(p.date for p in pieces)
    sequences: defaultdict[tuple[PieceType, int], list[int]] = defaultdict(list)
    for piece in pieces:
        parsed = parse_number(piece.number)
        assert parsed is not None and parsed[:2] == (piece.type.prefix, piece.date.year)
        sequences[piece.type, piece.date.year].append(parsed[2])
    for numbers in sequences.values():
        assert numbers == list(range(1, len(numbers) + 1))  # gapless, and increasing with the date
    assert len({p.number for p in pieces}) == len(pieces)
    assert format_number(PieceType.invoice, today.year - 1, 1) in {p.number for p in pieces}


def test_lines_are_realistic(demo: DemoData) -> None:
    pieces = demo.pieces
    assert all(1 <= len(p.lines) <= 8 for p in pieces)
    assert {len(p.lines) for p in pieces} == set(range(1, 9))
    lines = [line for p in pieces for line in p.lines]
    assert {line.vat_rate for line in lines} == {Decimal(20), Decimal(10), Decimal("5.5")}
    assert 0.05 < sum(1 for line in lines if line.discount) / len(lines) < 0.25
    assert all(line.quantity > 0 and line.unit_price > 0 for line in lines)
    natures = {p.nature for p in pieces}
    assert {"maintenance", "installation", "vente", "location", "formation"} <= natures
    assert 0.05 < sum(1 for p in pieces if p.notes) / len(pieces) < 0.3


def test_billing_statuses_agree_with_payments(demo: DemoData, today: date) -> None:
    billing = [p for p in demo.pieces if p.type.is_billing]
    for piece in billing:
        total = piece.totals.incl_tax
        if piece.status is Status.paid:
            assert piece.balance == ZERO and piece.payments
        elif piece.status is Status.partially_paid:
            assert ZERO < piece.balance < total
        else:
            assert piece.payments == []
        assert all(piece.date <= pay.date <= today and pay.amount > 0 for pay in piece.payments)
        assert all(pay.amount == pay.amount.quantize(Decimal("0.01")) for pay in piece.payments)
    invoices = Counter(p.status for p in billing if p.type is PieceType.invoice)
    for status in (Status.paid, Status.partially_paid, Status.sent, Status.draft, Status.cancelled):
        assert invoices[status] > 0, status
    assert invoices[Status.draft] < 40 and invoices[Status.cancelled] < 60
    overdue = [p for p in billing if p.type is PieceType.invoice and p.is_overdue(today)]
    assert len(overdue) >= 20
    assert any(p.status is Status.partially_paid for p in overdue)
    assert any(p.reminder_level > 0 for p in overdue)
    for piece in billing:
        if piece.type in (PieceType.invoice, PieceType.supplier_invoice):
            assert piece.due_date == piece.date + timedelta(days=30)


def test_statuses_fit_the_type_and_sent_pieces_carry_their_sending_date(demo: DemoData, today: date) -> None:
    by_type: defaultdict[PieceType, set[Status]] = defaultdict(set)
    for piece in demo.pieces:
        by_type[piece.type].add(piece.status)
        if piece.status in (Status.sent, Status.accepted, Status.refused):
            assert piece.last_sent is not None and piece.date <= piece.last_sent <= today
        if piece.status in (Status.draft, Status.validated):
            assert piece.last_sent is None
    assert {Status.accepted, Status.refused, Status.sent, Status.draft, Status.converted} <= by_type[PieceType.quote]
    for piece_type in PieceType:
        if piece_type is not PieceType.quote:
            assert not by_type[piece_type] & {Status.accepted, Status.refused}, piece_type
        if not piece_type.is_billing:
            assert not by_type[piece_type] & {Status.paid, Status.partially_paid}, piece_type
    for piece_type in (PieceType.goods_receipt, PieceType.supplier_invoice, PieceType.supplier_credit_note):
        assert all(p.last_sent is None for p in demo.pieces if p.type is piece_type)


def test_last_month_has_validated_never_sent_invoices_nearly_all_with_an_address(demo: DemoData, today: date) -> None:
    last = today.replace(day=1) - timedelta(days=1)
    contacts = {c.id: c for c in demo.contacts}
    waiting = [
        p
        for p in demo.pieces
        if p.type is PieceType.invoice
        and (p.date.year, p.date.month) == (last.year, last.month)
        and p.status is Status.validated
    ]
    assert all(p.last_sent is None and p.payments == [] for p in waiting)
    without_address = [p for p in waiting if contacts[p.contact_id].email is None]
    assert 1 <= len(without_address) <= 2
    reachable = [p for p in waiting if contacts[p.contact_id].email]
    assert len(reachable) >= 5
    assert all(contacts[p.contact_id].send_by_email for p in waiting)


def test_a_few_pieces_come_from_a_quote_through_an_order(demo: DemoData) -> None:
    by_id = {p.id: p for p in demo.pieces}
    linked = [p for p in demo.pieces if p.origin_ids]
    assert 20 <= sum(1 for p in linked if p.type is PieceType.invoice) <= 60
    for piece in linked:
        [origin_id] = piece.origin_ids
        origin = by_id[origin_id]
        assert piece.id in origin.derived_ids
        assert origin.id < piece.id and origin.date <= piece.date and origin.contact_id == piece.contact_id
        assert origin.status is Status.converted
        assert [line.description for line in origin.lines] == [line.description for line in piece.lines]
        allowed = {
            PieceType.order: {PieceType.quote},
            PieceType.delivery_note: {PieceType.order},
            PieceType.invoice: {PieceType.order, PieceType.delivery_note},
        }
        assert origin.type in allowed[piece.type]


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        doubled = int(char) * (1 + position % 2)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def to_digits(text: str) -> str:
    return "".join(str(int(char, 36)) for char in text)
