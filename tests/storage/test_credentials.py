"""Account secrets: the OS keyring when there is a real one, else an owner-only file, with a warning."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from storage.credentials import CredentialStore


class MemoryKeyring(KeyringBackend):
    """A keyring with a real backend's priority, kept in memory: stands for the OS keyring."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


def test_without_a_keyring_secrets_go_to_an_owner_only_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = CredentialStore(tmp_path, use_keyring=False)
    assert "readable by you alone" in store.warning
    with caplog.at_level(logging.WARNING):
        store.set("account:office", "pa55 wörd")
    assert "No system keyring" in caplog.text
    file = tmp_path / "secrets.json"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert CredentialStore(tmp_path, use_keyring=False).get("account:office") == "pa55 wörd"
    store.delete("account:office")
    assert store.get("account:office") is None


def test_a_real_keyring_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        store = CredentialStore(tmp_path)
        assert store.warning == ""
        store.set("account:office", "secret")
        assert backend.secrets == {("BatchMail", "account:office"): "secret"}
        assert store.get("account:office") == "secret"
        store.delete("account:office")
        store.delete("account:office")  # deleting twice is not an error
        assert not (tmp_path / "secrets.json").exists()
    finally:
        keyring.set_keyring(previous)


def test_the_fail_backend_of_a_bare_machine_means_the_file(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        assert CredentialStore(tmp_path).warning
    finally:
        keyring.set_keyring(previous)


class BrokenKeyring(MemoryKeyring):
    """Claims a real backend's priority, then fails: a D-Bus session without a secret service daemon."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringError("no secret service on the bus")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringError("no secret service on the bus")


def test_a_keyring_that_fails_falls_back_to_the_file(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        store = CredentialStore(tmp_path)
        assert store.warning == ""
        store.set("account:office", "secret")
        assert "keyring failed" in store.warning
        assert CredentialStore(tmp_path).get("account:office") == "secret"
        assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    finally:
        keyring.set_keyring(previous)
