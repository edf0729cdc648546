"""Jobs that keep the search index a projection of the database.

``index_material`` is enqueued (outbox row on queue ``"index"``, same transaction) by every change
that affects search; it reads the material as committed and writes or deletes its document, so
replaying it is harmless and the last run always leaves the index right. ``reindex_all`` rebuilds
everything from the database (``hoclieu reindex``); ``check`` compares the two (``hoclieu
search-check``).

**One indexer.** The embedded Tantivy index has a single writer. Every ``hoclieu serve`` competes
for it (:mod:`search.indexer`); the one holding it runs the ``"index"`` queue, whatever the queue
backend, and is the only process that writes; other serving processes stand by and take over
when it dies. ``hoclieu import --wait`` and ``hoclieu demo`` run only the ``"default"`` queue
(ingest), leaving their index jobs to the server. ``hoclieu reindex`` and ``hoclieu worker
--queue index`` write from the CLI and therefore refuse while another process holds the writer.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from repository import jobs, vectors
from repository.errors import Conflict, RepositoryError
from repository.material.index_source import index_source
from repository.material.service import material as material_service
from repository.models import Material
from repository.runtime import Runtime, get_runtime
from repository.uow import Session
from search.documents import SearchDocument, build_document
from search.revision import revision_of, revisions
from search.service import backend_for

BATCH = 500
#: Materials written per index commit when index jobs are coalesced (see ``index_material``).
INDEX_BATCH = 500
_JOB = "search.tasks.index_material"
#: Heartbeat period of coalesced jobs (the stale sweep waits HOCLIEU_JOB_STALE_AFTER_S).
_BEAT_S = 5.0
log = logging.getLogger(__name__)


def material_dict(runtime: Runtime, m: Material) -> dict[str, Any]:
    """The plain shape ``build_document`` takes, with extracted texts read from the blob store.

    ``text`` derivatives: label ``""`` is the full text, label ``"pages"`` a JSON list of
    ``[page, text]``. The first file's small thumbnail is the hit's thumbnail.
    """
    texts: list[dict[str, Any]] = []
    thumbnail: str | None = None
    vector: bytes | None = None
    for f in m.files:
        full = next((d for d in f.derivatives if d.kind == "text" and d.label == ""), None)
        pages = next((d for d in f.derivatives if d.kind == "text" and d.label == "pages"), None)
        entry: dict[str, Any] = {"text": "", "pages": []}
        if full is not None:
            with runtime.blobs.open(full.storage_key) as fh:
                entry["text"] = fh.read().decode("utf-8", errors="replace")
        if pages is not None:
            with runtime.blobs.open(pages.storage_key) as fh:
                entry["pages"] = json.loads(fh.read().decode("utf-8"))
        if entry["text"] or entry["pages"]:
            texts.append(entry)
        if vector is None:
            # The first file's with text: what the material means (``repository.vectors``).
            made = next((d for d in f.derivatives if d.kind == "vector" and d.label == vectors.MODEL), None)
            if made is not None:
                with runtime.blobs.open(made.storage_key) as fh:
                    vector = fh.read()
        if thumbnail is None:
            thumb = next((d for d in f.derivatives if d.kind == "thumbnail" and d.label == "small"), None)
            if thumb is not None:
                thumbnail = f"/api/v1/materials/{m.id}/files/{f.id}/derivatives/{thumb.id}"
    return {
        "id": m.id,
        "metadata": m.meta,
        "state": m.state,
        "owner_id": m.owner_id,
        "created_at": m.created_at,
        "version": revision_of(m),
        "popularity": m.view_count,
        "thumbnail": thumbnail,
        "texts": texts,
        "vector": vector,
        "organisation": m.organisation.slug if m.organisation is not None else None,
    }


def public_files(session: Session, m: Material) -> Material:
    return material_service.restrict_files(session, None, m)


def index_material(material_id: str) -> None:
    """Write (or delete) a material's search document from the database state (idempotent).

    **Coalescing.** The job also claims every other queued index job (up to
    :data:`INDEX_BATCH` materials in all) and writes them in one commit: a bulk import's 10 000
    index jobs become about 20 commits instead of 10 000, while a single approval is one
    commit as soon as its job runs. Batches therefore form by themselves: by count (the cap)
    and by time (whatever queued while the previous commit ran). If the batch fails, each
    material is written on its own, and only the ones that fail again are retried.

    Raises:
        Conflict: (embedded) another process holds the index writer; the job runner retries,
            and the claimed siblings go back to the queue.
    """
    runtime = get_runtime()
    worker = f"coalesced-by:index:material:{material_id}:{os.getpid()}:{threading.get_ident()}"
    siblings = jobs.take_queued(runtime.db, _JOB, limit=INDEX_BATCH - 1, worker=worker)
    with _beating(runtime, siblings, worker):
        _index_batch(runtime, material_id, siblings, worker)


@contextmanager
def _beating(runtime: Runtime, siblings: list[Any], worker: str) -> Iterator[None]:
    """Send the claimed siblings' heartbeats while the batch runs (the runner only beats for
    the job it ran), so a long batch is never taken for a dead worker's."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(_BEAT_S):
            try:
                jobs.beat_taken(runtime.db, siblings, worker)
            except Exception:
                log.exception("search.index_batch_heartbeat_failed")

    thread = threading.Thread(target=beat, daemon=True)
    if siblings:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if siblings:
            thread.join()


def _index_batch(runtime: Runtime, material_id: str, siblings: list[Any], worker: str) -> None:
    by_material: dict[str, list[int]] = {}
    for job in siblings:
        by_material.setdefault(str(job.kwargs.get("material_id")), []).append(job.id)
    ids = list(dict.fromkeys([material_id, *by_material]))
    failed: dict[str, str] = {}
    try:
        index_materials(runtime, ids)
    except Conflict as exc:
        failed = dict.fromkeys(ids, exc.message)
    except Exception:
        log.exception("search.index_batch_failed materials=%s", len(ids))
        for ident in ids:
            try:
                index_materials(runtime, [ident])
            except Exception as exc:
                failed[ident] = f"{type(exc).__name__}: {exc}"
    sibling_failures = {jid: failed[m] for m, jids in by_material.items() if m in failed for jid in jids}
    jobs.settle_taken(runtime.db, siblings, sibling_failures, worker)
    if material_id in failed:
        raise IndexingFailed(failed[material_id])


class IndexingFailed(RepositoryError):
    """A material's search document could not be written (the job is retried)."""


def index_materials(runtime: Runtime, ids: list[str]) -> None:
    """Write (or delete) the search documents of ``ids`` from the database state, in one
    commit for the writes and one for the deletions, then make them visible."""
    backend = backend_for(runtime.settings)
    docs: list[SearchDocument] = []
    with runtime.db.read() as session:
        found = {m.id: m for m in index_source.load(session, ids)}
        for ident in ids:
            m = found.get(ident)
            if m is not None:
                # The public document: files of a version still under review are left out.
                docs.append(build_document(material_dict(runtime, public_files(session, m))))
    gone = [i for i in ids if i not in found]
    if docs:
        backend.index(docs)
    if gone:
        backend.delete(gone)
    backend.refresh()


def count_materials(runtime: Runtime) -> int:
    """How many materials the database holds (the reindex progress bar's total)."""
    with runtime.db.read() as session:
        return len(index_source.ids(session))


def iter_documents(runtime: Runtime) -> Iterator[SearchDocument]:
    """Every material's document, read in batches of :data:`BATCH` (one query per batch)."""
    with runtime.db.read() as session:
        ids = index_source.ids(session)
    for start in range(0, len(ids), BATCH):
        with runtime.db.read() as session:
            for m in index_source.load(session, ids[start : start + BATCH]):
                yield build_document(material_dict(runtime, public_files(session, m)))


def reindex_all(runtime: Runtime, *, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database; readers switch atomically at the end.

    Raises:
        Conflict: (embedded) another process holds the index writer.
    """

    def counted() -> Iterator[SearchDocument]:
        for n, doc in enumerate(iter_documents(runtime), 1):
            if progress is not None:
                progress(n)
            yield doc

    backend = backend_for(runtime.settings)
    written = backend.reindex(counted())
    backend.refresh()
    return written


def check(runtime: Runtime) -> dict[str, list[str]]:
    """Materials ``missing`` from the index, ``stale`` in it (revision differs from the database),
    or ``orphaned`` (indexed but gone from the database). Every list is sorted."""
    backend = backend_for(runtime.settings)
    backend.refresh()
    indexed = backend.versions()
    missing: list[str] = []
    stale: list[str] = []
    with runtime.db.read() as session:
        for material_id, revision in revisions(session):
            found = indexed.pop(material_id, None)
            if found is None:
                missing.append(material_id)
            elif found != revision:
                stale.append(material_id)
    return {"missing": missing, "stale": stale, "orphaned": sorted(indexed)}
