"""batchmail demo, import and list: what is in the data directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from batchmail.cli.common import EXIT_OK, add_filters, checked_criteria, emit
from batchmail.services.workspace import PieceRow
from batchmail.wiring import App


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser("demo", help="fill an empty data directory with a demo company")
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=load_demo)

    imp = commands.add_parser("import", help="import a CSV file, all or nothing")
    imp.add_argument("kind", choices=["contacts", "pieces", "payments"])
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=import_csv)

    listing = commands.add_parser("list", help="list the pieces matching the filters")
    add_filters(listing)
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=list_pieces)


async def load_demo(app: App, args: argparse.Namespace) -> int:
    contacts, pieces = await app.imports.load_demo(seed=args.seed)
    print(f"Demo data: {contacts} contacts and {pieces} pieces in {app.data_dir}")
    return EXIT_OK


async def import_csv(app: App, args: argparse.Namespace) -> int:
    count = await app.imports.import_csv(args.kind, args.file)
    print(f"Imported {count} {args.kind} from {args.file}")
    return EXIT_OK


async def list_pieces(app: App, args: argparse.Namespace) -> int:
    rows = await app.workspace.find(await checked_criteria(app, args))
    emit([_row_json(r) for r in rows], _rows_text(rows), as_json=args.json)
    return EXIT_OK


def _row_json(r: PieceRow) -> dict[str, object]:
    s = r.summary
    return {
        "id": s.id,
        "number": s.number,
        "type": s.type.value,
        "date": s.date.isoformat(),
        "due_date": s.due_date.isoformat() if s.due_date else None,
        "status": s.status.value,
        "contact_id": s.contact_id,
        "contact": r.contact_name,
        "company": r.company,
        "total_incl_tax": str(s.total_incl_tax),
        "balance": str(s.balance),
        "last_sent": s.last_sent.isoformat() if s.last_sent else None,
    }


def _rows_text(rows: list[PieceRow]) -> str:
    lines = [
        f"{r.summary.number:<15} {r.summary.date.isoformat()}  {r.summary.status.value:<14} "
        f"{r.summary.total_incl_tax:>12}  {r.summary.balance:>12}  {r.contact_name} ({r.company})"
        for r in rows
    ]
    lines.append(f"{len(rows)} piece(s)")
    return "\n".join(lines)
