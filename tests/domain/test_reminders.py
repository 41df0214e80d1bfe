"""Which invoices are reminded, at which level, over a timeline of days: an invoice followed from its due date
through three reminders, the ones never reminded (paid, credit notes, supplier invoices), and the settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.reminders import (
    DunningLevel,
    DunningSettings,
    ReminderPlan,
    ReminderRequest,
    plan_reminders,
)
from batchmail.errors import InvalidInput

DUE = date(2026, 9, 30)
SETTINGS = DunningSettings()  # levels at 7, 30 and 60 days, 14 days apart at least


def invoice(id: int, contact: int = 1, price: str = "100", **extra: object) -> Piece:
    values: dict[str, object] = {
        "id": id,
        "number": f"FA-2026-{id:05d}",
        "type": PieceType.invoice,
        "date": DUE - timedelta(days=30),
        "due_date": DUE,
        "contact_id": contact,
        "status": Status.sent,
        "lines": [Line(description="Entretien", quantity=D(1), unit_price=D(price), vat_rate=D(20))],
    } | extra
    return Piece(**values)  # type: ignore[arg-type]


def on(day: date, pieces: list[Piece], *, today: set[int] | None = None, **request: object) -> ReminderPlan:
    return plan_reminders(
        pieces,
        ReminderRequest(as_of=day, **request),
        SETTINGS,
        reminded_today=today or set(),  # type: ignore[arg-type]
    )


def remind(piece: Piece, day: date) -> Piece:
    """The invoice as recording a reminder leaves it."""
    return replace(piece, reminder_level=piece.reminder_level + 1, last_reminder=day)


def test_an_invoice_climbs_the_levels_as_the_days_pass() -> None:
    piece = invoice(1)
    timeline: list[tuple[date, int | None]] = []
    for offset in range(0, 120):
        day = DUE + timedelta(days=offset)
        plan = on(day, [piece])
        level = plan.mails[0].level if plan.mails else None
        if level is not None:
            piece = remind(piece, day)
        timeline.append((day, level))
    sent = [(day - DUE).days for day, level in timeline if level is not None]
    levels = [level for _, level in timeline if level is not None]
    # Level 1 at 7 days; level 2 at 30 days (14 after the first); level 3 at 60; then level 3 again every 14 days.
    assert sent[:5] == [7, 30, 60, 74, 88]
    assert levels[:5] == [1, 2, 3, 3, 3]
    assert piece.reminder_level == len(sent)


def test_the_reasons_an_overdue_invoice_waits() -> None:
    day = DUE + timedelta(days=40)
    pieces = [
        invoice(1),  # never reminded: level 1
        invoice(2, reminder_level=1, last_reminder=day - timedelta(days=5)),  # level 2 waits 14 days
        invoice(3, reminder_level=1, last_reminder=day - timedelta(days=20)),  # level 2 due
        invoice(4, due_date=day - timedelta(days=3)),  # 3 days overdue: level 1 at 7
        invoice(5, last_reminder=day),
        invoice(6),
    ]
    plan = on(day, pieces, today={6})
    assert [(m.contact_id, m.level, [i.number for i in m.invoices]) for m in plan.mails] == [
        (1, 2, ["FA-2026-00001", "FA-2026-00003"])
    ]
    assert {left.number: left.reason for left in plan.left_out} == {
        "FA-2026-00002": "reminded on 04/11/2026: level 2 waits 14 days after the previous one",
        "FA-2026-00004": "3 day(s) overdue: level 1 comes at 7",
        "FA-2026-00005": "already reminded today",
        "FA-2026-00006": "already reminded today",
    }


def test_paid_invoices_credit_notes_and_supplier_invoices_are_never_reminded() -> None:
    day = DUE + timedelta(days=45)
    pieces = [
        invoice(1, status=Status.paid, payments=[Payment(date=DUE, amount=D(120))]),
        invoice(2, type=PieceType.credit_note),
        invoice(3, type=PieceType.supplier_invoice),
        invoice(4, status=Status.draft),
        invoice(5, status=Status.cancelled),
        invoice(6, status=Status.converted),
        invoice(7, payments=[Payment(date=DUE, amount=D(100))], status=Status.partially_paid),
    ]
    plan = on(day, pieces)
    [mail] = plan.mails
    assert [i.number for i in mail.invoices] == ["FA-2026-00007"] and mail.total_due == D("20.00")
    assert plan.left_out == []


def test_one_mail_per_contact_at_the_highest_level_and_the_filters() -> None:
    day = DUE + timedelta(days=45)
    pieces = [
        invoice(1, contact=1),
        invoice(2, contact=1, reminder_level=1, last_reminder=DUE + timedelta(days=7)),
        invoice(3, contact=2, price="10"),
        invoice(4, contact=3, due_date=day - timedelta(days=10)),
    ]
    plan = on(day, pieces)
    assert [(m.contact_id, m.level, m.total_due) for m in plan.mails] == [
        (1, 2, D("240.00")),
        (2, 1, D("12.00")),
        (3, 1, D("120.00")),
    ]
    assert [m.contact_id for m in on(day, pieces, contact_ids=frozenset({2})).mails] == [2]
    assert [m.contact_id for m in on(day, pieces, min_days_overdue=30).mails] == [1, 2]
    only_two = on(day, pieces, level=2)
    assert [m.contact_id for m in only_two.mails] == [1]
    assert "due for level 1, not 2" in {left.reason for left in only_two.left_out}


def test_a_level_s_minimum_amount_holds_a_small_balance_back() -> None:
    settings = DunningSettings(levels=(DunningLevel(days_overdue=7, min_amount=D(50)),))
    plan = plan_reminders(
        [invoice(1, price="10"), invoice(2, contact=2)],
        ReminderRequest(as_of=DUE + timedelta(days=8)),
        settings,
        reminded_today=set(),
    )
    assert [m.contact_id for m in plan.mails] == [2]
    assert plan.left_out[0].reason == "12.00 due in all, below level 1's minimum of 50"


def test_settings_round_trip_and_refuse_levels_out_of_order() -> None:
    custom = DunningSettings(
        levels=(
            DunningLevel(days_overdue=10, min_amount=D("15.50")),
            DunningLevel(days_overdue=45, attach_pieces=False),
        )
    )
    assert DunningSettings.from_json(custom.to_json()) == custom
    assert DunningSettings.from_json({}) == DunningSettings()
    with pytest.raises(InvalidInput, match="level 2: 5 days overdue, not after level 1's 10"):
        DunningSettings(levels=(DunningLevel(days_overdue=10), DunningLevel(days_overdue=5)))
    with pytest.raises(InvalidInput, match="at least one level"):
        DunningSettings(levels=())
