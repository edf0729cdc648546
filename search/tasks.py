"""Jobs that keep the search index a projection of the database.

``index_material`` is enqueued (outbox row, same transaction) by every change that affects
search; it reads the material as committed and writes or deletes its document, so replaying it
is harmless. ``reindex_all`` rebuilds everything from the database (``hoclieu reindex``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from repository.material.store import MaterialStore
from repository.models import Material
from repository.runtime import Runtime, get_runtime
from search.documents import SearchDocument, build_document
from search.service import backend_for

BATCH = 500


def material_dict(runtime: Runtime, m: Material) -> dict[str, Any]:
    """The plain shape ``build_document`` takes, with extracted texts read from the blob store."""
    texts: list[dict[str, Any]] = []
    thumbnail: str | None = None
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
        "version": m.version,
        "popularity": m.view_count,
        "thumbnail": thumbnail,
        "texts": texts,
    }


def index_material(material_id: str) -> None:
    """Write (or delete) one material's search document from the database state."""
    runtime = get_runtime()
    backend = backend_for(runtime.settings)
    with runtime.db.read() as session:
        m = MaterialStore.from_session(session).get_full(material_id)
        doc = build_document(material_dict(runtime, m)) if m is not None else None
    if doc is None:
        backend.delete([material_id])
    else:
        backend.index([doc])
    backend.refresh()


def iter_documents(runtime: Runtime) -> Iterator[SearchDocument]:
    with runtime.db.read() as session:
        store = MaterialStore.from_session(session)
        ids = store.ids_all()
    for start in range(0, len(ids), BATCH):
        with runtime.db.read() as session:
            store = MaterialStore.from_session(session)
            for material_id in ids[start : start + BATCH]:
                m = store.get_full(material_id)
                if m is not None:
                    yield build_document(material_dict(runtime, m))


def reindex_all(runtime: Runtime, *, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database; readers switch atomically at the end."""

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
    """Materials missing from the index, stale in it, or indexed but gone from the database."""
    backend = backend_for(runtime.settings)
    backend.refresh()
    indexed = backend.versions()
    missing: list[str] = []
    stale: list[str] = []
    with runtime.db.read() as session:
        for material_id, version in MaterialStore.from_session(session).id_versions():
            if material_id not in indexed:
                missing.append(material_id)
            elif indexed[material_id] != version:
                stale.append(material_id)
            indexed.pop(material_id, None)
    return {"missing": missing, "stale": stale, "orphaned": sorted(indexed)}
