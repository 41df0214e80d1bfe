"""batchmail generate duplicate|transform|consolidate: new pieces from the pieces matching the filters, and with
--send, straight into a send."""

from __future__ import annotations

import argparse
from datetime import date

from batchmail.cli.common import EXIT_INCOMPLETE, EXIT_OK, add_filters, checked_criteria, emit, iso_date
from batchmail.cli.send import add_send_options, report_text, send_now
from batchmail.domain.generation import GenerationRequest, Mode
from batchmail.domain.pieces import PieceType
from batchmail.services.generation import GenerationReport
from batchmail.wiring import App

_TYPES = [t.value for t in PieceType]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = commands.add_parser("generate", help="duplicate, transform or consolidate the matching pieces")
    modes = generate.add_subparsers(dest="mode", metavar="MODE", required=True)

    duplicate = modes.add_parser("duplicate", help="a copy of each piece at a date")
    duplicate.add_argument("--date", dest="day", type=iso_date, required=True, help="the copies' date (YYYY-MM-DD)")
    duplicate.add_argument("--keep-notes", action="store_true", help="copy the notes printed on the pieces")
    duplicate.add_argument("--keep-annotations", action="store_true", help="copy the internal annotations")
    duplicate.add_argument("--keep-files", action="store_true", help="copy the links to the linked files")
    duplicate.add_argument(
        "--per-recipient", action="store_true", help="one copy per contact holding the lines of all its pieces"
    )

    transform = modes.add_parser("transform", help="a piece of the next type from each (quote -> order...)")
    transform.add_argument("--into", choices=_TYPES, required=True, help="the type of the new pieces")
    transform.add_argument("--force", action="store_true", help="transform again a piece already transformed")

    consolidate = modes.add_parser("consolidate", help="one piece per contact from all its pieces")
    consolidate.add_argument("--into", choices=_TYPES, help="the type of the new pieces (default: the pieces' own)")
    consolidate.add_argument("--force", action="store_true", help="use again a piece already transformed")

    for parser in (transform, consolidate):
        parser.add_argument("--date", dest="day", type=iso_date, help="the new pieces' date (default: today)")
    for parser in (duplicate, transform, consolidate):
        add_filters(parser)
        status = parser.add_mutually_exclusive_group()
        status.add_argument("--validate", action="store_true", default=None, help="the new pieces are validated")
        status.add_argument("--draft", action="store_false", dest="validate", help="the new pieces are drafts")
        parser.add_argument("--dry-run", action="store_true", help="show what would be created; change nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument("--send", action="store_true", help="validate the new pieces and email them at once")
        add_send_options(parser)
        parser.set_defaults(handler=generate_pieces)


async def generate_pieces(app: App, args: argparse.Namespace) -> int:
    piece_ids = await app.workspace.matching_ids(await checked_criteria(app, args))
    request = _request(args, app.today())
    if args.dry_run:
        preview = await app.generation.preview(piece_ids, request)
        emit(preview.to_json(), generation_text(preview), as_json=args.json)
        return EXIT_OK if preview.complete else EXIT_INCOMPLETE
    report = await app.generation.generate(piece_ids, request)
    if not args.send or not report.created:
        emit(report.to_json(), generation_text(report), as_json=args.json)
        return EXIT_OK if report.complete else EXIT_INCOMPLETE
    sent = await send_now(app, report.created_ids, args)
    both = {"generation": report.to_json(), "send": sent.to_json()}
    emit(both, f"{generation_text(report)}\n{report_text(sent)}", as_json=args.json)
    return EXIT_OK if report.complete and sent.complete else EXIT_INCOMPLETE


def _request(args: argparse.Namespace, today: date) -> GenerationRequest:
    into = getattr(args, "into", None)
    return GenerationRequest(
        mode=Mode(args.mode),
        day=args.day or today,
        into=PieceType(into) if into else None,
        keep_notes=getattr(args, "keep_notes", False),
        keep_annotations=getattr(args, "keep_annotations", False),
        keep_files=getattr(args, "keep_files", False),
        per_recipient=getattr(args, "per_recipient", False),
        validate=True if args.send else args.validate,  # a draft is never sent
        force=getattr(args, "force", False),
    )


def generation_text(report: GenerationReport) -> str:
    """One line per piece created (or, dry run, to be created) and per piece refused, then the counts."""
    verb, done = ("would create", "to create") if report.dry_run else ("created", "created")
    lines = ["Dry run: nothing is created, nothing changes."] if report.dry_run else []
    for piece in report.created:
        origins = f" from {', '.join(piece.origins)}" if piece.origins else ""
        lines.append(
            f"  {verb} {piece.number} ({piece.type.value}, {piece.status.value}) for {piece.contact}{origins}: "
            f"{piece.incl_tax} incl. tax"
        )
        if piece.rounding_note:
            lines.append(f"    note: {piece.rounding_note}")
    lines += [f"  refused {r.number} ({r.contact}): {r.reason}" for r in report.refused]
    lines.append(f"{len(report.created)} piece(s) {done}, {len(report.refused)} refused")
    return "\n".join(lines)
