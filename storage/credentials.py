"""Secrets of the sending accounts: the OS keyring, or an owner-only file where the machine has none.

keyring's "fail" and "null" backends (no D-Bus session, CI, a bare server) would raise or silently drop a
secret, so below a real backend's priority the secrets go to ``secrets.json`` in the data directory, readable by
its owner alone, and `warning` says so for the UI and the command line to show.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import keyring
import keyring.errors
import orjson

from batchmail.errors import StoreError
from batchmail.files import write_atomic

SERVICE = "BatchMail"
_MIN_REAL_PRIORITY = 1  # SecretService, macOS Keychain, Windows Credential Locker are 5; fail/null/plaintext < 1

log = logging.getLogger(__name__)


class CredentialStore:
    def __init__(self, data_dir: Path, *, use_keyring: bool | None = None) -> None:
        self._file = data_dir / "secrets.json"
        self._keyring = _keyring_usable() if use_keyring is None else use_keyring
        self.warning = (
            ""
            if self._keyring
            else f"No system keyring here: account passwords are kept in {self._file}, readable by you alone."
        )

    def set(self, name: str, secret: str) -> None:
        if self._keyring:
            try:
                keyring.set_password(SERVICE, name, secret)
                return
            except keyring.errors.KeyringError as err:
                self._fall_back(err)
        log.warning(self.warning)
        secrets = self._read_file()
        secrets[name] = secret
        self._write_file(secrets)

    def get(self, name: str) -> str | None:
        """The secret from the keyring, else from the file (where it went if the keyring once failed)."""
        if self._keyring:
            try:
                found = keyring.get_password(SERVICE, name)
            except keyring.errors.KeyringError as err:
                self._fall_back(err)
            else:
                if found is not None:
                    return found
        return self._read_file().get(name)

    def delete(self, name: str) -> None:
        if self._keyring:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(SERVICE, name)
            return
        secrets = self._read_file()
        if secrets.pop(name, None) is not None:
            self._write_file(secrets)

    def _fall_back(self, err: Exception) -> None:
        """A keyring that claims to work can still fail (a D-Bus session without a secret service daemon)."""
        self._keyring = False
        self.warning = (
            f"The system keyring failed ({err}): account passwords are kept in {self._file}, readable by you alone."
        )

    def _read_file(self) -> dict[str, str]:
        try:
            data = orjson.loads(self._file.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as err:
            raise StoreError(self._file, f"cannot be read as the accounts' secrets ({err}); fix or remove it") from err
        if not isinstance(data, dict):
            raise StoreError(self._file, "not an object of secrets; fix or remove it")
        return {str(k): str(v) for k, v in data.items()}

    def _write_file(self, secrets: dict[str, str]) -> None:
        write_atomic(self._file, orjson.dumps(secrets))  # mkstemp creates it readable by its owner alone


def _keyring_usable() -> bool:
    try:
        return keyring.get_keyring().priority >= _MIN_REAL_PRIORITY
    except Exception:  # a broken backend configuration is the same as none
        return False
