"""The search backend contract. Every backend passes ``tests/search/test_backend_contract.py``.

Value types (``SearchQuery``, ``SearchResult``, ``Hit``, ``FacetValue``, ``Suggestion``) live in
``search.query`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from search.documents import SearchDocument
from search.query import BrowseCounts, FacetValue, Hit, SearchQuery, SearchResult, Suggestion

__all__ = [
    "BrowseCounts",
    "FacetValue",
    "Hit",
    "SearchBackend",
    "SearchQuery",
    "SearchResult",
    "Suggestion",
]


@runtime_checkable
class SearchBackend(Protocol):
    """A search engine holding a projection of the materials table.

    **Writes and refresh.** ``index``, ``delete``, ``reindex`` and ``clear`` are durable when they
    return; searches see them after ``refresh()`` (the embedded engine's other processes see them
    within about half a second anyway). Re-indexing an id replaces the previous document and its
    pages: no duplicates, so replaying an outbox is idempotent. The embedded engine allows **one
    writer process**; a second one gets ``Conflict`` at its first write. Run a single indexer.

    **Visibility.** ``SearchDocument.public`` (approved materials) is enforced *inside* the engine
    query: with ``public_only`` (the default) non-public documents never appear in hits, totals,
    facet counts, suggestions or related lists, and ``related`` of a non-public id is ``NotFound``.

    **Errors.** Odd user syntax never raises (quotes, ``-``, ``AND``, ``*``, brackets are parsed by
    ``search.query.analyze`` and queries are built programmatically). Requests the engine cannot
    answer (too long, paging beyond ``MAX_WINDOW``) raise ``InvalidQuery``; an unreachable engine
    raises ``RepositoryError``.

    **Paging.** ``page`` is 1-based, ``size`` at most 100, ``page * size`` at most 10 000.
    """

    name: str

    def index(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace documents (with their pages). Returns how many were written."""
        ...

    def delete(self, ids: Iterable[str]) -> None:
        """Remove materials and their pages. Unknown ids are ignored."""
        ...

    def reindex(self, docs: Iterable[SearchDocument]) -> int:
        """Replace the whole content with ``docs``; readers switch from old to new atomically."""
        ...

    def refresh(self) -> None:
        """Make every completed write visible to this handle's searches."""
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Ranked, filtered, faceted hits. Facet counts respect every filter but their own."""
        ...

    def accents(self, text: str) -> str:
        """``text``'s words, folded, with the accents the public materials' texts most likely
        give them ("vi sao la cay" → "vì sao lá cây"; ``search.accents``). Words they do not
        hold stay as typed, folded. A draft counts for nothing: what a teacher has not published
        must not decide how everyone's searches are spelled."""
        ...

    def suggest(self, prefix: str, *, size: int = 8) -> list[Suggestion]:
        """Completions (public titles, lessons, subjects) for a prefix typed with or without accents."""
        ...

    def related(self, id: str, *, size: int = 6, students_only: bool = False) -> list[Hit]:
        """Public materials similar to ``id`` (itself excluded). Raises ``NotFound`` if not public.
        ``students_only`` leaves out teacher-only material, as ``SearchQuery.students_only``."""
        ...

    def browse(self, *, students_only: bool = False) -> BrowseCounts:
        """Public materials counted per grade and per curriculum path (grade → subject → series,
        volume → chapter → lesson), computed inside the engine with the visibility filter (and,
        with ``students_only``, without teacher-only material)."""
        ...

    def count(self, public_only: bool = False) -> int:
        """Number of indexed materials."""
        ...

    def versions(self) -> dict[str, int]:
        """``{id: version}`` (the index revision) of every indexed material, for ``search-check``."""
        ...

    def clear(self) -> None:
        """Remove every document."""
        ...

    def close(self) -> None:
        """Release the writer lock / connections."""
        ...
