"""Message templates in templates.json: by name, every field back as written, a damaged document named."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.errors import InvalidInput, NotFound, StoreError
from batchmail.sending.templates import MessageTemplate
from storage.stores import SCHEMAS, Stores, open_stores

REMINDER = MessageTemplate(
    name="Relance douce",
    piece_type=PieceType.invoice,
    language=Language.fr,
    subject="Relance : facture %NUMFACT%",
    body="Bonjour {{ NOMCLIENT }},\n\nSolde dû : %SOLDE%.\n\n— {{ SOCIETE_EMETTRICE }}\n",
)
GENERIC = MessageTemplate(name="any document", language=Language.en, subject="{{ TYPEDOC }}", body="Hello")


def test_templates_come_back_as_saved_by_name_and_survive_a_reopen(stores: Stores, tmp_path: Path) -> None:
    stores.templates.save(REMINDER)
    stores.templates.save(GENERIC)

    assert stores.templates.all() == [GENERIC, REMINDER]  # by name, case aside
    assert stores.templates.get("Relance douce") == REMINDER
    assert stores.templates.get("any document").piece_type is None
    stores.close()
    with open_stores(tmp_path / "data") as reopened:
        assert reopened.templates.all() == [GENERIC, REMINDER]
    written = orjson.loads((tmp_path / "data" / "templates.json").read_bytes())
    assert written["_meta"] == {"1": {"schema": SCHEMAS["templates"]}}
    assert sorted(doc["name"] for doc in written["templates"].values()) == ["Relance douce", "any document"]


def test_saving_under_a_known_name_replaces_that_template(stores: Stores) -> None:
    stores.templates.save(REMINDER)
    stores.templates.save(GENERIC)
    changed = MessageTemplate(name="Relance douce", language=Language.nl, subject="Herinnering", body="Beste")
    stores.templates.save(changed)

    assert stores.templates.all() == [GENERIC, changed]


def test_delete_and_unknown_names(stores: Stores) -> None:
    stores.templates.save(REMINDER)
    stores.templates.delete("Relance douce")

    assert stores.templates.all() == []
    with pytest.raises(NotFound, match="Relance douce"):
        stores.templates.get("Relance douce")
    with pytest.raises(NotFound, match="Relance douce"):
        stores.templates.delete("Relance douce")


def test_a_template_without_a_name_is_refused(stores: Stores) -> None:
    with pytest.raises(InvalidInput, match="name is empty"):
        stores.templates.save(MessageTemplate(name="  ", subject="s", body="b"))
    assert stores.templates.all() == []


def test_a_damaged_template_document_is_named_with_its_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    bad = {"name": "x", "piece_type": "invoice", "language": "de", "subject": "s", "body": "b"}
    document = {"_meta": {"1": {"schema": 1}}, "templates": {"1": bad}}
    (folder / "templates.json").write_bytes(orjson.dumps(document))

    with open_stores(folder) as stores, pytest.raises(StoreError, match=r"templates\.json.*document 1"):
        stores.templates.all()
