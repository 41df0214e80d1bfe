"""CSV import of contacts, pieces and payments: all or nothing.

Files are UTF-8 (a BOM, as spreadsheets write it, is accepted), comma-separated, with a header row naming the
columns in any order. Decimals use a point, dates are ISO (YYYY-MM-DD), VAT rates and discounts are percentages.
Every bad row is collected before anything is returned, so the user fixes the whole file in one go: a file with
any error raises `ImportFailed` holding one `ImportRowError` per bad row (the first problem found on that row,
with its file, line and column). The columns are described in docs/formats.md.

The parsers read bytes the caller read (`CsvFile`): no file is opened here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, TypeVar

from batchmail.domain import csv_values as cell
from batchmail.domain.contacts import Contact
from batchmail.domain.money import ZERO
from batchmail.domain.pieces import Line, Payment, Piece, PieceType, Side, Status
from batchmail.errors import ImportFailed, ImportRowError, InvalidInput

CONTACT_COLUMNS = ("id", "kind", "company", "name", "email", "language")
CONTACT_OPTIONAL = ("address", "vat_number", "phone", "send_by_email")
PIECE_COLUMNS = (
    "number",
    "type",
    "date",
    "due_date",
    "contact_id",
    "status",
    "nature",
    "description",
    "quantity",
    "unit_price",
    "vat_rate",
    "discount",
)
PIECE_OPTIONAL = ("notes", "reference")
PAYMENT_COLUMNS = ("number", "date", "amount")
PAYMENT_OPTIONAL = ("method",)

T = TypeVar("T")


class CsvFile(NamedTuple):
    """A file to import: its name (for the errors) and its bytes."""

    name: str
    data: bytes


def parse_contacts(file: CsvFile, *, taken_ids: Collection[int] = ()) -> list[Contact]:
    """Contacts with the user's own ids, which pieces refer to. Raises ImportFailed naming every bad row."""
    rows, errors = _read(file, CONTACT_COLUMNS, CONTACT_OPTIONAL)
    contacts: list[Contact] = []
    first_line: dict[int, int] = {}
    for row in rows:
        try:
            contact = _contact(row)
            if contact.id in first_line:
                raise row.error(f"{contact.id} is already used on line {first_line[contact.id]}", field="id")
            if contact.id in taken_ids:
                raise row.error(f"contact {contact.id} already exists", field="id")
        except ImportRowError as err:
            errors.append(err)
            continue
        first_line[contact.id] = row.line
        contacts.append(contact)
    _raise_if_any(file, errors)
    return contacts


def parse_pieces(
    file: CsvFile, *, known_contact_ids: Collection[int], taken_numbers: Collection[str] = ()
) -> list[Piece]:
    """Pieces with their numbers kept (ids left 0), one row per line item: rows with the same number make one piece,
    and must agree on the piece's own columns. Notes and reference may be given on the first row only."""
    rows, errors = _read(file, PIECE_COLUMNS, PIECE_OPTIONAL)
    pieces: dict[str, tuple[int, _Head, Piece]] = {}  # number -> (line of its first row, head, piece)
    existing: set[str] = set()  # numbers already in the store, named once on their first row
    for row in rows:
        try:
            number = row.get("number", cell.required)
            if number in taken_numbers:
                if number in existing:
                    continue
                existing.add(number)
                raise row.error(f"piece number {number} already exists", field="number")
            head = _head(row, known_contact_ids)
            line = _line(row)
            if number in pieces:
                first, first_head, piece = pieces[number]
                _add_row(row, number, head, line, first=first, first_head=first_head, piece=piece)
            else:
                pieces[number] = (row.line, head, head.piece(number, line, row))
        except ImportRowError as err:
            errors.append(err)
    _raise_if_any(file, errors)
    return [piece for _, _, piece in pieces.values()]


def parse_payments(file: CsvFile, *, known_numbers: Collection[str]) -> list[tuple[str, Payment]]:
    """(piece number, payment) pairs, in the file's order. Raises ImportFailed naming every bad row."""
    rows, errors = _read(file, PAYMENT_COLUMNS, PAYMENT_OPTIONAL)
    payments: list[tuple[str, Payment]] = []
    for row in rows:
        try:
            number = row.get("number", cell.required)
            if number not in known_numbers:
                raise row.error(f"{number!r} is not a known piece", field="number")
            payment = Payment(
                date=row.get("date", cell.day), amount=row.get("amount", cell.amount), method=row.text("method")
            )
        except ImportRowError as err:
            errors.append(err)
            continue
        payments.append((number, payment))
    _raise_if_any(file, errors)
    return payments


@dataclass(kw_only=True, slots=True)
class _Row:
    file: str
    line: int  # where the row starts in the file, the header being line 1
    values: dict[str, str]

    def text(self, column: str) -> str:
        return self.values.get(column, "")

    def get(self, column: str, parse: Callable[[str], T]) -> T:
        """The column's value through `parse`; what it refuses becomes this row's error, naming the column."""
        try:
            return parse(self.text(column))
        except InvalidInput as err:
            raise self.error(str(err), field=column) from err

    def error(self, reason: str, *, field: str = "") -> ImportRowError:
        return ImportRowError(self.line, reason, field=field, file=self.file)


def _read(
    file: CsvFile, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[_Row], list[ImportRowError]]:
    """The data rows, and the errors of rows that are not even a row (wrong number of values, broken quoting).
    A file whose header is unusable raises ImportFailed at once: no row can be read without it."""
    text = _decode(file)
    expected = ",".join(required)

    def refused(line: int, reason: str) -> ImportFailed:
        return ImportFailed(file.name, [ImportRowError(line, reason, file=file.name)])

    if not text.strip():
        raise refused(1, f"the file is empty: a header row is expected ({expected})")
    # strict: a stray quote is an error, not the rest of the file swallowed into one value
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as err:
        raise refused(1, f"the header row is not valid CSV ({err})") from err
    if not any(header):
        raise refused(1, f"line 1 must be the header row ({expected})")
    header_errors = [
        ImportRowError(1, reason, file=file.name) for reason in _header_problems(header, required, optional)
    ]
    if header_errors:
        raise ImportFailed(file.name, header_errors)
    rows: list[_Row] = []
    errors: list[ImportRowError] = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader, None)
        except csv.Error as err:
            errors.append(ImportRowError(start, f"not valid CSV ({err})", file=file.name))
            break  # the reader cannot resynchronise after broken quoting
        if cells is None:
            break
        end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            reason = f"{len(cells)} values where the header has {len(header)} (quote values that contain a comma)"
            errors.append(ImportRowError(start, reason, file=file.name))
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        rows.append(_Row(file=file.name, line=start, values=values))
    return rows, errors


def _decode(file: CsvFile) -> str:
    data = file.data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        reason = f"not UTF-8 text (byte 0x{data[err.start]:02x}): save the file as CSV UTF-8"
        raise ImportFailed(file.name, [ImportRowError(line, reason, file=file.name)]) from err


def _header_problems(header: list[str], required: tuple[str, ...], optional: tuple[str, ...]) -> Iterable[str]:
    missing = [name for name in required if name not in header]
    if missing:
        yield f"missing column(s): {', '.join(missing)} (required: {','.join(required)})"
    unknown = [name for name in header if name not in required and name not in optional]
    if unknown:
        yield f"unknown column(s): {', '.join(repr(n) for n in unknown)} (optional ones: {', '.join(optional)})"
    doubled = sorted({name for name in header if header.count(name) > 1})
    if doubled:
        yield f"column(s) given twice: {', '.join(doubled)}"


def _raise_if_any(file: CsvFile, errors: list[ImportRowError]) -> None:
    if errors:
        raise ImportFailed(file.name, sorted(errors, key=lambda err: err.line))


def _contact(row: _Row) -> Contact:
    return Contact(
        id=row.get("id", cell.positive_int),
        kind=row.get("kind", cell.choice(Side)),
        company=row.text("company"),
        name=row.get("name", cell.required),
        emails=row.get("email", cell.emails),
        language=row.get("language", cell.language),
        address=row.text("address"),
        vat_number=row.text("vat_number"),
        phone=row.text("phone"),
        send_by_email=row.get("send_by_email", cell.yes_no),
    )


class _Head(NamedTuple):
    """The columns that belong to the piece rather than to one of its lines."""

    type: PieceType
    date: dt.date  # `dt.`: inside the class `date` is this field
    due_date: dt.date | None
    contact_id: int
    status: Status
    nature: str

    def piece(self, number: str, line: Line, row: _Row) -> Piece:
        return Piece(
            number=number,
            type=self.type,
            date=self.date,
            due_date=self.due_date,
            contact_id=self.contact_id,
            status=self.status,
            nature=self.nature,
            lines=[line],
            notes=row.text("notes"),
            reference=row.text("reference"),
        )


def _head(row: _Row, known_contact_ids: Collection[int]) -> _Head:
    piece_type = row.get("type", cell.choice(PieceType))
    day = row.get("date", cell.day)
    due_date = row.get("due_date", cell.optional_date)
    if due_date is not None and due_date < day:
        raise row.error(f"{row.text('due_date')!r} is before the date {row.text('date')!r}", field="due_date")
    contact_id = row.get("contact_id", cell.positive_int)
    if contact_id not in known_contact_ids:
        raise row.error(f"{contact_id} is not a known contact (import the contacts first)", field="contact_id")
    status = row.get("status", cell.choice(Status))
    return _Head(piece_type, day, due_date, contact_id, status, row.text("nature"))


def _line(row: _Row) -> Line:
    discount = row.get("discount", cell.discount)
    return Line(
        description=row.get("description", cell.required),
        quantity=row.get("quantity", cell.decimal),
        unit_price=row.get("unit_price", cell.decimal),
        vat_rate=row.get("vat_rate", cell.vat_rate),
        discount=ZERO if discount is None else discount,
    )


def _add_row(row: _Row, number: str, head: _Head, line: Line, *, first: int, first_head: _Head, piece: Piece) -> None:
    """Another line of a piece already begun on line `first`: its piece columns must say the same."""
    for column, value, expected in zip(_Head._fields, head, first_head, strict=True):
        if value != expected:
            raise row.error(
                f"{row.text(column)!r} differs from line {first} ({_shown(expected)!r}) for piece {number}:"
                " every row of a piece must give the same type, date, due_date, contact_id, status and nature",
                field=column,
            )
    for column in PIECE_OPTIONAL:
        given, kept = row.text(column), getattr(piece, column)
        if given and kept and given != kept:
            raise row.error(f"{given!r} differs from {kept!r} given earlier for piece {number}", field=column)
        if given and not kept:
            setattr(piece, column, given)
    piece.lines.append(line)


def _shown(value: object) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)
