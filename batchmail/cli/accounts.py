"""batchmail account: the ways mail leaves (SMTP, Gmail, Brevo), testing them, and listing them."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from collections.abc import Callable
from typing import Any

from batchmail.cli.common import EXIT_INCOMPLETE, EXIT_OK, emit
from batchmail.sending.accounts import Account, GmailMode, SmtpSecurity
from batchmail.sending.oauth import GOOGLE_AUTH_URI, GOOGLE_TOKEN_URI
from batchmail.wiring import App

_GMAIL_MODES = {"api": GmailMode.api, "smtp": GmailMode.smtp_xoauth2}


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

    gmail = actions.add_parser(
        "add-gmail", help="add a Google account (consent in the browser) and make it the default"
    )
    gmail.add_argument("--name", required=True)
    gmail.add_argument("--client-id", required=True, help="OAuth client id of your Google project (desktop app)")
    gmail.add_argument("--client-secret-stdin", action="store_true", help="read the client secret from standard input")
    gmail.add_argument("--from", dest="from_address", default="", help="sender address (default: the Google account)")
    gmail.add_argument(
        "--mode", choices=list(_GMAIL_MODES), default="api", help="api: the Gmail API; smtp: XOAUTH2 (Workspace)"
    )
    gmail.add_argument("--no-browser", action="store_true", help="print the consent page's address, open nothing")
    gmail.add_argument("--auth-uri", default=GOOGLE_AUTH_URI, help=argparse.SUPPRESS)
    gmail.add_argument("--token-uri", default=GOOGLE_TOKEN_URI, help=argparse.SUPPRESS)
    gmail.add_argument("--api-url", default="", help=argparse.SUPPRESS)
    gmail.set_defaults(handler=add_gmail)

    reconnect = actions.add_parser("reconnect", help="consent again for a Google account that needs it")
    reconnect.add_argument("name")
    reconnect.add_argument("--no-browser", action="store_true", help="print the consent page's address, open nothing")
    reconnect.set_defaults(handler=reconnect_gmail)

    brevo = actions.add_parser("add-brevo", help="add a Brevo account (API key) and make it the default")
    brevo.add_argument("--name", required=True)
    brevo.add_argument("--api-key-stdin", action="store_true", required=True, help="read the API key from stdin")
    brevo.add_argument("--from", dest="from_address", required=True, help="a sender address verified in Brevo")
    brevo.add_argument("--api-url", default="", help=argparse.SUPPRESS)
    brevo.set_defaults(handler=add_brevo)

    test = actions.add_parser("test", help="connect and log in without sending anything")
    test.add_argument("name", nargs="?", help="the account (default: the default account)")
    test.set_defaults(handler=test_account)

    listing = actions.add_parser("list", help="the accounts, the default marked")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_accounts)


async def add_smtp(app: App, args: argparse.Namespace) -> int:
    password = _read_secret() if args.password_stdin else None
    account = await app.accounts.add_smtp(
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
    _warn_plain_file(app, password is not None)
    return EXIT_OK


async def add_gmail(app: App, args: argparse.Namespace) -> int:
    secret = _read_secret() if args.client_secret_stdin else ""
    account = await app.accounts.add_gmail(
        name=args.name,
        client_id=args.client_id,
        client_secret=secret,
        from_address=args.from_address,
        mode=_GMAIL_MODES[args.mode],
        open_browser=_browser(args.no_browser),
        auth_uri=args.auth_uri,
        token_uri=args.token_uri,
        api_base_url=args.api_url,
    )
    who = account.username or "Google"
    print(f"Account {account.name!r} added ({who}, {account.gmail_mode.value}); it is the default")
    _warn_plain_file(app, True)
    return EXIT_OK


async def reconnect_gmail(app: App, args: argparse.Namespace) -> int:
    account = await app.accounts.reconnect_gmail(args.name, open_browser=_browser(args.no_browser))
    print(f"Account {account.name!r} is connected again; its queued mail can go")
    return EXIT_OK


async def add_brevo(app: App, args: argparse.Namespace) -> int:
    account = await app.accounts.add_brevo(
        name=args.name, api_key=_read_secret(), from_address=args.from_address, api_base_url=args.api_url
    )
    print(f"Account {account.name!r} added (Brevo, from {account.from_address}); it is the default")
    _warn_plain_file(app, True)
    return EXIT_OK


async def test_account(app: App, args: argparse.Namespace) -> int:
    check = await app.accounts.test(args.name)
    if check.ok:
        print(f"{check.account}: OK, {check.detail}")
        return EXIT_OK
    print(f"{check.account}: FAILED, {check.detail}", file=sys.stderr)
    return EXIT_INCOMPLETE


async def list_accounts(app: App, args: argparse.Namespace) -> int:
    accounts = await app.accounts.all()
    lines = [
        f"{'*' if default else ' '} {a.name}  {a.kind.value}  {_where(a)}"
        + (f"  RECONNECT NEEDED (batchmail account reconnect {a.name})" if a.reconnect_needed else "")
        for a, default in accounts
    ]
    emit([_as_json(a, default) for a, default in accounts], "\n".join(lines), as_json=args.json)
    return EXIT_OK


def _as_json(account: Account, default: bool) -> dict[str, Any]:
    return {
        "name": account.name,
        "kind": account.kind.value,
        "default": default,
        "from": account.from_address,
        "where": _where(account),
        "reconnect_needed": account.reconnect_needed,
    }


def _where(account: Account) -> str:
    """Where the account's mail goes, in a few words."""
    if account.is_test_mailbox:
        return "test mailbox (nothing leaves)"
    if account.host:
        return f"{account.host}:{account.port} {account.security.value}, from {account.from_address or '?'}"
    return f"API, from {account.from_address or '?'}"


def _read_secret() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def _browser(print_only: bool) -> Callable[[str], None]:
    def open_page(url: str) -> None:
        print(f"Give BatchMail access in your browser: {url}", flush=True)
        if not print_only:
            webbrowser.open(url)

    return open_page


def _warn_plain_file(app: App, stored: bool) -> None:
    if app.accounts.secrets_warning and stored:
        print(f"warning: {app.accounts.secrets_warning}", file=sys.stderr)
