"""Sending accounts: adding them, choosing the one a batch goes through, and who the mail is from."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from batchmail.accounts import MAILBOX_ACCOUNT, Account, AccountKind, SmtpSecurity, mailbox_account
from batchmail.contacts import SenderAddress
from batchmail.errors import ConfigurationError, InvalidInput
from batchmail.transports.smtp import check_security

if TYPE_CHECKING:
    from batchmail.services import Services

DEFAULT_ACCOUNT_KEY = "default_account"
CURRENT_USER_KEY = "current_user"


class AccountService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def add_smtp(
        self,
        *,
        name: str,
        host: str,
        port: int,
        security: SmtpSecurity,
        username: str = "",
        password: str | None = None,
        from_address: str = "",
        ca_file: str = "",
        make_default: bool = True,
    ) -> Account:
        account = Account(
            name=name,
            kind=AccountKind.smtp,
            host=host,
            port=port,
            security=security,
            username=username,
            from_address=from_address,
            ca_file=str(Path(ca_file).resolve()) if ca_file else "",
        )
        check_security(account)
        if ca_file and not Path(ca_file).is_file():
            raise InvalidInput(f"--ca-file: {ca_file} is not a file")

        def run() -> None:
            self._services.stores.accounts.add(account)
            if password is not None:
                self._services.credentials.set(f"account:{name}", password)
            if make_default:
                self._services.stores.settings.set(DEFAULT_ACCOUNT_KEY, name)

        await asyncio.to_thread(run)
        return account

    async def get(self, name: str | None = None) -> Account:
        """The account named, else the default one, else the built-in test mailbox."""

        def run() -> Account:
            chosen = name or self._services.stores.settings.get(DEFAULT_ACCOUNT_KEY)
            if not chosen or chosen == MAILBOX_ACCOUNT:
                return mailbox_account()
            return self._services.stores.accounts.get(chosen)

        return await asyncio.to_thread(run)

    async def sender(self, account: Account) -> SenderAddress:
        """Who the mail is from: the account's address, else the current user's first, else the company's."""

        def run() -> SenderAddress:
            users = self._services.stores.company.users()
            current_id = self._services.stores.settings.get(CURRENT_USER_KEY)
            user = next((u for u in users if u.id == current_id), users[0] if users else None)
            company = self._services.stores.company.get()
            if account.from_address:
                return SenderAddress(email=account.from_address, display_name=user.name if user else "")
            if user and user.addresses:
                return user.addresses[0]
            if company and company.email:
                return SenderAddress(email=company.email, display_name=company.name)
            raise ConfigurationError("no sender address: give the account a --from address or add one to a user")

        return await asyncio.to_thread(run)
