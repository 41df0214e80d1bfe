"""Message templates ("messages-types"), by name, in templates.json."""

from __future__ import annotations

from threading import RLock

from tinydb import TinyDB

from batchmail.domain.language import Language
from batchmail.domain.pieces import PieceType
from batchmail.errors import InvalidInput, NotFound
from batchmail.sending.templates import MessageTemplate, TemplateUse
from storage.atomic import Doc, decoded, put_documents, raw_documents, storage_of

TABLE = "templates"

_PIECE_TYPES = {member.value: member for member in PieceType}
_LANGUAGES = {member.value: member for member in Language}
_USES = {member.value: member for member in TemplateUse}


class TemplateRepository:
    def __init__(self, db: TinyDB, lock: RLock) -> None:
        self._db = db
        self._lock = lock

    def all(self) -> list[MessageTemplate]:
        """Every stored template, by name."""
        with self._lock:
            path = storage_of(self._db).path
            templates = [decoded(path, key, decode_template, doc) for key, doc in self._docs().items()]
            return sorted(templates, key=lambda template: template.name.casefold())

    def get(self, name: str) -> MessageTemplate:
        """The template of that name; raises NotFound."""
        with self._lock:
            key = self._key(name)
            return decoded(storage_of(self._db).path, key, decode_template, self._docs()[key])

    def save(self, template: MessageTemplate) -> None:
        """Store the template, replacing the one of the same name if there is one; on disk when this returns."""
        if not template.name.strip():
            raise InvalidInput("message template: the name is empty")
        with self._lock:
            key = self._key(template.name, missing_ok=True)
            doc_id = int(key) if key else max(map(int, self._docs()), default=0) + 1
            put_documents(self._db.table(TABLE), {doc_id: encode_template(template)})

    def delete(self, name: str) -> None:
        """Remove the template of that name; raises NotFound."""
        with self._lock:
            self._db.table(TABLE).remove(doc_ids=[int(self._key(name))])

    def _docs(self) -> dict[str, Doc]:
        return raw_documents(self._db, TABLE)

    def _key(self, name: str, *, missing_ok: bool = False) -> str:
        """The document id of the template of that name ("" if there is none and `missing_ok`)."""
        key = next((key for key, doc in self._docs().items() if doc.get("name") == name), "")
        if not key and not missing_ok:
            raise NotFound(f"message template {name!r} does not exist")
        return key


def encode_template(template: MessageTemplate) -> Doc:
    return {
        "name": template.name,
        "piece_type": None if template.piece_type is None else template.piece_type.value,
        "language": template.language.value,
        "subject": template.subject,
        "body": template.body,
        "use": template.use.value,
        "level": template.level,
    }


def decode_template(doc: Doc) -> MessageTemplate:
    piece_type = doc["piece_type"]
    return MessageTemplate(
        name=doc["name"],
        piece_type=None if piece_type is None else _PIECE_TYPES[piece_type],
        language=_LANGUAGES[doc["language"]],
        subject=doc["subject"],
        body=doc["body"],
        use=_USES[doc.get("use", TemplateUse.piece.value)],  # after the first schema, as level
        level=doc.get("level", 0),
    )
