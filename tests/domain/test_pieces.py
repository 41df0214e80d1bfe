"""Totals, VAT per rate, rounding, balance and overdue on examples computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from batchmail.domain.money import parse_decimal
from batchmail.domain.numbering import format_number, parse_number
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status
from batchmail.errors import InvalidInput


def invoice(*lines: Line, status: Status = Status.sent, payments: tuple[Payment, ...] = ()) -> Piece:
    return Piece(
        type=PieceType.invoice,
        date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        contact_id=1,
        status=status,
        lines=list(lines),
        payments=list(payments),
    )


def line(quantity: str, price: str, vat: str, discount: str = "0") -> Line:
    return Line(description="x", quantity=D(quantity), unit_price=D(price), vat_rate=D(vat), discount=D(discount))


def test_totals_with_two_vat_rates() -> None:
    # 3 x 19.99 = 59.97 at 20 %; 2 x 7.25 = 14.50 at 5.5 %
    piece = invoice(line("3", "19.99", "20"), line("2", "7.25", "5.5"))
    totals = piece.totals
    assert totals.excl_tax == D("74.47")
    assert [(v.rate, v.base, v.amount) for v in totals.vat] == [
        (D("5.5"), D("14.50"), D("0.80")),  # 0.7975 -> 0.80
        (D("20"), D("59.97"), D("11.99")),  # 11.994 -> 11.99
    ]
    assert totals.vat_total == D("12.79")
    assert totals.incl_tax == D("87.26")


def test_line_rounding_is_half_up_to_the_cent() -> None:
    assert line("1", "0.125", "20").amount_excl_tax == D("0.13")
    assert line("3", "10.005", "20").amount_excl_tax == D("30.02")  # 30.015
    # 10 % discount on 3 x 33.33 = 99.99 -> 89.991 -> 89.99
    assert line("3", "33.33", "20", discount="10").amount_excl_tax == D("89.99")


def test_vat_is_computed_per_rate_on_the_rounded_lines() -> None:
    # Three lines of 0.33 at 20 %: base 0.99, VAT 0.198 -> 0.20 (line by line it would be 3 x 0.07 = 0.21)
    piece = invoice(line("1", "0.33", "20"), line("1", "0.33", "20"), line("1", "0.33", "20"))
    assert piece.totals.vat_total == D("0.20")
    assert piece.totals.incl_tax == D("1.19")


def test_balance_after_payments_and_status() -> None:
    piece = invoice(line("10", "100", "20"), payments=(Payment(date=date(2026, 10, 15), amount=D("500.00")),))
    assert piece.totals.incl_tax == D("1200.00")
    assert piece.balance == D("700.00")
    assert piece.status_after_payment() is Status.partially_paid
    piece.payments.append(Payment(date=date(2026, 10, 20), amount=D("700.00")))
    assert piece.balance == D("0.00")
    assert piece.status_after_payment() is Status.paid


def test_no_balance_on_drafts_cancelled_and_non_billing_types() -> None:
    assert invoice(line("1", "10", "20"), status=Status.draft).balance == 0
    assert invoice(line("1", "10", "20"), status=Status.cancelled).balance == 0
    quote = invoice(line("1", "10", "20"))
    quote.type = PieceType.quote
    assert quote.balance == 0


def test_overdue_needs_a_balance_and_a_past_due_date() -> None:
    piece = invoice(line("1", "100", "20"))
    assert not piece.is_overdue(date(2026, 10, 31))  # due today: not yet
    assert piece.is_overdue(date(2026, 11, 1))
    assert piece.days_overdue(date(2026, 11, 10)) == 10
    piece.payments.append(Payment(date=date(2026, 10, 2), amount=D("120.00")))
    assert not piece.is_overdue(date(2026, 12, 1))


def test_sides_and_numbers() -> None:
    assert PieceType.supplier_invoice.side is Side.supplier
    assert PieceType.goods_receipt.side is Side.supplier
    assert PieceType.delivery_note.side is Side.customer
    assert format_number(PieceType.invoice, 2026, 42) == "FA-2026-00042"
    assert parse_number("AV-2025-00007") == ("AV", 2025, 7)
    assert parse_number("INV/2025/7") is None


def test_parse_decimal_names_the_field() -> None:
    assert parse_decimal(" 12.50 ", "unit_price") == D("12.50")
    with pytest.raises(InvalidInput, match="unit_price: '12,50' is not a number"):
        parse_decimal("12,50", "unit_price")
