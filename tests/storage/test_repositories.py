"""Contacts, issuing company, users, settings, accounts and history, through real files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from batchmail.domain.company import IssuingCompany, SenderAddress, User
from batchmail.domain.contacts import Contact
from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.accounts import Account, AccountKind, mailbox_account
from batchmail.sending.history import SendRecord
from storage.stores import Stores, open_stores


def test_contacts_get_ids_and_by_id_is_a_current_snapshot(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        ana, bo = stores.contacts.add_many([Contact(name="Ana", emails=["a@x.org"]), Contact(name="Bo")])
        view = stores.contacts.by_id()
        assert (ana.id, bo.id) == (1, 2) and view[2].name == "Bo"
        edited = stores.contacts.get(ana.id)
        edited.emails.append("compta@x.org")
        assert view[1].emails == ["a@x.org"]  # get() gave a copy
        stores.contacts.update(edited)
        assert view[1].emails == ["a@x.org"]  # a snapshot, safe to iterate while others write
        assert stores.contacts.by_id()[1].emails == ["a@x.org", "compta@x.org"]
        assert stores.contacts.by_id() is stores.contacts.by_id()  # cached until the next change
        assert stores.contacts.add(Contact(name="Cy")).id == 3
        with pytest.raises(NotFound):
            stores.contacts.get(42)
        with pytest.raises(NotFound):
            stores.contacts.update(Contact(id=42, name="Nobody"))
    with open_stores(tmp_path) as stores:
        assert [c.name for c in stores.contacts.all()] == ["Ana", "Bo", "Cy"]
        assert stores.contacts.get(1) == edited and stores.contacts.count() == 3


def test_issuing_company_and_users(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        assert stores.company.get() is None and stores.company.users() == []
        company = IssuingCompany(name="Chauffage Martin", late_penalty_rate=Decimal("10.00"))
        stores.company.save(company)
        company.iban = "FR76 3000 6000 0112 3456 7890 189"
        stores.company.save(company)
        lea = stores.company.add_user(User(name="Léa", addresses=[SenderAddress(email="lea@x.org")]))
        max_ = stores.company.add_user(User(name="Max"))
        lea.addresses.append(SenderAddress(email="factures@x.org", display_name="Factures"))
        stores.company.update_user(lea)
        with pytest.raises(NotFound):
            stores.company.update_user(User(id=9, name="Nobody"))
    with open_stores(tmp_path) as stores:
        assert stores.company.get() == company
        assert stores.company.users() == [lea, max_]


def test_settings_keep_plain_json_values(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        assert stores.settings.get("language", "fr") == "fr"
        stores.settings.set("language", "nl")
        stores.settings.set("filters", {"types": ["invoice"], "year": 2026})
        stores.settings.get("filters")["year"] = 1999  # a copy: changes nothing
        for bad in (Decimal("1"), datetime(2026, 1, 1), {1: "int key"}):
            with pytest.raises(InvalidInput):
                stores.settings.set("bad", bad)
    with open_stores(tmp_path) as stores:
        assert stores.settings.get("language") == "nl"
        assert stores.settings.get("filters") == {"types": ["invoice"], "year": 2026}
        assert stores.settings.get("bad") is None


def test_accounts_by_unique_name(stores: Stores) -> None:
    smtp = Account(name="OVH", kind=AccountKind.smtp, host="ssl0.ovh.net", port=465)
    stores.accounts.add(mailbox_account())
    stores.accounts.add(smtp)
    with pytest.raises(InvalidInput, match="OVH"):
        stores.accounts.add(Account(name="OVH", kind=AccountKind.mailbox))
    smtp.port = 587
    stores.accounts.update(smtp)
    assert stores.accounts.get("OVH").port == 587
    assert [a.name for a in stores.accounts.all()] == ["OVH", "test-mailbox"]
    stores.accounts.remove("OVH")
    assert stores.accounts.all() == [mailbox_account()]
    for missing in (stores.accounts.get, stores.accounts.remove):
        with pytest.raises(NotFound):
            missing("OVH")
    with pytest.raises(NotFound):
        stores.accounts.update(smtp)


def test_history_newest_first_per_contact_and_piece(tmp_path: Path) -> None:
    def record(contact_id: int, piece_ids: list[int], hour: int) -> SendRecord:
        return SendRecord(
            contact_id=contact_id,
            piece_ids=piece_ids,
            message_id=f"<{hour}@x>",
            subject="Facture",
            account="test-mailbox",
            sent_at=datetime(2026, 3, 14, hour, tzinfo=UTC),
        )

    with open_stores(tmp_path) as stores:
        first = stores.history.add(record(1, [10], 9))
        second = stores.history.add(record(1, [10, 11], 11))
        other = stores.history.add_many([record(2, [12], 10)])[0]
        assert (first.id, second.id, other.id) == (1, 2, 3)
    with open_stores(tmp_path) as stores:
        assert stores.history.for_contact(1) == [second, first]
        assert stores.history.for_piece(10) == [second, first]
        assert stores.history.for_piece(12) == [other]
        assert stores.history.for_contact(3) == []


async def test_repositories_sharing_a_file_are_safe_from_worker_threads(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        await asyncio.gather(
            *(asyncio.to_thread(stores.settings.set, f"key{n}", n) for n in range(20)),
            *(asyncio.to_thread(stores.company.add_user, User(name=f"user{n}")) for n in range(20)),
            *(asyncio.to_thread(stores.contacts.add, Contact(name=f"c{n}")) for n in range(20)),
        )
    with open_stores(tmp_path) as stores:
        assert [stores.settings.get(f"key{n}") for n in range(20)] == list(range(20))
        assert sorted(u.id for u in stores.company.users()) == list(range(1, 21))
        assert sorted(stores.contacts.by_id()) == list(range(1, 21))


def test_contacts_keep_the_ids_they_come_with(tmp_path: Path) -> None:
    with open_stores(tmp_path) as stores:
        stores.contacts.add_many([Contact(id=7, name="Imported"), Contact(name="New")])
        assert {c.name: c.id for c in stores.contacts.all()} == {"Imported": 7, "New": 8}
        with pytest.raises(InvalidInput, match="already in use: 7"):
            stores.contacts.add_many([Contact(id=9, name="Fine"), Contact(id=7, name="Clash")])
        assert stores.contacts.count() == 2
