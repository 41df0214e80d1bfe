"""The store's fast summaries equal `PieceSummary.of` for every type, status and kind of text."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Status
from batchmail.domain.selection import PieceSummary, fold
from storage.codec import encode_piece
from storage.pieces import _fold, summarize, summary_of

TEXTS = [
    "",
    "Payé à réception",
    "ÉCHÉANCE dépassée — relance n° 2",
    "Ó Briain & Søren: straße, ǅemal, ﬁnance, Ω, ς, x\u0301y, \u0301début",
    "co\u0308operation  double  espace",
    "日本語のメモ",
    "plain ascii NOTES",
]


def random_piece(rng: random.Random, piece_id: int) -> Piece:
    day = date(2020, 1, 1) + timedelta(days=rng.randrange(2500))
    return Piece(
        id=piece_id,
        number=rng.choice(["", f"FA-{day.year}-{piece_id:05d}", "Ancien n°7"]),
        type=rng.choice(list(PieceType)),
        date=day,
        due_date=rng.choice([None, day + timedelta(days=30)]),
        contact_id=rng.randrange(1, 50),
        status=rng.choice(list(Status)),
        lines=[
            Line(
                description="x",
                quantity=Decimal(rng.choice(["1", "0.333", "2.5", "-1", "1E+1"])),
                unit_price=Decimal(rng.choice(["0.10", "19.99", "1234.567", "0.005"])),
                vat_rate=Decimal(rng.choice(["20", "20.0", "5.5", "0", "2.1"])),
                discount=Decimal(rng.choice(["0", "0", "12.5", "100"])),
            )
            for _ in range(rng.randrange(0, 7))
        ],
        payments=[
            Payment(date=day, amount=Decimal(rng.choice(["0.10", "50", "-3.33"]))) for _ in range(rng.randrange(3))
        ],
        nature=rng.choice(TEXTS),
        reference=rng.choice(TEXTS),
        notes=" ".join(rng.sample(TEXTS, 3)),
        last_sent=rng.choice([None, day]),
        reminder_level=rng.choice([0, 0, 1, 3]),
        last_reminder=rng.choice([None, day]),
    )


def test_fast_summaries_equal_the_domain_ones() -> None:
    rng = random.Random(5)
    for piece_id in range(1, 2001):
        piece = random_piece(rng, piece_id)
        expected = PieceSummary.of(piece)
        got = summary_of(piece)
        assert got == expected, piece
        assert str(got.total_incl_tax) == str(expected.total_incl_tax)
        assert str(got.balance) == str(expected.balance)


def test_a_stored_piece_without_its_total_is_summarized_from_its_lines() -> None:
    piece = random_piece(random.Random(1), 1)
    assert summarize(encode_piece(piece)) == PieceSummary.of(piece)


@pytest.mark.parametrize("text", [*TEXTS, " ".join(TEXTS), "  lead and trail  "])
def test_word_by_word_folding_equals_fold(text: str) -> None:
    assert _fold(text) == fold(text)
    assert _fold(text) == fold(text)  # remembered words too
