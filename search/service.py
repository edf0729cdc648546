"""The search API used by ``web``: one backend per process, chosen by settings.

``HOCLIEU_OPENSEARCH_URL`` set → OpenSearch; otherwise the embedded Tantivy index in
``DATA_DIR/index``. Visibility is decided here from the actor and applied inside the engine
query (``public_only``), never by filtering results afterwards.
"""

from __future__ import annotations

import threading
from typing import Any

from repository.config import Settings
from repository.models import User
from search.backends.base import Hit, SearchBackend, SearchQuery, SearchResult, Suggestion

_lock = threading.Lock()
_backends: dict[str, SearchBackend] = {}


def _key(settings: Settings) -> str:
    return f"os:{settings.opensearch_url}" if settings.opensearch_url else f"tv:{settings.index_dir.resolve()}"


def backend_for(settings: Settings) -> SearchBackend:
    """The process-wide backend for these settings (opened once, reused)."""
    key = _key(settings)
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            if settings.opensearch_url:
                from search.backends.opensearch import OpenSearchBackend

                backend = OpenSearchBackend(settings.opensearch_url)
            else:
                from search.backends.embedded import EmbeddedBackend

                backend = EmbeddedBackend(settings.index_dir)
            _backends[key] = backend
        return backend


def close_backend(settings: Settings) -> None:
    with _lock:
        backend = _backends.pop(_key(settings), None)
    if backend is not None:
        backend.close()


class SearchService:
    def search(self, settings: Settings, actor: User | None, query: SearchQuery) -> SearchResult:
        # Only approved materials are searchable by anyone for now: the public catalogue.
        # (Teachers find their drafts under "my materials", which reads the database.)
        del actor
        return backend_for(settings).search(query)

    def suggest(self, settings: Settings, prefix: str, *, size: int = 8) -> list[Suggestion]:
        return backend_for(settings).suggest(prefix, size=size)

    def related(self, settings: Settings, material_id: str, *, size: int = 6) -> list[Hit]:
        return backend_for(settings).related(material_id, size=size)

    def health(self, settings: Settings) -> dict[str, Any]:
        try:
            backend = backend_for(settings)
            return {"status": "ok", "backend": backend.name, "documents": backend.count(public_only=False)}
        except Exception as exc:
            return {"status": "error", "error": str(exc)}


search = SearchService()
