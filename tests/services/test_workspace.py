"""The workspace service the main screen calls: pages of matching pieces, the batch kept in the store, the
remembered filters and the quick views, over a real store in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from batchmail.domain.company import User
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.selection import Criteria
from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.accounts import mailbox_account
from batchmail.sending.history import SendRecord
from batchmail.services.accounts import CURRENT_USER_KEY
from batchmail.services.workspace import Page, PieceRow, PieceTotals, Sort, SortKey
from batchmail.wiring import App, open_app, wire
from storage.stores import Stores, open_stores

CONTACTS = [
    Contact(id=1, company="L'Atelier d'Élodie", name="Élodie Lefèvre", emails=["elodie@example.fr"]),
    Contact(id=2, company="Müller & Fils", name="Jürgen Müller", emails=["jm@example.be"]),
    Contact(id=3, company="", name="Zoé Martin", emails=[]),
]


def invoice(day: date, contact: int, price: str, status: Status = Status.validated, **extra: object) -> Piece:
    return Piece(
        type=extra.pop("type", PieceType.invoice),  # type: ignore[arg-type]
        date=day,
        due_date=date.fromordinal(day.toordinal() + 30),
        contact_id=contact,
        status=status,
        lines=[Line(description="Entretien", quantity=D(1), unit_price=D(price), vat_rate=D(20))],
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[App, Stores]]:
    stores = open_stores(tmp_path / "data")
    app = wire(stores)
    stores.contacts.add_many(CONTACTS)
    stores.pieces.add_many(
        [
            invoice(date(2026, 10, 3), 1, "100"),  # 120.00 TTC
            invoice(date(2026, 10, 20), 2, "1000", Status.sent),  # 1200.00
            invoice(
                date(2026, 9, 12),
                1,
                "50",
                Status.partially_paid,
                payments=[Payment(date=date(2026, 9, 30), amount=D("10.00"))],
            ),  # 60.00
            invoice(date(2026, 10, 5), 3, "300", Status.accepted, type=PieceType.quote),  # 360.00
            invoice(date(2026, 8, 1), 2, "20", Status.draft),  # 24.00, no balance (draft)
        ]
    )
    yield app, stores
    app.close()


def numbers(rows: list[PieceRow]) -> list[str]:
    return [row.summary.number for row in rows]


async def test_page_slices_in_the_order_asked(app: App) -> None:
    workspace = app.workspace
    everything = await workspace.page(Criteria(), 0, 100)
    assert everything.total == 5
    assert numbers(everything.rows) == [
        "FA-2026-00002",
        "DE-2026-00001",
        "FA-2026-00001",
        "FA-2026-00003",
        "FA-2026-00004",
    ]
    middle = await workspace.page(Criteria(), 1, 2)
    assert numbers(middle.rows) == numbers(everything.rows)[1:3] and middle.total == 5
    assert (await workspace.page(Criteria(), 10, 5)).rows == []
    by_total = await workspace.page(Criteria(), 0, 5, Sort(key=SortKey.total, descending=False))
    assert [r.summary.total_incl_tax for r in by_total.rows] == [
        D("24.00"),
        D("60.00"),
        D("120.00"),
        D("360.00"),
        D("1200.00"),
    ]
    by_contact = await workspace.page(Criteria(), 0, 5, Sort(key=SortKey.contact, descending=False))
    assert [r.contact_name for r in by_contact.rows][:2] == ["Élodie Lefèvre", "Élodie Lefèvre"]  # é sorts as e
    assert by_contact.rows[-1].contact_name == "Zoé Martin"
    by_type = await workspace.page(Criteria(), 0, 5, Sort(key=SortKey.type, descending=False))
    assert by_type.rows[0].summary.type is PieceType.quote  # the order of the trade, not the alphabet
    for key in SortKey:
        assert (await workspace.page(Criteria(), 0, 5, Sort(key=key))).total == 5
    with pytest.raises(InvalidInput):
        await workspace.page(Criteria(), -1, 5)


async def test_matching_totals_and_ids(app: App) -> None:
    workspace = app.workspace
    invoices = Criteria(types=frozenset({PieceType.invoice}))
    assert await workspace.matching(invoices) == PieceTotals(count=4, total_incl_tax=D("1404.00"), balance=D("1370.00"))
    assert await workspace.matching(Criteria(text="nothing like this")) == PieceTotals(
        count=0, total_incl_tax=D("0.00"), balance=D("0.00")
    )
    ids = await workspace.matching_ids(invoices)
    assert len(ids) == 4
    assert await workspace.matching_ids(invoices, excluding=ids[:2]) == ids[2:]


async def test_matching_page_gives_the_totals_and_the_first_rows(app: App) -> None:
    """What a filter change shows, in one call; the next rows in the same order come from `page`."""
    workspace = app.workspace
    invoices = Criteria(types=frozenset({PieceType.invoice}))
    biggest_first = Sort(key=SortKey.total, descending=True)
    totals, first = await workspace.matching_page(invoices, 2, biggest_first)
    assert totals == await workspace.matching(invoices)
    assert [r.summary.total_incl_tax for r in first.rows] == [D("1200.00"), D("120.00")] and first.total == 4
    rest = await workspace.page(invoices, 2, 10, biggest_first)
    assert [r.summary.total_incl_tax for r in rest.rows] == [D("60.00"), D("24.00")]

    await workspace.add_to_batch(await workspace.matching_ids(Criteria(contact_ids=frozenset({1}))))
    batch, rows = await workspace.matching_page(Criteria(ids=frozenset(await workspace.batch_ids())), 100)
    assert batch == await workspace.batch_summary() and numbers(rows.rows) == ["FA-2026-00001", "FA-2026-00003"]
    nothing, empty = await workspace.matching_page(Criteria(ids=frozenset()), 100)
    assert nothing.count == 0 and empty == Page(rows=[], total=0)
    with pytest.raises(InvalidInput):
        await workspace.matching_page(invoices, -1)


async def test_a_changed_piece_or_contact_shows_at_once(app: App, stores: Stores) -> None:
    """The kept result of a filter is not served once the pieces or the contacts it was computed from changed."""
    workspace = app.workspace
    validated = Criteria(statuses=frozenset({Status.validated}))
    assert (await workspace.page(validated, 0, 10)).total == 1
    piece = stores.pieces.by_number("FA-2026-00001")
    assert piece is not None
    by_status = Sort(key=SortKey.status, descending=False)
    assert (await workspace.page(Criteria(), 0, 1, by_status)).rows[0].summary.number == "FA-2026-00004"  # draft
    piece.status = Status.sent
    stores.pieces.update(piece)
    assert (await workspace.page(validated, 0, 10)).total == 0
    draft = stores.pieces.by_number("FA-2026-00004")
    assert draft is not None
    draft.status = Status.cancelled
    stores.pieces.update(draft)
    assert (await workspace.page(Criteria(), 0, 1, by_status)).rows[0].summary.number == "FA-2026-00002"  # sent, newest

    by_company = Criteria(company="muller")
    assert (await workspace.matching(by_company)).count == 2
    renamed = stores.contacts.get(2)
    renamed.company = "Schmidt GmbH"
    stores.contacts.update(renamed)
    assert (await workspace.matching(by_company)).count == 0
    assert (await workspace.page(Criteria(contact_ids=frozenset({2})), 0, 1)).rows[0].company == "Schmidt GmbH"


async def test_the_batch_is_kept_apart_and_survives_a_restart(app: App, tmp_path: Path) -> None:
    workspace = app.workspace
    assert await workspace.batch_ids() == []
    first = await workspace.matching_ids(Criteria(contact_ids=frozenset({1})))
    await workspace.add_to_batch(first)
    summary = await workspace.add_to_batch(
        [first[0], *await workspace.matching_ids(Criteria(contact_ids=frozenset({3})))]
    )
    assert summary == PieceTotals(count=3, total_incl_tax=D("540.00"), balance=D("170.00"))
    assert await workspace.batch_summary() == summary
    assert (await workspace.batch_ids())[:2] == first  # the order they came in, each once
    with pytest.raises(NotFound):
        await workspace.add_to_batch([999])
    assert len(await workspace.batch_ids()) == 3

    trimmed = await workspace.remove_from_batch([first[0], 12345])
    assert trimmed.count == 2
    kept = await workspace.batch_ids()
    await workspace.remember_filters({"type": "invoice", "text": "Élo"})
    app.close()

    reopened = open_app(tmp_path / "data")
    try:
        assert await reopened.workspace.batch_ids() == kept
        assert (await reopened.workspace.batch_summary()).count == 2
        assert await reopened.workspace.remembered_filters() == {"type": "invoice", "text": "Élo"}
        await reopened.workspace.clear_batch()
        assert await reopened.workspace.batch_summary() == PieceTotals(count=0, total_incl_tax=D(0), balance=D(0))
    finally:
        reopened.close()


async def test_remembered_filters_refuse_what_is_not_json(app: App) -> None:
    assert await app.workspace.remembered_filters() == {}
    with pytest.raises(InvalidInput):
        await app.workspace.remember_filters({"start": date(2026, 1, 1)})


async def test_piece_view(app: App, stores: Stores) -> None:
    origin = stores.pieces.by_number("DE-2026-00001")
    assert origin is not None
    made = stores.pieces.add(invoice(date(2026, 11, 2), 3, "300", origin_ids=[origin.id]))
    sent_at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    stores.history.add(
        SendRecord(
            contact_id=3,
            piece_ids=[made.id],
            message_id="<m1@x>",
            subject="Facture",
            account="test-mailbox",
            sent_at=sent_at,
        )
    )
    await app.workspace.add_to_batch([made.id])
    view = await app.workspace.piece_view(made.id)
    assert view.piece.number == made.number
    assert view.contact is not None and view.contact.name == "Zoé Martin"
    assert [ref.number for ref in view.origins] == ["DE-2026-00001"] and view.derived == ()
    assert [r.message_id for r in view.history] == ["<m1@x>"]
    assert view.in_batch
    plain = await app.workspace.piece_view(origin.id)
    assert plain.origins == () and plain.history == [] and not plain.in_batch
    with pytest.raises(NotFound):
        await app.workspace.piece_view(999)


async def test_contact_view_and_search(app: App) -> None:
    view = await app.workspace.contact_view(1)
    assert [s.number for s in view.pieces] == ["FA-2026-00001", "FA-2026-00003"]
    assert view.totals == PieceTotals(count=2, total_incl_tax=D("180.00"), balance=D("170.00"))
    assert view.history == []
    with pytest.raises(NotFound):
        await app.workspace.contact_view(42)

    found = await app.workspace.find_contacts("ELODIE")
    assert [c.id for c in found] == [1]
    assert [c.id for c in await app.workspace.find_contacts("muller & fils")] == [2]
    assert [c.id for c in await app.workspace.find_contacts("example.be")] == [2]
    assert [c.name for c in await app.workspace.find_contacts()] == [
        "Élodie Lefèvre",
        "Jürgen Müller",
        "Zoé Martin",
    ]
    assert len(await app.workspace.find_contacts("", limit=2)) == 2
    assert [c.id for c in await app.workspace.contacts_by_id([3, 99, 1])] == [3, 1]


async def test_current_user(app: App, stores: Stores) -> None:
    assert await app.accounts.current_user() is None
    first = stores.company.add_user(User(name="Claire"))
    second = stores.company.add_user(User(name="Marc"))
    assert (await app.accounts.current_user()) == first
    stores.settings.set(CURRENT_USER_KEY, second.id)
    assert (await app.accounts.current_user()) == second
    assert [u.name for u in await app.accounts.users()] == ["Claire", "Marc"]
    assert await app.accounts.all() == [(mailbox_account(), True)]
