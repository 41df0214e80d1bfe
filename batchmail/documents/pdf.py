"""Pieces as PDF: their HTML (document_html.py) rendered by WeasyPrint in a process pool.

Rendering is CPU-bound (~100 ms a page) and holds the GIL, so it runs in worker processes, never on the event
loop; with a cache folder, a PDF already rendered from the same inputs is read back instead (`pdf_cache.py`).
What a document may load is closed: `AssetFetcher` serves the files of `batchmail/documents/` and the company
logo, and refuses every other URL (network, other local files), whatever a note or a name contains.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache, partial
from pathlib import Path
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from batchmail.documents.cache import DEFAULT_LIMIT_BYTES, PdfCache
from batchmail.documents.piece_html import DOCUMENTS_DIR, build_piece_html
from batchmail.domain.company import IssuingCompany
from batchmail.domain.contacts import Contact
from batchmail.domain.pieces import Piece, PieceRef
from batchmail.workers import die_with_parent

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKER_NICENESS = 5  # added to a rendering worker's niceness (Unix)
START_TIMEOUT_SECONDS = 60.0  # for every worker to start and answer (slow first imports on a cold disk)
ASSET_SUFFIXES = frozenset(
    {".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".woff", ".woff2", ".ttf", ".otf"}
)


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint is untyped
    """Serves the package's documents/ assets and the company logo; refuses every other URL."""

    def __init__(self, *, logo_path: str = "") -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self._root = DOCUMENTS_DIR
        self._logo = Path(logo_path).resolve() if logo_path else None

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = self.allowed_path(url)
        if path is None:
            # WeasyPrint catches this, logs it and renders without the resource.
            raise PermissionError(f"refused {url!r}: a document may only load its own assets and the company logo")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    def allowed_path(self, url: str) -> Path | None:
        """The local file `url` names if a document may load it, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_file():
            return None
        if path == self._logo:
            return path
        if path.is_relative_to(self._root) and path.suffix.lower() in ASSET_SUFFIXES:
            return path
        return None


def render_pdf(html: str, *, logo_path: str = "") -> bytes:
    """Render HTML built by this module to PDF bytes, in the current process (blocking, CPU-bound)."""
    document = HTML(string=html, base_url=DOCUMENTS_DIR.as_uri() + "/", url_fetcher=AssetFetcher(logo_path=logo_path))
    pdf: bytes = document.write_pdf(font_config=_font_configuration())
    return pdf


class PdfRenderer:
    """Renders PDFs in a pool of spawned worker processes, one per core unless told; one renderer per application.

    Each worker imports WeasyPrint, builds its FontConfiguration and renders a page once, at start; the pool lives
    until `close`. "spawn" rather than "fork": the parent runs threads (NiceGUI, the event loop) that a fork would
    copy mid-state. With `cache_dir`, every PDF is kept there under the hash of its inputs (`pdf_cache.py`):
    a hit is read back without rendering, and identical requests made while one renders share its result.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        cache_dir: Path | None = None,
        cache_limit_bytes: int = DEFAULT_LIMIT_BYTES,
    ) -> None:
        self._workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._renders = 0
        self._in_flight: dict[str, Future[bytes]] = {}
        # One thread for the blocking steps (HTML, cache files, submissions): one is enough, as none waits for a
        # render, and it keeps them off the default executor the stores use and out of each other's GIL.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-io")
        self._cache = (
            PdfCache(cache_dir, assets_dir=DOCUMENTS_DIR, asset_suffixes=ASSET_SUFFIXES, limit_bytes=cache_limit_bytes)
            if cache_dir is not None
            else None
        )

    @property
    def renders(self) -> int:
        """Documents handed to the pool so far: a cache hit or a request joined to one under way adds nothing."""
        return self._renders

    async def render_piece(
        self, piece: Piece, contact: Contact, company: IssuingCompany, *, origins: Sequence[PieceRef] = ()
    ) -> bytes:
        return await self._await(partial(self._request_piece, piece, contact, company, origins))

    def render_piece_sync(
        self, piece: Piece, contact: Contact, company: IssuingCompany, *, origins: Sequence[PieceRef] = ()
    ) -> bytes:
        return self._request_piece(piece, contact, company, origins).result()

    async def render(self, html: str, *, logo_path: str = "") -> bytes:
        """Any HTML built on the documents/ assets (statements...), rendered without blocking the event loop."""
        return await self._await(partial(self._request, html, logo_path))

    def render_sync(self, html: str, *, logo_path: str = "") -> bytes:
        return self._request(html, logo_path).result()

    def start(self) -> set[int]:
        """Start every worker now and wait until all are warm, so the first batch does not pay for it (~1 s each);
        returns their process ids. Blocking: call it off the event loop."""
        # With "spawn" the pool starts a process per submission while none is idle, and a process takes work once
        # warm: one worker may answer every call while another still starts. Ask until each one has answered.
        warm: set[int] = set()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while len(warm) < self._workers:
                calls = [self._pool_submit(_warm_pid) for _ in range(self._workers)]
                warm.update(call.result(timeout=max(0.0, deadline - time.monotonic())) for call in calls)
        except TimeoutError:
            log.warning("PDF workers: %d of %d started in %.0f s", len(warm), self._workers, START_TIMEOUT_SECONDS)
        return warm

    def flush(self) -> None:
        """Wait until every PDF rendered so far is in the cache folder and a clean under way is done. Blocking."""
        self._io.submit(int).result()  # the io thread runs in order: the writes queued before this are done
        if self._cache is not None:
            self._cache.flush()

    def close(self) -> None:
        """Stop the workers (renders not started are cancelled), then finish the cache writes and cleaning."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._io.shutdown(wait=True)
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> PdfRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def _await(self, request: Callable[[], Future[bytes]]) -> bytes:
        future = await asyncio.get_running_loop().run_in_executor(self._io, request)
        return future.result() if future.done() else await asyncio.wrap_future(future)

    # Blocking (Jinja, cache files): the async methods run these in the io thread. They return at once with a
    # future that the cache, the pool or the io thread (once the PDF is written) completes.

    def _request_piece(
        self, piece: Piece, contact: Contact, company: IssuingCompany, origins: Sequence[PieceRef]
    ) -> Future[bytes]:
        html = build_piece_html(piece, contact, company, origins=origins)
        return self._request(html, company.logo_path)

    def _request(self, html: str, logo_path: str) -> Future[bytes]:
        if self._cache is None:
            return self._submit(html, logo_path)
        key = self._cache.key(html, logo_path=logo_path)
        result: Future[bytes] = Future()
        result.set_running_or_notify_cancel()  # shared by every caller: none may cancel it for the others
        with self._lock:
            shared = self._in_flight.setdefault(key, result)
        if shared is not result:
            return shared
        try:
            pdf = self._cache.get(key)
            if pdf is not None:
                result.set_result(pdf)
                self._forget(key)
            else:
                self._submit(html, logo_path).add_done_callback(partial(self._rendered, key, result))
        except Exception as err:
            result.set_exception(err)
            self._forget(key)
        return result

    def _rendered(self, key: str, result: Future[bytes], rendering: Future[bytes]) -> None:
        """In the pool's own thread: queue the file write on the io thread, pass the PDF on."""
        error = CancelledError() if rendering.cancelled() else rendering.exception()
        if error is not None:
            self._forget(key)
            result.set_exception(error)
            return
        pdf = rendering.result()
        try:
            # Until written, the entry stays in flight: a request meanwhile gets these bytes, not a render.
            self._io.submit(self._store, key, pdf)
        except RuntimeError:  # closed: not kept
            self._forget(key)
        result.set_result(pdf)

    def _store(self, key: str, pdf: bytes) -> None:
        assert self._cache is not None
        try:
            self._cache.put(key, pdf)
        finally:
            self._forget(key)

    def _forget(self, key: str) -> None:
        with self._lock:
            self._in_flight.pop(key, None)

    def _submit(self, html: str, logo_path: str) -> Future[bytes]:
        future: Future[bytes] = self._pool_submit(partial(render_pdf, html, logo_path=logo_path))
        with self._lock:
            self._renders += 1
        return future

    def _pool_submit(self, call: Callable[[], T]) -> Future[T]:
        try:
            return self._executor().submit(call)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start a new pool once
            with self._lock:
                broken, self._pool = self._pool, None
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            return self._executor().submit(call)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                )
            return self._pool


def _start_worker() -> None:
    """A worker's first act: a lower priority, so the window and the process that feeds the workers never wait
    for a render; then fonts configured and loaded, the stylesheet's path through WeasyPrint taken once. It ends
    with the process that started it, however that one ends."""
    die_with_parent()
    if hasattr(os, "nice"):  # not on Windows
        os.nice(WORKER_NICENESS)
    render_pdf('<link rel="stylesheet" href="style.css"><p>Facture 0123456789 € <b>TTC</b></p>')


def _warm_pid() -> int:
    """A warm worker's process id, after a pause that lets the other workers take the calls sent with this one."""
    time.sleep(0.02)
    return os.getpid()


@cache
def _font_configuration() -> FontConfiguration:
    """One per process: WeasyPrint is faster with it and memory stays flat."""
    return FontConfiguration()
