"""Email addresses, parsed one way on every path: imported contacts, the forms of the UI, accounts, a mail of the
queue sent elsewhere, the single recipient of a batch, the sender, the archive copy.

email-validator checks the syntax (RFC 5322 and 6531, IDNA domains) without asking the DNS: an invoice batch
prepared offline must not depend on the network, and a dead domain is the server's to refuse.
"""

from __future__ import annotations

import ipaddress

from email_validator import EmailNotValidError, validate_email

from batchmail.errors import InvalidAddress


def parse_address(text: str, *, field: str = "") -> str:
    """`text` as an address that can receive mail, in its normal form (surrounding blanks dropped, the domain in
    lower case). Raises InvalidAddress naming `field` and saying what is wrong."""
    try:
        return str(validate_email(text.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as err:
        raise InvalidAddress(text, str(err), field=field) from err


def address_problem(text: str) -> str:
    """Why `text` cannot receive mail, in English, or "" when it can (for a form to show under its field)."""
    try:
        parse_address(text)
    except InvalidAddress as err:
        return err.reason
    return ""


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (brackets allowed): this machine, where nothing needs encrypting."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
