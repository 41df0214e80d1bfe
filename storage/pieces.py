"""The pieces, one file per year of their date (pieces/2026.json), with their summaries and numbers in memory.

Splitting by year keeps one change to one year's file: at 100,000 pieces a whole-store rewrite would be ten times
larger. Ids are global across years and are the TinyDB document ids.

Each stored piece also carries its total including tax (`_total`), computed by `Piece.totals` whenever the piece
is written. Opening the store builds a summary of every piece; recomputing a hundred thousand totals from their
lines in Decimal took longer than the whole open target, reading them takes nothing. Should the rounding rule of
`batchmail.pieces` ever change, a migration of the pieces schema must recompute `_total` (a document without it is
computed from its lines).

A piece whose year changes is written into its new year's file before it is removed from the old one. The new copy
carries a move mark (`_moved`, a counter higher than every earlier one, kept through later updates) so that if the
app dies between the two writes, the next load keeps the moved copy and ignores the stale one.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path
from threading import RLock

from tinydb import TinyDB
from tinydb.table import Table

from batchmail.domain.money import ZERO
from batchmail.domain.numbering import format_number, parse_number
from batchmail.domain.pieces import NO_BALANCE, Piece, PieceType, Status
from batchmail.domain.selection import PieceSummary, fold
from batchmail.errors import InvalidInput, NotFound, StoreError
from storage.atomic import Doc, committed_together, decoded, put_documents, raw_documents, storage_of
from storage.codec import decode_piece, encode_piece

TABLE = "pieces"
COMMIT_RECORD = ".commit"  # names the year files a change writes together while it renames them (files.py)
_MOVED = "_moved"
_TOTAL = "_total"

Opener = Callable[[Path], TinyDB]


class PieceRepository:
    def __init__(self, folder: Path, lock: RLock, opener: Opener) -> None:
        self._folder = folder
        self._lock = lock
        self._open = opener
        self._shards: dict[int, TinyDB] = {}
        self._summaries: dict[int, PieceSummary] = {}
        self._year_of: dict[int, int] = {}  # piece id -> the year file holding it
        self._moved: dict[int, int] = {}  # piece id -> its move mark, for the pieces that carry one
        self._by_number: dict[str, int] = {}
        self._max_seq: dict[tuple[str, int], int] = {}
        self._next_id = 1
        self._last_move = 0
        self._load()

    # Reading

    def get(self, piece_id: int) -> Piece:
        with self._lock:
            return decode_piece(self._doc(piece_id))

    def get_many(self, piece_ids: Iterable[int]) -> list[Piece]:
        with self._lock:
            return [decode_piece(self._doc(piece_id)) for piece_id in piece_ids]

    def by_number(self, number: str) -> Piece | None:
        with self._lock:
            piece_id = self._by_number.get(number)
            return None if piece_id is None else decode_piece(self._doc(piece_id))

    def summaries(self) -> list[PieceSummary]:
        """One summary per piece, current; the list is the caller's, the summaries are shared (frozen)."""
        with self._lock:
            return list(self._summaries.values())

    def summaries_of(self, piece_ids: Iterable[int]) -> dict[int, PieceSummary]:
        """The summaries of those of `piece_ids` that are stored, by id."""
        with self._lock:
            return {i: summary for i in piece_ids if (summary := self._summaries.get(i)) is not None}

    def count(self) -> int:
        with self._lock:
            return len(self._summaries)

    def max_sequence(self, piece_type: PieceType, year: int) -> int:
        """The highest sequence used by a BatchMail number of that type and year, 0 when none."""
        with self._lock:
            return self._max_seq.get((piece_type.prefix, year), 0)

    # Writing

    def add(self, piece: Piece) -> Piece:
        """Store a new piece; gives it an id and, when it has none, the next number of its type and year."""
        return self.add_many([piece])[0]

    def add_many(
        self, pieces: Iterable[Piece], then: Callable[[list[Piece]], Iterable[Piece]] | None = None
    ) -> list[Piece]:
        """Store new pieces, one write per year file. Given numbers are kept; the others are numbered after the
        highest existing number of their type and year, in the order given. A number already used is refused
        (InvalidInput). `then`, given the new pieces as numbered, returns stored pieces to update in the same
        commit: the origins a generation marks converted and links to what it made."""
        with self._lock:
            pieces = list(pieces)
            taken = set(self._by_number)
            max_seq = dict(self._max_seq)
            for piece in pieces:
                if piece.number:
                    if piece.number in taken:
                        raise InvalidInput(f"piece number {piece.number} already exists")
                    taken.add(piece.number)
                    _raise_max(max_seq, piece.number)
            added: list[Piece] = []
            for piece in pieces:
                number = piece.number
                if not number:
                    key = (piece.type.prefix, piece.date.year)
                    max_seq[key] = max_seq.get(key, 0) + 1
                    number = format_number(piece.type, piece.date.year, max_seq[key])
                added.append(dataclasses.replace(piece, id=self._next_id + len(added), number=number))
            self._write(added, list(then(added)) if then else [])
            return added

    def update(self, piece: Piece) -> None:
        """Store the new state of a piece; on disk when this returns. A change of year moves it to its new file."""
        self.update_many([piece])

    def change_many(self, piece_ids: Iterable[int], change: Callable[[Piece], None]) -> list[Piece]:
        """Read, `change` and store the pieces in one hold of the store's lock, so no other change made meanwhile
        is lost; ids no longer stored are skipped. Returns the pieces as stored."""
        with self._lock:
            pieces = self.get_many(piece_id for piece_id in dict.fromkeys(piece_ids) if piece_id in self._year_of)
            for piece in pieces:
                change(piece)
            if pieces:
                self.update_many(pieces)
            return pieces

    def update_many(self, pieces: Iterable[Piece]) -> None:
        """Store several pieces: one write per year file touched, every one of them or none."""
        with self._lock:
            self._write([], list(pieces))

    def _write(self, added: list[Piece], changed: list[Piece]) -> None:
        """New pieces (numbered, with their ids) and new states of stored ones: one write per year file touched,
        every one of them or none (an import over several years, a generation and its origins)."""
        self._check_updates(changed)
        incoming: defaultdict[int, dict[int, Doc]] = defaultdict(dict)
        leaving: defaultdict[int, list[int]] = defaultdict(list)
        for piece in added:
            incoming[piece.date.year][piece.id] = _stored(piece)
        for piece in changed:
            old_year, new_year = self._year_of[piece.id], piece.date.year
            doc = _stored(piece)
            if new_year != old_year:
                self._last_move += 1
                doc[_MOVED] = self._last_move
                leaving[old_year].append(piece.id)
            elif piece.id in self._moved:
                doc[_MOVED] = self._moved[piece.id]
            incoming[new_year][piece.id] = doc
        with self._together([*incoming, *leaving]):
            for year, docs in sorted(incoming.items()):
                put_documents(self._table(year), docs)
            for year, piece_ids in sorted(leaving.items()):
                self._table(year).remove(doc_ids=piece_ids)
        for year, docs in incoming.items():
            for piece_id, doc in docs.items():
                self._index(piece_id, year, summarize(doc), doc.get(_MOVED))

    # Internals

    def _check_updates(self, pieces: list[Piece]) -> None:
        """Every piece exists and no two pieces end up with the same number (swapping numbers is allowed)."""
        changing = {piece.id for piece in pieces}
        numbers: dict[str, int] = {}
        for piece in pieces:
            if piece.id not in self._summaries:
                raise NotFound(f"piece {piece.id} does not exist")
            if not piece.number:
                continue
            owner = numbers.setdefault(piece.number, piece.id)
            holder = self._by_number.get(piece.number, piece.id)
            if owner != piece.id or (holder != piece.id and holder not in changing):
                raise InvalidInput(f"piece number {piece.number} already exists")

    def _doc(self, piece_id: int) -> Doc:
        year = self._year_of.get(piece_id)
        if year is None:
            raise NotFound(f"piece {piece_id} does not exist")
        return raw_documents(self._shards[year], TABLE)[str(piece_id)]

    def _table(self, year: int) -> Table:
        return self._shard(year).table(TABLE)

    def _shard(self, year: int) -> TinyDB:
        shard = self._shards.get(year)
        if shard is None:
            shard = self._shards[year] = self._open(self._folder / f"{year:04d}.json")
        return shard

    def _together(self, years: Iterable[int]) -> AbstractContextManager[None]:
        """The writes of the block to these years' files, on disk together or not at all."""
        storages = [storage_of(self._shard(year)) for year in sorted(set(years))]
        return committed_together(storages, record=self._folder / COMMIT_RECORD)

    def _index(self, piece_id: int, year: int, summary: PieceSummary, moved: int | None = None) -> None:
        """Record a piece's current summary, file and number (replacing what was known of it)."""
        old = self._summaries.get(piece_id)
        if old is not None and old.number != summary.number:
            self._forget_number(piece_id, old.number)
        self._summaries[piece_id] = summary
        self._year_of[piece_id] = year
        if moved is None:
            self._moved.pop(piece_id, None)
        else:
            self._moved[piece_id] = moved
            self._last_move = max(self._last_move, moved)
        if summary.number:
            self._by_number[summary.number] = piece_id
            _raise_max(self._max_seq, summary.number)
        self._next_id = max(self._next_id, piece_id + 1)

    def _unindex(self, piece_id: int) -> None:
        old = self._summaries.pop(piece_id)
        del self._year_of[piece_id]
        self._moved.pop(piece_id, None)
        self._forget_number(piece_id, old.number)

    def _forget_number(self, piece_id: int, number: str) -> None:
        if not number or self._by_number.get(number) != piece_id:
            return
        del self._by_number[number]
        parsed = parse_number(number)
        if parsed and self._max_seq.get((parsed[0], parsed[1])) == parsed[2]:
            # The highest number of its series went away (a renumbered piece): find the new highest.
            prefix, year, _ = parsed
            rest = [p[2] for p in map(parse_number, self._by_number) if p and p[0] == prefix and p[1] == year]
            self._max_seq[prefix, year] = max(rest, default=0)

    def _load(self) -> None:
        for path in sorted(self._folder.glob("*.json")):
            if not path.stem.isdigit():
                continue
            year = int(path.stem)
            shard = self._shards[year] = self._open(path)
            docs = raw_documents(shard, TABLE)
            for key, doc in list(docs.items()):
                summary = decoded(path, key, summarize, doc)
                if summary.id != int(key):
                    raise StoreError(path, f"document {key} holds piece {summary.id}")
                if self._keep_over_duplicate(summary.id, doc.get(_MOVED, 0), docs, key):
                    self._index(summary.id, year, summary, doc.get(_MOVED))

    def _keep_over_duplicate(self, piece_id: int, moved: int, docs: dict[str, Doc], key: str) -> bool:
        """True unless another year file holds a newer copy of the piece (the app died in the middle of a move).
        The stale copy is dropped from memory; it leaves the disk with the next write of its file."""
        other_year = self._year_of.get(piece_id)
        if other_year is None:
            return True
        other_docs = raw_documents(self._shards[other_year], TABLE)
        if moved > self._moved.get(piece_id, 0):
            del other_docs[key]
            self._unindex(piece_id)
            return True
        del docs[key]
        return False


def _raise_max(max_seq: dict[tuple[str, int], int], number: str) -> None:
    parsed = parse_number(number)
    if parsed is not None:
        prefix, year, seq = parsed
        if seq > max_seq.get((prefix, year), 0):
            max_seq[prefix, year] = seq


# Summaries: built for every piece when the store opens (100,000 of them within the open target), so straight from
# the stored document, without decoding the piece. tests/storage/test_summaries.py checks that they equal
# `PieceSummary.of(piece)` for every type, status and kind of text.

_TYPES = {member.value: member for member in PieceType}
_STATUSES = {member.value: member for member in Status}
_date = date.fromisoformat


def _stored(piece: Piece) -> Doc:
    doc = encode_piece(piece)
    doc[_TOTAL] = str(piece.totals.incl_tax)
    return doc


def summarize(doc: Doc) -> PieceSummary:
    """The summary of a stored piece."""
    piece_type = _TYPES[doc["type"]]
    status = _STATUSES[doc["status"]]
    stored_total = doc.get(_TOTAL)
    total = decode_piece(doc).totals.incl_tax if stored_total is None else Decimal(stored_total)
    if piece_type.is_billing and status not in NO_BALANCE:
        balance = total - sum((Decimal(payment["amount"]) for payment in doc["payments"]), ZERO)
    else:
        balance = ZERO
    number, nature, due_date, last_sent = doc["number"], doc["nature"], doc["due_date"], doc["last_sent"]
    last_reminder = doc.get("last_reminder")
    return PieceSummary(
        id=doc["id"],
        number=number,
        type=piece_type,
        status=status,
        date=_date(doc["date"]),
        due_date=None if due_date is None else _date(due_date),
        contact_id=doc["contact_id"],
        total_incl_tax=total,
        balance=balance,
        nature=nature,
        last_sent=None if last_sent is None else _date(last_sent),
        search_text=" ".join((_fold(number), _fold(nature), _fold(doc["reference"]), _fold(doc["notes"]))),
        reminders=doc["reminder_level"],
        last_reminder=None if last_reminder is None else _date(last_reminder),
    )


def summary_of(piece: Piece) -> PieceSummary:
    """`PieceSummary.of(piece)`, computed the way the store computes it."""
    return summarize(_stored(piece))


_FOLDED_WORDS: dict[str, str] = {}
_FOLDED_WORDS_MAX = 200_000


def _fold(text: str) -> str:
    """`selection.fold(text)`, three times faster on real text.

    fold works character by character (case folding, NFKD decomposition, dropping combining marks), so it can be
    applied word by word: ASCII words only need lower case, and the few distinct accented words are remembered.
    """
    if text.isascii():
        return text.lower()
    folded = []
    for word in text.split(" "):
        if word.isascii():
            folded.append(word.lower())
            continue
        done = _FOLDED_WORDS.get(word)
        if done is None:
            done = fold(word)
            if len(_FOLDED_WORDS) < _FOLDED_WORDS_MAX:
                _FOLDED_WORDS[word] = done
        folded.append(done)
    return " ".join(folded)
