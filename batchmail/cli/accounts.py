"""batchmail account: the ways mail leaves."""

from __future__ import annotations

import argparse
import sys

from batchmail.accounts import SmtpSecurity
from batchmail.cli.common import EXIT_OK
from batchmail.services import Services


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    account = commands.add_parser("account", help="sending accounts")
    actions = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    smtp = actions.add_parser("add-smtp", help="add an SMTP account and make it the default")
    smtp.add_argument("--name", required=True)
    smtp.add_argument("--host", required=True)
    smtp.add_argument("--port", type=int, required=True)
    smtp.add_argument("--security", choices=[s.value for s in SmtpSecurity], required=True)
    smtp.add_argument("--user", default="")
    smtp.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    smtp.add_argument("--from", dest="from_address", default="", help="sender address for this account")
    smtp.add_argument("--ca-file", default="", help="PEM file of the certificate authority to trust")
    smtp.set_defaults(handler=add_smtp)


async def add_smtp(services: Services, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    account = await services.accounts.add_smtp(
        name=args.name,
        host=args.host,
        port=args.port,
        security=SmtpSecurity(args.security),
        username=args.user,
        password=password,
        from_address=args.from_address,
        ca_file=args.ca_file,
    )
    print(
        f"Account {account.name!r} added ({account.host}:{account.port}, {account.security.value}); it is the default"
    )
    if services.credentials.warning and password is not None:
        print(f"warning: {services.credentials.warning}", file=sys.stderr)
    return EXIT_OK
