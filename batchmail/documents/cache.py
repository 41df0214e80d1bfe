"""Rendered PDFs on disk, keyed by the hash of everything that shapes them; bounded, least recently used out.

A key covers the HTML, the bytes of every file the document may load (the package's documents/ assets and the
company logo), WeasyPrint's version and `RENDER_VERSION`: the same key always means the same PDF, so a retry or a
re-send never renders again, and a changed line, logo or stylesheet never hits an old file.

Every method blocks (files): callers run them off the event loop. Files are written temp + `os.replace`, without
fsync: after a power cut a file may be empty or torn, which `get` sees (no PDF header or trailer) and treats as a
miss, so the next render replaces it. The folder is kept under its limit by a background thread that removes the
least recently used files; a hit touches its file, so "used" means rendered or read.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import weasyprint  # type: ignore[import-untyped]

from batchmail.files import private_folder

log = logging.getLogger(__name__)

# Raise when the rendering changes in a way the inputs do not show (render_pdf's options, the fetcher's rules).
RENDER_VERSION = "1"
DEFAULT_LIMIT_BYTES = 512 * 1024 * 1024
_LOW_WATER = 0.9  # a clean brings the folder down to this share of the limit, so the next put does not clean again
_STALE_TEMP_SECONDS = 3600.0  # a temp file this old was left by a crash mid-write


class PdfCache:
    def __init__(self, folder: Path, *, assets_dir: Path, asset_suffixes: frozenset[str], limit_bytes: int) -> None:
        self.folder = folder
        self.limit_bytes = limit_bytes
        self._assets_dir = assets_dir
        self._asset_suffixes = asset_suffixes
        self._lock = threading.Lock()
        self._measured: int | None = None  # bytes in the folder at the last clean; None until the first
        self._written = 0  # bytes written since the last clean began
        self._cleaning = False
        self._cleaner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-cache-clean")
        self._assets_digest: bytes | None = None

    def key(self, html: str, *, logo_path: str = "") -> str:
        digest = hashlib.sha256()

        def part(label: str, data: bytes) -> None:
            digest.update(f"{label}:{len(data)}:".encode())
            digest.update(data)

        part("version", f"{RENDER_VERSION}/{weasyprint.__version__}".encode())
        part("html", html.encode("utf-8"))
        part("logo", _read_or_empty(Path(logo_path)) if logo_path else b"")
        part("assets", self._assets_hash())
        return digest.hexdigest()

    def get(self, key: str) -> bytes | None:
        """The PDF stored under `key`, touched as just used; None when absent, unreadable or not a whole PDF."""
        path = self._path(key)
        try:
            pdf = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("PDF cache: cannot read %s (%s); rendering again", path, err)
            return None
        if not _is_whole_pdf(pdf):
            log.warning("PDF cache: %s is not a whole PDF; rendering again", path)
            return None
        with contextlib.suppress(OSError):  # only the eviction order would suffer
            _touch(path)
        return pdf

    def put(self, key: str, pdf: bytes) -> None:
        """Store `pdf` under `key`. A cache that cannot be written only costs a render later: logged, not raised."""
        path = self._path(key)
        try:
            private_folder(path.parent)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(pdf)
                _touch(Path(temp))
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as err:
            log.warning("PDF cache: cannot write %s (%s)", path, err)
            return
        self._note_written(len(pdf))

    def clean(self) -> int:
        """Remove the least recently used files until the folder holds at most the limit (down to the low-water
        mark when it was over); also crash leftovers. Returns the bytes left."""
        entries: list[tuple[int, int, Path]] = []
        now = time.time()
        for path in self._files():
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.suffix == ".tmp":
                if now - stat.st_mtime > _STALE_TEMP_SECONDS:
                    path.unlink(missing_ok=True)
                continue
            entries.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        if total <= self.limit_bytes:
            return total
        target = int(self.limit_bytes * _LOW_WATER)
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= target:
                break
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as err:
                log.warning("PDF cache: cannot remove %s (%s)", path, err)
                continue
            total -= size
        return total

    def flush(self) -> None:
        """Wait for a clean under way."""
        self._cleaner.submit(int).result()

    def close(self) -> None:
        self._cleaner.shutdown(wait=True)

    def _note_written(self, size: int) -> None:
        with self._lock:
            self._written += size
            due = self._measured is None or self._measured + self._written > self.limit_bytes
            if not due or self._cleaning:
                return
            self._cleaning = True
        try:
            self._cleaner.submit(self._clean_in_background)
        except RuntimeError:  # closed: the next run cleans
            with self._lock:
                self._cleaning = False

    def _clean_in_background(self) -> None:
        try:
            with self._lock:
                self._written = 0
            left = self.clean()
            with self._lock:
                self._measured = left
        except Exception:
            log.exception("PDF cache: cleaning %s failed", self.folder)
        finally:
            with self._lock:
                self._cleaning = False

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pdf"

    def _files(self) -> Iterator[Path]:
        if not self.folder.is_dir():
            return
        for shard in self.folder.iterdir():
            if shard.is_dir():
                yield from (path for path in shard.iterdir() if path.suffix in (".pdf", ".tmp"))

    def _assets_hash(self) -> bytes:
        """One digest of the package's assets (stylesheet, fonts, images), read once: they ship with the app and
        change only with a new version of it, which starts a new process. Reading them for every PDF cost
        ~0.3 ms of CPU a piece."""
        if self._assets_digest is None:
            digest = hashlib.sha256()
            for asset in self._assets():
                data = _read_or_empty(asset)
                digest.update(f"{asset.relative_to(self._assets_dir).as_posix()}:{len(data)}:".encode())
                digest.update(data)
            self._assets_digest = digest.digest()
        return self._assets_digest

    def _assets(self) -> list[Path]:
        found: list[Path] = []
        for root, folders, files in os.walk(self._assets_dir):
            folders[:] = [name for name in folders if not name.startswith((".", "__"))]  # __pycache__
            found += (Path(root, name) for name in files if Path(name).suffix.lower() in self._asset_suffixes)
        return sorted(found)


def _read_or_empty(path: Path) -> bytes:
    """The file's bytes; a missing file renders without it, and so keys as empty."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _is_whole_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]


def _touch(path: Path) -> None:
    # Set from the fine clock, not the kernel's coarse one, so the order of use survives writes a jiffy apart.
    now = time.time_ns()
    os.utime(path, ns=(now, now))
