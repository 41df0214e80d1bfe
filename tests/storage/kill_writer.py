"""Writes to a store in a tight loop until it is killed; launched by test_atomic.py.

Each write adds one document and sets the count of documents, in one write of the file, so any state found on
disk must have exactly `count` documents numbered 1..count.
"""

from __future__ import annotations

import sys

from tinydb import TinyDB
from tinydb.table import Document

from storage.atomic import AtomicJSONStorage, storage_of


def main(path: str) -> None:
    db = TinyDB(path, storage=AtomicJSONStorage)
    docs, state = db.table("docs"), db.table("state")
    count = len(docs)
    print("ready", count, flush=True)
    while True:
        count += 1
        with storage_of(db).batch():
            docs.insert(Document({"n": count, "payload": f"{count:08d}" * 250}, doc_id=count))
            state.upsert(Document({"count": count}, doc_id=1))


if __name__ == "__main__":
    main(sys.argv[1])
