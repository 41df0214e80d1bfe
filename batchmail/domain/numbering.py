"""Piece numbers: type prefix, year and a sequence per type and year (``FA-2026-00042``), and their natural order."""

from __future__ import annotations

import re

from batchmail.domain.pieces import PieceType

NUMBER_DIGITS = 5
_NUMBER_RE = re.compile(r"^(?P<prefix>[A-Z]{2})-(?P<year>\d{4})-(?P<seq>\d+)$")


def format_number(piece_type: PieceType, year: int, sequence: int) -> str:
    """The number of a piece: type prefix, year, sequence, e.g. ``FA-2026-00042``."""
    return f"{piece_type.prefix}-{year}-{sequence:0{NUMBER_DIGITS}d}"


def parse_number(number: str) -> tuple[str, int, int] | None:
    """(prefix, year, sequence) of a number in BatchMail's format, or None for a foreign number."""
    match = _NUMBER_RE.match(number)
    if not match:
        return None
    return match["prefix"], int(match["year"]), int(match["seq"])


def natural_key(number: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting FA-2026-00009 before FA-2026-00010 and INV-9 before INV-10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", number) if part)
