"""The search API used by ``web``: one backend per process, chosen by settings.

``HOCLIEU_OPENSEARCH_URL`` set → OpenSearch; otherwise the embedded Tantivy index in
``DATA_DIR/index``. Visibility is decided here from the actor and applied inside the engine
query (``public_only``), never by filtering results afterwards: the public API sees approved
materials only, in hits, totals, facet counts, suggestions, related lists and the browse tree.

**Embedded mode, one indexer.** Every handle in a process is the same ``EmbeddedBackend``; the
serving process calls :meth:`SearchService.open_indexer` at start-up so that it, and only it,
holds the Tantivy writer (its in-process job runner applies the ``"index"`` queue). Its request
threads read through the same handle, and each index job ends with ``refresh()``, so a search
made after the job sees the change. Readers in other processes see commits within about half a
second (Tantivy reloads on ``meta.json`` changes).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from repository import fields
from repository.config import Settings
from repository.db import Database
from repository.errors import Conflict, InvalidQuery
from repository.material.audience import sees_teacher_material
from repository.models import User
from repository.text import fold
from repository.vocabularies import get_vocabulary, load_vocabularies
from search.backends.base import Hit, SearchBackend, SearchQuery, SearchResult, Suggestion
from search.query import BrowseCounts
from search.schemas import (
    BrowseNode,
    BrowseResponse,
    FacetCount,
    PageHit,
    RelatedResponse,
    SearchHit,
    SearchResponse,
    SuggestItem,
    SuggestResponse,
)

log = logging.getLogger(__name__)

_lock = threading.Lock()
_backends: dict[str, SearchBackend] = {}


def _vocabulary_of(name: str) -> str:
    """The vocabulary holding a facet's / filter's codes and Vietnamese labels ("" for none)."""
    return next((f.vocabulary or "" for f in fields.FIELDS if f.name == name), "")

NO_SERIES = "Không theo bộ sách"
NO_CHAPTER = "Chưa xếp chương"
NO_LESSON = "Chưa xếp bài"


def _key(settings: Settings) -> str:
    if settings.opensearch_url:
        return f"os:{settings.opensearch_url}"
    return f"tv:{settings.index_dir.resolve()}"


def backend_for(settings: Settings) -> SearchBackend:
    """The process-wide backend for these settings (opened once, reused by every thread)."""
    key = _key(settings)
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            if settings.opensearch_url:
                from search.backends.opensearch import OpenSearchBackend

                backend = OpenSearchBackend(settings.opensearch_url)
            else:
                from search.backends.embedded import EmbeddedBackend

                backend = EmbeddedBackend(settings.index_dir, cache_size=settings.search_cache_size)
            _backends[key] = backend
        return backend


def close_backend(settings: Settings) -> None:
    """Close this process's backend for ``settings`` (releases the embedded writer lock)."""
    with _lock:
        backend = _backends.pop(_key(settings), None)
    if backend is not None:
        backend.close()


def _label(facet: str, value: str) -> str:
    vocab = load_vocabularies().get(_vocabulary_of(facet))
    term = vocab.get(value) if vocab is not None else None
    return term.label_vi if term is not None else value


def _subject_label(code: str, grade: int) -> str:
    term = load_vocabularies()["subject"].get(code)
    return term.label("vi", grade=grade) if term is not None else code


def _natural(text: str) -> tuple[Any, ...]:
    # "Bài 2" before "Bài 10": compare digit runs as numbers.
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text))


def _hit(hit: Hit) -> SearchHit:
    # ``model_construct``: every value comes typed from the backend, so validating each field of
    # each hit again would only cost time on the hot path (20 hits of 8 fields per search).
    return SearchHit.model_construct(
        id=hit.id,
        title=hit.title,
        snippet=hit.snippet,
        grades=list(hit.grades),
        subjects=list(hit.subjects),
        type=hit.type,
        thumbnail=hit.thumbnail,
        pages=[PageHit.model_construct(page=p, snippet=s) for p, s in hit.pages],
    )


@lru_cache(maxsize=4096)
def _facet_label(facet: str, value: str) -> str:
    # Vocabularies are read-only for the life of a process.
    return _label(facet, value)


def check_filters(query: SearchQuery) -> None:
    """Refuse filter values that no vocabulary knows, with the known codes in the message.

    A typo'd code would otherwise silently return nothing.

    Raises:
        InvalidQuery: an unknown grade or code.
    """
    vocabs = load_vocabularies()
    for grade in query.grades:
        if not 1 <= grade <= 12:
            raise InvalidQuery(f"grade must be between 1 and 12, got {grade}")
    for name, values in query.filters().items():
        if name == "grade":
            continue
        if name == "organisation":
            bad = [v for v in values if not ORGANISATION_SLUG.fullmatch(str(v))]
            if bad:
                raise InvalidQuery(
                    f"organisation is a slug (a-z, 0-9 and '-'), got {', '.join(map(repr, bad))}"
                )
            continue
        vocab = vocabs[_vocabulary_of(name)]
        unknown = [v for v in values if v not in vocab]
        if unknown:
            raise InvalidQuery(
                f"unknown {name} {', '.join(map(repr, unknown))}; known values: {', '.join(vocab.codes())}"
            )


# Words that introduce a grade, folded ("lớp 5", "khối 5"), and the prefixes of them people type.
_GRADE_WORDS = ("lop", "khoi")


def curriculum_suggestions(prefix: str, *, size: int = 8) -> list[Suggestion]:
    """ "Toán lớp 5"-style completions from the vocabularies, for a prefix that starts with a
    subject (any spelling or alias, accents optional): "toan" → Toán lớp 1…; "toan lop 1" →
    Toán lớp 1, 10, 11, 12; "vat ly 1" → Vật lí lớp 10, 11, 12. Only grades in which the
    subject is taught are offered. Kind ``curriculum``; ``value`` is ``subject:grade``.
    """
    words = fold(prefix).split()
    if not words or len(words) > 6:
        return []
    subjects = get_vocabulary("subject")
    for n in range(len(words), 0, -1):
        term = subjects.lookup(" ".join(words[:n]))
        if term is not None:
            rest = words[n:]
            break
    else:
        return []
    asked_grade = bool(rest)
    if rest and any(w.startswith(rest[0]) for w in _GRADE_WORDS):
        rest = rest[1:]
    if len(rest) > 1 or (rest and not rest[0].isdigit()):
        return []
    digits = rest[0] if rest else ""
    grades = [g for g in (term.grades or ()) if str(g).startswith(digits)]
    if not asked_grade:
        size = min(size, 3)  # a bare subject: leave room for title and lesson completions
    return [
        Suggestion(text=f"{term.label_vi} lớp {g}", kind="curriculum", value=f"{term.code}:{g}")
        for g in grades[:size]
    ]


#: Organisation slugs (repository.organisation.schemas.SLUG_PATTERN); anything else names none.
ORGANISATION_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")


def organisation_labels(db: Database | None, slugs: list[str]) -> dict[str, str]:
    """Organisations' names by slug, for the ``organisation`` facet (one small query; none when
    no slug is asked for or without a database, then the slug is its own label)."""
    if db is None or not slugs:
        return {}
    from repository.organisation.service import organisations

    with db.read() as session:
        return organisations.names(session, slugs)


class SearchService:
    """Search, suggestions, related materials and the browse tree for the web layer."""

    def search(self, settings: Settings, actor: User | None, query: SearchQuery) -> SearchResult:
        """Run ``query`` on the public catalogue (engine-neutral result).

        Only approved materials are searchable, by anyone: teachers find their drafts under
        "my materials", which reads the database with its own visibility rule. Students and
        anonymous visitors get material for students unless they ask for an ``audience``
        (``repository.material.audience``).
        """
        from dataclasses import replace

        if not query.public_only:
            query = _public(query)
        if not query.audiences and not sees_teacher_material(actor):
            query = replace(query, students_only=True)
        return backend_for(settings).search(query)

    def search_page(
        self, settings: Settings, actor: User | None, query: SearchQuery, *, db: Database | None = None
    ) -> SearchResponse:
        """``GET /api/v1/search``: hits, labelled facets and the "did you mean".

        ``db`` names the organisations of the ``organisation`` facet (without it, their slugs).

        Raises:
            InvalidQuery: unknown filter codes, paging too deep, a query too long.
        """
        check_filters(query)
        result = self.search(settings, actor, query)
        names = organisation_labels(db, [f.value for f in result.facets.get("organisation", [])])

        def label(name: str, value: str) -> str:
            return names.get(value, value) if name == "organisation" else _facet_label(name, value)

        facets = {
            name: [
                FacetCount.model_construct(value=f.value, label=label(name, f.value), count=f.count)
                for f in result.facets.get(name, [])
            ]
            for name in fields.facets()
        }
        return SearchResponse.model_construct(
            total=result.total,
            hits=[_hit(h) for h in result.hits],
            facets=facets,
            suggestion=result.suggestion,
            total_approximate=result.total_approximate,
            facets_approximate=result.facets_approximate,
        )

    def suggest(self, settings: Settings, prefix: str, *, size: int = 8) -> list[Suggestion]:
        """Completions (public titles, lessons, subjects) for ``prefix``, accents optional."""
        if len(prefix) > 200:
            raise InvalidQuery("a suggestion prefix is at most 200 characters")
        curriculum = curriculum_suggestions(prefix, size=size)
        found = backend_for(settings).suggest(prefix, size=size)
        seen = {fold(c.text) for c in curriculum}
        return (curriculum + [s for s in found if fold(s.text) not in seen])[:size]

    def suggest_page(self, settings: Settings, prefix: str, *, size: int = 8) -> SuggestResponse:
        """``GET /api/v1/suggest``."""
        items = self.suggest(settings, prefix, size=size)
        return SuggestResponse(
            suggestions=[SuggestItem(text=s.text, kind=s.kind, id=s.id, value=s.value) for s in items]
        )

    def related(
        self, settings: Settings, material_id: str, *, size: int = 6, actor: User | None = None
    ) -> list[Hit]:
        """Public materials like ``material_id``, under the same audience rule as search.

        Raises:
            NotFound: the material is not public (or does not exist).
        """
        students_only = not sees_teacher_material(actor)
        return backend_for(settings).related(material_id, size=size, students_only=students_only)

    def related_page(
        self, settings: Settings, material_id: str, *, size: int = 6, actor: User | None = None
    ) -> RelatedResponse:
        """``GET /api/v1/materials/{id}/related``."""
        hits = self.related(settings, material_id, size=size, actor=actor)
        return RelatedResponse(hits=[_hit(h) for h in hits])

    def browse(
        self,
        settings: Settings,
        *,
        grade: int | None = None,
        subject: str | None = None,
        actor: User | None = None,
    ) -> BrowseResponse:
        """The curriculum tree grade → subject → book (series, volume) → chapter → lesson.

        Grades and the subjects taught in each grade come from the vocabularies (with count 0
        when nothing is published yet); deeper levels come from the approved materials. Counts
        are computed by the search engine under the visibility filter and the audience rule (as
        for search), so a node's count is what the search it links to finds. ``grade`` /
        ``subject`` narrow the tree.

        Raises:
            InvalidQuery: unknown grade or subject.
        """
        vocabs = load_vocabularies()
        if grade is not None and not 1 <= grade <= 12:
            raise InvalidQuery(f"grade must be between 1 and 12, got {grade}")
        if subject is not None and subject not in vocabs["subject"]:
            raise InvalidQuery(
                f"unknown subject {subject!r}; known values: {', '.join(vocabs['subject'].codes())}"
            )
        counts = backend_for(settings).browse(students_only=not sees_teacher_material(actor))
        return BrowseResponse(total=counts.total, grades=build_tree(counts, grade=grade, subject=subject))

    def no_results_help(
        self, settings: Settings, actor: User | None, text: str, *, size: int = 6
    ) -> tuple[list[int], list[str], list[SearchHit]]:
        """What a search that found nothing can offer: the grades and subjects its words name
        ("toan lop 5" → 5, toan), to browse, and the most-used public materials there (or
        overall when it names none), under the audience rule."""
        from search.query import analyze

        parsed = analyze(text)
        grades, subjects = list(parsed.boost_grades), list(parsed.boost_subjects)
        query = SearchQuery(grades=grades, subjects=subjects, sort="popular", size=size, with_facets=False)
        return grades, subjects, [_hit(h) for h in self.search(settings, actor, query).hits]

    def book_lessons(
        self, settings: Settings, book: tuple[int, str, str, int], *, actor: User | None = None
    ) -> list[tuple[str, str]]:
        """The ``(chapter, lesson)`` sequence of one book ``(grade, subject, series, volume)``, in
        the browse tree's order, counting only what ``actor`` gets (the audience rule)."""
        grade, subject, series, volume = book
        tree = self.browse(settings, grade=grade, subject=subject, actor=actor)
        for subject_node in tree.grades[0].children if tree.grades else []:
            for node in subject_node.children:
                if node.value == series and (node.volume or 0) == volume:
                    return [
                        (chapter.value, lesson.value)
                        for chapter in node.children
                        for lesson in chapter.children
                    ]
        return []

    def open_indexer(self, settings: Settings) -> bool:
        """Make this process the single indexer (embedded mode): take the writer lock now.

        Returns False (and logs) when another process holds it; the index jobs then retry.
        """
        backend = backend_for(settings)
        open_writer = getattr(backend, "open_writer", None)
        if open_writer is None:  # OpenSearch: any number of indexers
            return True
        try:
            open_writer()
        except Conflict as exc:
            log.warning("search.indexer_unavailable reason=%s", exc.message)
            return False
        return True

    def health(self, settings: Settings) -> dict[str, Any]:
        """``{"status": "ok", "backend", "documents", "public"}`` or ``{"status": "error", "error"}``."""
        try:
            backend = backend_for(settings)
            return {
                "status": "ok",
                "backend": backend.name,
                "documents": backend.count(public_only=False),
                "public": backend.count(public_only=True),
            }
        except Exception as exc:  # health reports every failure; it must never raise
            # The message may carry the engine's URL or index path: the log gets it, the public
            # (the health endpoint is anonymous) the kind of failure.
            log.error("search.health_failed error=%s", exc)
            return {
                "status": "error",
                "backend": "opensearch" if settings.opensearch_url else "embedded",
                "error": type(exc).__name__,
            }


def _public(query: SearchQuery) -> SearchQuery:
    from dataclasses import replace

    return replace(query, public_only=True)


def build_tree(
    counts: BrowseCounts, *, grade: int | None = None, subject: str | None = None
) -> list[BrowseNode]:
    """Turn flat browse counts into labelled tree nodes (pure; ordered as the vocabularies are)."""
    vocabs = load_vocabularies()
    subjects_vocab = vocabs["subject"]
    series_order = {code: i for i, code in enumerate(vocabs["series"].codes())}
    by_gs: dict[tuple[int, str], dict[tuple[str, int, str, str], int]] = defaultdict(dict)
    for (g, s, series, volume, chapter, lesson), n in counts.paths.items():
        by_gs[(g, s)][(series, volume, chapter, lesson)] = n
    grades: list[BrowseNode] = []
    for term in vocabs["grade"].terms:
        g = int(term.code)
        if grade is not None and g != grade:
            continue
        codes = [t.code for t in subjects_vocab.terms if g in (t.grades or ())]
        codes += sorted({s for (gg, s) in by_gs if gg == g and s not in codes})
        subject_nodes = []
        for code in codes:
            if subject is not None and code != subject:
                continue
            paths = by_gs.get((g, code), {})
            subject_nodes.append(
                BrowseNode(
                    level="subject",
                    value=code,
                    label=_subject_label(code, g),
                    count=sum(paths.values()),
                    children=_books(paths, series_order),
                )
            )
        grades.append(
            BrowseNode(
                level="grade",
                value=str(g),
                label=term.label_vi,
                count=counts.grades.get(g, 0),
                children=subject_nodes,
            )
        )
    return grades


def _books(paths: dict[tuple[str, int, str, str], int], series_order: dict[str, int]) -> list[BrowseNode]:
    books: dict[tuple[str, int], dict[tuple[str, str], int]] = defaultdict(dict)
    for (series, volume, chapter, lesson), n in paths.items():
        books[(series, volume)][(chapter, lesson)] = n
    out = []
    for series, volume in sorted(books, key=lambda k: (series_order.get(k[0], 99), k[0] == "", k[0], k[1])):
        label = _label("series", series) if series else NO_SERIES
        if volume:
            label = f"{label}, tập {volume}"
        chapters: dict[str, dict[str, int]] = defaultdict(dict)
        for (chapter, lesson), n in books[(series, volume)].items():
            chapters[chapter][lesson] = n
        out.append(
            BrowseNode(
                level="book",
                value=series,
                label=label,
                volume=volume or None,
                count=sum(books[(series, volume)].values()),
                children=[
                    BrowseNode(
                        level="chapter",
                        value=chapter,
                        label=chapter or NO_CHAPTER,
                        count=sum(lessons.values()),
                        children=[
                            BrowseNode(level="lesson", value=lesson, label=lesson or NO_LESSON, count=n)
                            for lesson, n in _sorted_items(lessons)
                        ],
                    )
                    for chapter, lessons in _sorted_items(chapters)
                ],
            )
        )
    return out


def _sorted_items(d: dict[str, Any]) -> Sequence[tuple[str, Any]]:
    # Unset ("") last, the rest in natural order.
    return sorted(d.items(), key=lambda kv: (kv[0] == "", _natural(kv[0])))


search = SearchService()
