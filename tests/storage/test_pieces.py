"""Pieces: numbering without gaps, year files, summaries kept current, a move that survives a crash."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from batchmail.domain.pieces import Piece, PieceType, Status
from batchmail.domain.selection import PieceSummary
from batchmail.errors import InvalidInput, NotFound
from storage.stores import Stores, open_stores
from tests.storage.conftest import make_piece


def test_concurrent_adds_number_invoices_without_gap_or_duplicate(stores: Stores) -> None:
    start = threading.Barrier(8)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for _ in range(25):
                numbers.append(stores.pieces.add(make_piece()).number)
        except BaseException as err:  # surfaced by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"FA-2026-{n:05d}" for n in range(1, 201)]
    assert sorted(s.number for s in stores.pieces.summaries()) == sorted(numbers)
    assert stores.pieces.max_sequence(PieceType.invoice, 2026) == 200
    assert len({s.id for s in stores.pieces.summaries()}) == 200


def test_numbering_continues_after_imported_numbers_per_type_and_year(stores: Stores) -> None:
    imported = stores.pieces.add_many(
        [
            make_piece(number="FA-2026-00041"),
            make_piece(number="OLD/2019/7"),  # a foreign number: kept, ignored by the numbering
            make_piece(),  # numbered after the imported ones
            make_piece(piece_type=PieceType.quote),
            make_piece(day=date(2025, 12, 31)),
        ]
    )
    assert [p.number for p in imported] == [
        "FA-2026-00041",
        "OLD/2019/7",
        "FA-2026-00042",
        "DE-2026-00001",
        "FA-2025-00001",
    ]
    assert stores.pieces.add(make_piece()).number == "FA-2026-00043"
    assert stores.pieces.by_number("OLD/2019/7") == imported[1]
    assert stores.pieces.by_number("FA-2026-00099") is None


def test_a_number_already_used_is_refused_and_nothing_is_written(stores: Stores, tmp_path: Path) -> None:
    stores.pieces.add(make_piece(number="FA-2026-00041"))
    with pytest.raises(InvalidInput, match="FA-2026-00041"):
        stores.pieces.add_many([make_piece(), make_piece(number="FA-2026-00041")])
    with pytest.raises(InvalidInput, match="FA-2026-00007"):
        stores.pieces.add_many([make_piece(number="FA-2026-00007"), make_piece(number="FA-2026-00007")])
    assert stores.pieces.count() == 1
    second = stores.pieces.add(make_piece())
    second.number = "FA-2026-00041"
    with pytest.raises(InvalidInput, match="FA-2026-00041"):
        stores.pieces.update(second)


def test_get_and_update_round_trip_through_the_disk(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        piece = stores.pieces.add(make_piece(notes="Payable à réception"))
        assert stores.pieces.get(piece.id) == piece
        piece.status = Status.paid
        piece.payments[0].amount = Decimal("215.57")
        stores.pieces.update(piece)
        with pytest.raises(NotFound):
            stores.pieces.get(999)
        with pytest.raises(NotFound):
            stores.pieces.update(make_piece())
    with open_stores(tmp_path) as stores:
        assert stores.pieces.get(piece.id) == piece
        assert str(stores.pieces.get(piece.id).payments[0].amount) == "215.57"
        assert stores.pieces.get_many([piece.id]) == [piece]


def test_summaries_follow_every_change(stores: Stores) -> None:
    first, second = stores.pieces.add_many([make_piece(notes="Éric"), make_piece(piece_type=PieceType.quote)])
    assert sorted(stores.pieces.summaries(), key=lambda s: s.id) == [PieceSummary.of(first), PieceSummary.of(second)]
    first.status = Status.cancelled
    first.notes = "Annulée à la demande du client"
    stores.pieces.update(first)
    summary = {s.id: s for s in stores.pieces.summaries()}[first.id]
    assert summary == PieceSummary.of(first)
    assert summary.balance == 0 and "annulee" in summary.search_text


def test_a_change_of_year_moves_the_piece_to_its_new_file(stores: Stores) -> None:
    piece = stores.pieces.add(make_piece(day=date(2025, 12, 30)))
    piece.date = date(2026, 1, 2)
    stores.pieces.update(piece)
    folder = stores.data_dir / "pieces"
    assert str(piece.id) not in orjson.loads((folder / "2025.json").read_bytes())["pieces"]
    assert orjson.loads((folder / "2026.json").read_bytes())["pieces"][str(piece.id)]["date"] == "2026-01-02"
    assert stores.pieces.get(piece.id) == piece
    assert [s.date for s in stores.pieces.summaries()] == [date(2026, 1, 2)]


def test_a_crash_in_the_middle_of_a_move_keeps_the_moved_piece(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        piece = stores.pieces.add(make_piece(day=date(2025, 12, 30)))
        old_file = tmp_path / "pieces" / "2025.json"
        before_move = old_file.read_bytes()
        piece.date, piece.notes = date(2026, 1, 2), "moved"
        stores.pieces.update(piece)
        piece.notes = "moved, then changed"
        stores.pieces.update(piece)
    old_file.write_bytes(before_move)  # as if the app died before removing it from its old file
    with open_stores(tmp_path) as stores:
        assert stores.pieces.count() == 1
        assert stores.pieces.get(piece.id) == piece
        assert stores.pieces.by_number(piece.number) == piece
        stores.pieces.add(make_piece(day=date(2025, 6, 1)))  # the next write of 2025 drops the stale copy
    assert str(piece.id) not in orjson.loads(old_file.read_bytes())["pieces"]
    with open_stores(tmp_path) as stores:
        assert stores.pieces.get(piece.id) == piece and stores.pieces.count() == 2


def test_update_many_writes_each_year_once_and_allows_swapping_numbers(stores: Stores) -> None:
    a, b = stores.pieces.add_many([make_piece(), make_piece()])
    a.number, b.number = b.number, a.number
    a.date = date(2024, 5, 5)
    stores.pieces.update_many([a, b])
    assert stores.pieces.by_number("FA-2026-00002") == a
    assert stores.pieces.by_number("FA-2026-00001") == b
    assert stores.pieces.max_sequence(PieceType.invoice, 2026) == 2


def test_renumbering_the_highest_number_frees_it(stores: Stores) -> None:
    stores.pieces.add_many([make_piece(), make_piece()])
    last = stores.pieces.by_number("FA-2026-00002")
    assert last is not None
    last.number = "MANUAL-1"
    stores.pieces.update(last)
    assert stores.pieces.add(make_piece()).number == "FA-2026-00002"


def test_a_piece_of_a_mistyped_year_is_not_lost(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        piece = stores.pieces.add(make_piece(day=date(202, 3, 1)))
    with open_stores(tmp_path) as stores:
        assert stores.pieces.get(piece.id) == piece


def test_change_many_holds_the_store_so_no_other_change_is_lost(stores: Stores) -> None:
    piece = stores.pieces.add(make_piece())
    inside, proceed = threading.Event(), threading.Event()

    def slow_change(p: Piece) -> None:  # reads, then waits while another change of the same piece comes
        inside.set()
        assert proceed.wait(10)
        p.notes = "relancé"

    first = threading.Thread(target=stores.pieces.change_many, args=([piece.id], slow_change))
    first.start()
    assert inside.wait(10)

    def mark_sent(p: Piece) -> None:
        p.status = Status.sent

    second = threading.Thread(target=stores.pieces.change_many, args=([piece.id], mark_sent))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waits for the first change to be stored
    proceed.set()
    first.join()
    second.join()
    stored = stores.pieces.get(piece.id)
    assert (stored.notes, stored.status) == ("relancé", Status.sent)


def test_change_many_skips_pieces_no_longer_stored(stores: Stores) -> None:
    piece = stores.pieces.add(make_piece())
    changed = stores.pieces.change_many([999, piece.id, piece.id], lambda p: setattr(p, "status", Status.paid))
    assert [p.id for p in changed] == [piece.id]
    assert stores.pieces.get(piece.id).status is Status.paid
    assert stores.pieces.change_many([999], lambda p: setattr(p, "status", Status.paid)) == []
