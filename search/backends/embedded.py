"""Embedded search backend: Tantivy on local disk (the default).

Index layout (one Tantivy index, two kinds of documents, one atomic commit per change):

* ``kind = "m"``: one per material. Each searchable text is indexed twice: ``<f>`` with the
  ``vi_fold`` analyzer (lowercase, every mark removed, đ→d; the original text is *stored* here, so
  snippets are cut from accented text while matching folded terms) and ``<f>_x`` with ``vi_exact``
  (lowercase, accents kept; not stored). ``pairs_t``/``pairs_b`` hold folded adjacent-syllable
  pairs (``search.query.syllable_pairs``) of the title group and of the description/body.
  ``cov``/``cov_x`` hold each distinct folded word (each distinct accented word) once,
  as numbers with no length norm: what covering a query word is worth, as a term score
  (``EmbeddedBackend._flat_terms``).
* ``kind = "p"``: one per extracted page (``parent`` = material id, ``page`` = number), with its
  own ``page``/``page_x`` text fields so page text never skews the materials' BM25 statistics.
  Measured on the test corpus this costs one small query per hit for ``Hit.pages`` (parent term
  filter), far cheaper than nested documents, which Tantivy does not have.

Concurrency: **one writer**. Tantivy takes ``.tantivy-writer.lock`` in the directory; a second
writer, in this process or another, fails at once. The writer is opened lazily by the first
``index``/``delete``/``clear``/``reindex`` call, so search-only processes (web workers) never take
it. Run exactly one indexer. Readers see commits by themselves within about half a second;
``refresh()`` makes them visible to this handle immediately.

Analyzers are not persisted in the index, so they are registered again on every open. The
index lives in ``<path>/v<SCHEMA_VERSION>``: a release that changes the schema starts an empty
index beside the old one (``hoclieu search-check`` then reports everything missing and ``hoclieu
reindex`` fills it) instead of failing to open the old one.

``browse`` holds one raw term per (grade, subject) of a material naming its place in the
curriculum (``search.query.browse_paths``), so the browse tree's counts are one terms aggregation
under the same visibility filter as every search.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from repository import fields
from repository.errors import Conflict, InvalidQuery, NotFound, RepositoryError
from repository.material.audience import STUDENT, TEACHER, TEACHER_ONLY_TYPES
from repository.text import fold, fold_aligned, i_y_spellings, nfc
from search import accents, rerank, semantic
from search.accents import Local
from search.backends._cache import ResultCache, cache_key
from search.backends._common import (
    ALIAS_SCORE,
    COVERAGE_SCORE,
    CURRICULUM_SCORE,
    EXACT_FACTOR,
    FACET_SIZE,
    FUZZY_WEIGHT,
    PAGES_PER_HIT,
    PAIR_COVERAGE,
    PAIR_WEIGHTS,
    QUESTION_WEIGHT,
    SNIPPET_CHARS,
    TEXT_FIELDS,
    TIE_CAP,
    TWIN_WEIGHT,
    correction,
    highlight_filter,
    mark,
    phrase_spellings,
    plain,
    suggestion_key,
    suggestions,
)
from search.backends._common import (
    FACET_BROAD as FACET_BROAD,  # re-exported: tests and bench/search_cost.py set them
)
from search.backends._common import (
    FACET_SAMPLE as FACET_SAMPLE,
)
from search.documents import SearchDocument, codes_of
from search.query import (
    FUZZY_MIN_CHARS,
    MAX_TOKEN_CHARS,
    WORD_RUNS,
    BrowseCounts,
    Clause,
    FacetValue,
    Hit,
    ParsedQuery,
    SearchQuery,
    SearchResult,
    Suggestion,
    Token,
    analyze,
    bm25_idf,
    browse_paths,
    fast_fold,
    folded_words,
    pairs_of,
    parse_path,
    spellings,
    words,
)
from search.vietnamese import normalize_tone_placement

_T = TypeVar("_T")

SCHEMA_VERSION = 8
# The vocabulary fields of the schema version. A field added to the registry (repository.fields)
# since changes the schema: its index lives in a folder of its own (see ``_layout``).
_BASE_FIELDS = (
    *("grade", "subject", "type", "series", "language", "license", "audience", "level", "organisation"),
)


def _layout() -> str:
    """The index folder's name: the schema version, plus a digest of the vocabulary fields added
    since (so a new field starts a new index, which ``hoclieu reindex`` fills)."""
    added = sorted(f.name for f in fields.FIELDS if f.name not in _BASE_FIELDS)
    if not added:
        return f"v{SCHEMA_VERSION}"
    return f"v{SCHEMA_VERSION}-" + hashlib.sha256(",".join(added).encode()).hexdigest()[:12]


#: Distinct curriculum paths counted by ``browse`` (Tantivy's bucket limit is 65 000).
BROWSE_SIZE = 60_000

#: Whether a search without phrases runs as flat term queries (``_flat_terms``: the exact query's
#: scores, term by term): one flat union for its matches (the gate of a gated search, every
#: match of an ungated one), a chain for a gated search's candidates (``_chained``). Off: the
#: nested exact query everywhere (the same results, slower).
FLAT_TERMS = True

#: A query word (or adjacent pair) in more than this share of the index's documents, and in more
#: than :data:`COMMON_MIN_DOCS` of them, is *common* ("là", "của", "lớp", "bài" at a million
#: materials). A material is then a candidate for the query only if it holds one of the query's
#: other words, a curriculum alias, or an adjacent pair that is not common ("diện tích",
#: "hình thang"); the common words still score on every candidate, exactly as before. Without
#: this, one common word makes nearly every material a match to score and count (about 740 000
#: of a million for a typical question). When the candidates are fewer than the page (and the
#: second stage) needs, the query runs again unrestricted, so a query never loses a result it
#: could show; a restricted query's ``total`` and facets are those of its candidates and say so
#: (approximate). 0: never restrict.
COMMON_SHARE = 0.05
COMMON_MIN_DOCS = 20_000
#: Candidates of a query with common words, or of phrases only, that its first pass hands to
#: the exact ranking (``EmbeddedBackend._gated``); a page beyond them ranks the other candidates
#: after them. At least ``rerank.DEPTH`` and ``semantic.DEPTH``: the later stages re-score the same
#: top on every page.
GATED_CANDIDATES = 50
#: A term of a gated search's exact query held by more than this share of the materials gets a
#: level of its own in the chain that ranks the candidates (``_chain``: found in each candidate
#: by a seek in its postings); rarer terms are added up by one union beside the chain, whose
#: windows of 4 096 documents hold few of their postings. Fewer levels, less to build: each level
#: is a copy of the chain below it (Tantivy's Python binding copies a query's parts).
CHAIN_SHARE = 0.01

#: The fields whose exact-accent phrase matches score in the first pass of a search of quoted
#: phrases only (``_gated``): the short ones. The exact pass scores them in every field.
FIRST_EXACT_FIELDS = frozenset({"title", "lesson", "kw"})

#: Threads a backend runs a search's side passes on, beside the search's own thread: its facet
#: counts, and a gated search's chain (``_chain``), built while its first pass runs (0: every
#: step in the search's own thread, one after another). Tantivy releases the GIL while it
#: searches, so a pass on a search thread runs on another core; a pass the threads have not
#: started when its result is needed (every thread busy with other searches) runs in the
#: search's own thread instead, so a busy server never makes a search wait in a queue.
SEARCH_THREADS = 4

#: The pair field holding the adjacent pairs of each text field's words (a phrase's candidates).
PAIRS_OF = {"title": "pairs_t", "lesson": "pairs_t", "kw": "pairs_t", "desc": "pairs_b", "body": "pairs_b"}

#: Characters of a material's body stored (``body_head``): what the second stage reads
#: (``rerank.TEXT_CHARS``), snippets are cut from and typo suggestions are drawn from.
STORED_BODY_CHARS = 20_000
#: The fields of the public materials' accented words and of their pairs ("vìsao"), whose
#: document frequencies give a query typed without accents its accents back (``search.accents``).
ACCENT_WORDS = "words_x"
ACCENT_PAIRS = "pairs_x"

#: Characters of a long body a hit's snippet is cut from (``_Snippets.around``).
SNIPPET_WINDOW = 1_000

#: Facet value sets remembered (``EmbeddedBackend._value_set_codes``); the memory starts over
#: beyond it. Materials share few sets (a subject or two, one type, one series).
VALUE_SETS_KEPT = 100_000


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    fold_an = (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )
    exact_an = (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .build()
    )
    return {"vi_fold": fold_an, "vi_exact": exact_an}


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in ("kind", "id", "parent", "owner"):
        sb.add_text_field(name, stored=name in ("id", "parent"), fast=name == "id", tokenizer_name="raw")
    sb.add_integer_field("page", stored=True, indexed=True)
    # The parent id as a number in a fast column: the page hits of a whole result list come from
    # one query, grouped per material without reading any stored page document.
    sb.add_integer_field("parent_h", stored=False, indexed=False, fast=True)
    sb.add_integer_field("public", stored=False, indexed=True, fast=True)
    # A material's id as a number (as ``parent_h``), indexed and fast: the candidates a gated
    # search ranks exactly are selected by term queries of these, and equal scores ordered by it.
    sb.add_integer_field("key", stored=False, indexed=True, fast=True)
    for name, _ in TEXT_FIELDS:
        # The body is indexed whole but stored only as its first STORED_BODY_CHARS (``body_head``):
        # every search reads the stored documents of its top results, and a textbook's body is
        # hundreds of thousands of characters.
        sb.add_text_field(name, stored=name != "body", tokenizer_name="vi_fold")
        sb.add_text_field(f"{name}_x", stored=False, tokenizer_name="vi_exact")
    sb.add_bytes_field("body_head", stored=True, indexed=False, fast=False)
    # Coverage (``_cover_word``): each distinct word of the material (in one spelling: i/y
    # twins are one), once, as a number; ``cov_x`` the distinct accented words as written. An
    # integer field has no length norms: a term scores the same in every material holding it
    # (its IDF), which is what covering a query word is worth, as a plain term score
    # (``_flat_terms``).
    sb.add_integer_field("cov", stored=False, indexed=True, fast=False)
    sb.add_integer_field("cov_x", stored=False, indexed=True, fast=False)
    sb.add_text_field("page_text", stored=True, tokenizer_name="vi_fold")
    sb.add_text_field("page_text_x", stored=False, tokenizer_name="vi_exact")
    for name, _ in PAIR_WEIGHTS:
        sb.add_text_field(name, stored=False, tokenizer_name="vi_exact", index_option="freq")
    # A public material's distinct accented words (of its title and body), and its adjacent
    # ones ("vìsao") from its texts' starts: how often the texts write each word and pair, which
    # gives a query typed without accents its accents back (``search.accents``). Only their
    # document frequencies are read; a draft has neither, so it cannot decide how a public
    # search is spelled.
    sb.add_text_field(ACCENT_WORDS, stored=False, tokenizer_name="vi_exact", index_option="basic")
    sb.add_text_field(ACCENT_PAIRS, stored=False, tokenizer_name="vi_exact", index_option="basic")
    # What the material means (``repository.vectors``), for the questions' third stage.
    sb.add_bytes_field("vec", stored=True, indexed=False, fast=False)
    for f in fields.FIELDS:  # vocabulary fields: exact codes, for filters and facets
        if f.integer:
            sb.add_integer_field(f.name, stored=True, indexed=True, fast=True)
        else:
            sb.add_text_field(f.name, stored=True, fast=True, tokenizer_name="raw")
        if f.facet:
            # The material's set of codes as one number (``_value_set``): the facets of a broad
            # query are counted on its top candidates from this column (``_sampled_facets``).
            sb.add_integer_field(_set_field(f.name), stored=False, indexed=False, fast=True)
    sb.add_integer_field("created", stored=True, indexed=True, fast=True)
    sb.add_integer_field("popularity", stored=True, indexed=True, fast=True)
    sb.add_integer_field("version", stored=True, indexed=False, fast=True)
    sb.add_text_field("browse", stored=False, fast=True, tokenizer_name="raw")
    # Display-only values (title as typed, chapter, thumbnail…) as one JSON blob.
    sb.add_bytes_field("data", stored=True, indexed=False, fast=False)
    return sb.build()


def _micros(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp() * 1_000_000)


#: A gated search's exact query as ``EmbeddedBackend._chain`` builds it: the chain of its
#: common terms (None: no such term) and its rare terms.
_Chain = tuple[Query | None, list[Query]]


@dataclasses.dataclass(frozen=True)
class _Ask:
    """One search as the steps of ``EmbeddedBackend._search`` need it: the searcher it reads
    (one index revision), the query as parsed, its long words found nowhere (``fuzzy``: widened
    to their neighbours), the words' IDF and its common words (``_common``; empty: none gated)."""

    searcher: tantivy.Searcher
    parsed: ParsedQuery
    query: SearchQuery
    fuzzy: frozenset[str]
    idf: dict[str, float]
    common: frozenset[str] = frozenset()


#: A step given the first candidates' texts and the candidates, returning them in a new order
#: (``EmbeddedBackend._respelled`` with its search bound).
_Respell = Callable[
    [Sequence[str], list[tuple[float, tantivy.DocAddress]]], list[tuple[float, tantivy.DocAddress]]
]


class EmbeddedBackend:
    """``SearchBackend`` on a Tantivy index in ``path`` (created when absent).

    Args:
        path: directory of the index.
        cache_size: search results kept in memory, keyed by the normalised query, its filters and
            the index revision (0 turns the cache off). See :class:`ResultCache`.
        heap_size: writer memory budget in bytes, shared by its threads. Tantivy grows its arenas
            on demand, so the small commits of incremental indexing stay small; a reindex fills
            it and flushes fewer, larger segments (at 100k materials 512 MB halved commit time
            against 128 MB: fewer merges).
        num_threads: writer threads (0 = Tantivy's default: one per core, at most 8).
    """

    name = "embedded"

    def __init__(
        self,
        path: str | Path,
        *,
        heap_size: int = 512_000_000,
        num_threads: int = 0,
        cache_size: int = 1024,
    ) -> None:
        self.path = Path(path)
        self.directory = self.path / _layout()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RepositoryError(f"cannot create the search index folder {self.directory}: {exc}") from exc
        self.schema = _schema()
        try:
            self._index = tantivy.Index(self.schema, path=str(self.directory), reuse=True)
        except (OSError, ValueError) as exc:
            raise RepositoryError(f"cannot open the search index at {self.path}: {exc}") from exc
        # Analyzers are not stored with the index: register them on every open.
        self._analyzers = _analyzers()
        for name, analyzer in self._analyzers.items():
            self._index.register_tokenizer(name, analyzer)
        self._heap_size = heap_size
        self._num_threads = num_threads
        self._writer: tantivy.IndexWriter | None = None
        self._lock = threading.Lock()
        self._cache: ResultCache[SearchResult] = ResultCache(cache_size)
        # Completions as typed, keyed as results are (index revision, normalised prefix): every
        # visitor types "t", "to", "toa" (a short prefix read ~60 ms at a million materials).
        self._suggested: ResultCache[list[Suggestion]] = ResultCache(cache_size)
        self._related: ResultCache[list[Hit]] = ResultCache(cache_size)
        # (facet, value-set number) → the codes: learnt from one stored document per set.
        self._value_sets: dict[tuple[str, int], tuple[str, ...]] = {}
        self._threads: ThreadPoolExecutor | None = None  # started with the first search that uses it
        # (index revision, what) → a count over every material (``count``, ``browse``).
        self._remembered: dict[tuple[int, Hashable], object] = {}

    # --- writing -------------------------------------------------------------------------------

    def open_writer(self) -> None:
        """Take the writer lock now (the serving process does, to be *the* indexer).

        Raises:
            Conflict: another process (or handle) holds it.
        """
        with self._lock:
            self._get_writer()

    @property
    def holds_writer(self) -> bool:
        """Whether this handle holds the index writer lock."""
        return self._writer is not None

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=self._heap_size, num_threads=self._num_threads)
            except ValueError as exc:
                raise Conflict(
                    f"another process holds the search index writer ({self.directory}); "
                    "only one indexer may run: stop `hoclieu serve` (or the other indexer) first"
                ) from exc
        return self._writer

    def _documents(self, doc: SearchDocument) -> list[tantivy.Document]:
        title_group = [doc.title, doc.lesson, doc.chapter, *doc.keywords]
        values = {
            "title": [doc.title],
            "lesson": [v for v in (doc.lesson, doc.chapter) if v],
            "kw": doc.keywords,
            "desc": [doc.description] if doc.description else [],
            "body": [doc.body] if doc.body else [],
        }
        texts: list[tuple[str, str, str]] = []
        exact_words: set[str] = set()
        # The accented words of the title and the body (as OpenSearch counts them: title.x, body.x).
        spelled: set[str] = set()
        for name, found in values.items():
            for text in found:
                text = nfc(text)
                # The exact twin is never stored or shown: it gets the one tone placement that
                # query tokens get (search.vietnamese), so "hóa" and "hoá" are the same word.
                exact = normalize_tone_placement(text)
                texts.append((name, text, exact))
                found_words = WORD_RUNS.findall(exact.lower())
                exact_words.update(found_words)
                if name in ("title", "body"):
                    spelled.update(found_words)
        title_words = [folded_words(t) for t in title_group]
        body_words = folded_words(doc.description + "\n" + doc.body)
        title_pairs = [p for found in title_words for p in pairs_of(found)]
        body_pairs = pairs_of(body_words)
        distinct = set(body_words).union(*title_words)
        # One call per number: ``tantivy.Document(cov=[...])`` is faster, but a reindex built
        # with it lost some materials (silently, at random: 8 of 11 in one test run).
        m = tantivy.Document()
        for number in _cover_words(distinct):
            m.add_integer("cov", number)
        # The accented words: a word with no mark is among the folded ones.
        for number in _cover_words(exact_words - distinct):
            m.add_integer("cov_x", number)
        m.add_text("kind", "m")
        m.add_text("id", doc.id)
        if doc.owner_id:
            m.add_text("owner", doc.owner_id)
        m.add_integer("public", 1 if doc.public else 0)
        m.add_integer("key", _hash(doc.id))
        for name, text, exact in texts:
            m.add_text(name, text)
            m.add_text(f"{name}_x", exact)
            if name == "body":
                m.add_bytes("body_head", text[:STORED_BODY_CHARS].encode("utf-8"))
        m.add_text("pairs_t", " ".join(title_pairs))
        m.add_text("pairs_b", " ".join(body_pairs))
        if doc.public:
            m.add_text(ACCENT_WORDS, " ".join(sorted(spelled)))
            m.add_text(ACCENT_PAIRS, " ".join(accents.accent_pairs(t for _name, t, _exact in texts)))
        if doc.vector:
            m.add_bytes("vec", doc.vector)
        facets = set(fields.facets())
        for name, codes in codes_of(doc).items():
            for code in codes:
                if isinstance(code, int):
                    m.add_integer(name, code)
                else:
                    m.add_text(name, code)
            if name in facets and codes:
                m.add_integer(_set_field(name), _value_set(codes))
        m.add_integer("created", _micros(doc.created_at))
        m.add_integer("popularity", doc.popularity)
        m.add_integer("version", doc.version)
        for key in browse_paths(doc.grades, doc.subjects, doc.series, doc.volume, doc.chapter, doc.lesson):
            m.add_text("browse", key)
        data = {
            "title": doc.title,
            "lesson": doc.lesson,
            "chapter": doc.chapter,
            "description": doc.description,
            "thumbnail": doc.thumbnail,
            "series": doc.series,
            "volume": doc.volume,
            "subjects": doc.subjects,
            "grades": doc.grades,
            "type": doc.type,
        }
        m.add_bytes("data", json.dumps(data, ensure_ascii=False).encode("utf-8"))
        out = [m]
        parent_hash = _hash(doc.id)
        for number, text in doc.pages:
            p = tantivy.Document()
            p.add_text("kind", "p")
            p.add_text("parent", doc.id)
            p.add_integer("parent_h", parent_hash)
            p.add_integer("page", number)
            p.add_integer("public", 1 if doc.public else 0)
            text = nfc(text)
            p.add_text("page_text", text)
            p.add_text("page_text_x", normalize_tone_placement(text))
            out.append(p)
        return out

    def _stage(
        self, writer: tantivy.IndexWriter, docs: Iterable[SearchDocument], *, replace: bool = True
    ) -> int:
        n = 0
        for doc in docs:
            if replace:
                # Delete-then-add in one commit: re-indexing an id replaces it, never duplicates.
                writer.delete_documents_by_term("id", doc.id)
                writer.delete_documents_by_term("parent", doc.id)
            for tdoc in self._documents(doc):
                writer.add_document(tdoc)
            n += 1
        return n

    def _commit(self, writer: tantivy.IndexWriter) -> None:
        """Commit with a new revision document in the same commit.

        The revision (``kind = "r"``, nanoseconds in ``version``) is what the result cache keys
        on. It is read from the searcher that runs the query, so a searcher that sees a change
        also sees its revision: a cached result can never outlive the index state it came from
        (a taken-down material never comes back from the cache).
        """
        writer.delete_documents_by_term("kind", "r")
        rev = tantivy.Document()
        rev.add_text("kind", "r")
        rev.add_integer("version", time.time_ns())
        writer.add_document(rev)
        writer.commit()

    def index(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace ``docs``; durable (committed) when it returns. Returns the count."""
        with self._lock:
            writer = self._get_writer()
            n = self._stage(writer, docs)
            self._commit(writer)
            return n

    def delete(self, ids: Iterable[str]) -> None:
        """Remove materials (and their pages); unknown ids are ignored. Committed on return."""
        with self._lock:
            writer = self._get_writer()
            for ident in ids:
                writer.delete_documents_by_term("id", ident)
                writer.delete_documents_by_term("parent", ident)
            self._commit(writer)

    def reindex(self, docs: Iterable[SearchDocument]) -> int:
        """Replace the whole index content with ``docs`` in one commit (readers switch atomically)."""
        with self._lock:
            writer = self._get_writer()
            _delete_everything(writer)
            # Everything was just deleted: no per-document delete terms (2 per material) to queue.
            n = self._stage(writer, docs, replace=False)
            self._commit(writer)
            return n

    def clear(self) -> None:
        """Remove every document."""
        with self._lock:
            writer = self._get_writer()
            _delete_everything(writer)
            self._commit(writer)

    def revision(self, searcher: tantivy.Searcher | None = None) -> int | None:
        """The index revision ``searcher`` sees (None: an index no commit of this version wrote)."""
        searcher = searcher or self._searcher()
        res = searcher.search(self._term("kind", "r"), 1, count=False)
        if not res.hits:
            return None
        value = searcher.fast_field_values("version", [res.hits[0][1]])[0]
        return int(value) if value is not None else None

    def refresh(self) -> None:
        """Make every committed change visible to this handle's searches now."""
        self._index.reload()

    def close(self) -> None:
        """Release the writer lock (if held). The handle must not be used afterwards."""
        with self._lock:
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None
            if self._threads is not None:
                self._threads.shutdown(wait=False, cancel_futures=True)
                self._threads = None

    # --- query building ------------------------------------------------------------------------

    def _term(self, field: str, value: str | int) -> Query:
        return Query.term_query(self.schema, field, value)

    def _word(self, field: str, word: str, boost: float = 1.0) -> Query:
        """``word`` in the text ``field`` in any of its spellings (``search.query.spellings``);
        the other spelling scores ``TWIN_WEIGHT`` of the spelling typed."""
        typed, *twins = spellings(word)
        parts = [Query.boost_query(self._term(field, typed), boost)]
        parts += [Query.boost_query(self._term(field, w), boost * TWIN_WEIGHT) for w in twins]
        return self._any(parts)

    def _phrase(self, field: str, words: Sequence[str]) -> Query:
        """The phrase ``words`` in ``field`` in any of its spellings (:meth:`_exact_phrase`)."""
        return self._any([self._exact_phrase(field, p) for p in phrase_spellings(words)])

    def _exact_phrase(self, field: str, words: Sequence[str]) -> Query:
        """The phrase ``words`` in ``field``, found through its adjacent pairs where the field's
        pairs are indexed (:data:`PAIRS_OF`).

        The same matches and scores as the phrase query alone: every phrase match in a text
        holds the phrase's pairs (``syllable_pairs`` pairs every two neighbours), and the pairs
        score 0. Tantivy intersects from the shortest postings, so the phrase's positions are
        read only in materials holding its pairs, not in every one holding its syllables
        ("thực dân": ~100 000 of a million materials hold the pair, most hold both syllables):
        measured at 1M, 30 → 6 ms of CPU for the phrase part of a two-syllable phrase search.
        """
        phrase = Query.phrase_query(self.schema, field, list(words))
        pairs_field = PAIRS_OF.get(field.removesuffix("_x"))
        if pairs_field is None or len(words) < 2:
            return phrase
        folded = [fast_fold(w) for w in words]
        # A pair of MAX_TOKEN_CHARS bytes or more is not indexed (the analyzers drop it).
        needed = [
            Query.const_score_query(self._term(pairs_field, a + b), 0.0)
            for a, b in itertools.pairwise(folded)
            if len((a + b).encode("utf-8")) < MAX_TOKEN_CHARS
        ]
        return Query.boolean_query([(Occur.Must, q) for q in [*needed, phrase]]) if needed else phrase

    def _doc_freq(self, searcher: tantivy.Searcher, field: str, word: str) -> int:
        """The documents holding ``word`` in ``field`` in any of its spellings (at most: a text
        with both spellings counts twice)."""
        return min(sum(searcher.doc_freq(field, w) for w in spellings(word)), max(searcher.num_docs, 1))

    def _any(self, queries: list[Query]) -> Query:
        if len(queries) == 1:
            return queries[0]
        return Query.boolean_query([(Occur.Should, q) for q in queries])

    def _token_query(
        self, tok: Token, marks: bool, fuzzy: frozenset[str], fields: Sequence[tuple[str, float]]
    ) -> Query:
        parts = self._token_terms(tok, marks, fields)
        if tok.folded in fuzzy:
            scale = QUESTION_WEIGHT if tok.question else 1.0
            for name, weight in fields:
                if name in ("title", "lesson", "body", "page_text"):
                    fq = Query.fuzzy_term_query(
                        self.schema, name, tok.folded, distance=1, transposition_cost_one=True
                    )
                    parts.append(Query.boost_query(fq, weight * scale * FUZZY_WEIGHT))
        return self._any(parts)

    def _phrase_query(
        self,
        toks: Sequence[Token],
        marks: bool,
        fields: Sequence[tuple[str, float]],
        exact_in: Collection[str] | None = None,
    ) -> Query:
        """The phrase ``toks`` in ``fields``, and with ``marks`` its exact accents too (in the
        fields ``exact_in`` only, when given)."""
        parts: list[Query] = []
        for name, weight in fields:
            parts.append(Query.boost_query(self._phrase(name, [t.folded for t in toks]), weight))
            if marks and (exact_in is None or name in exact_in):
                # Exact accents are the spelling typed (as for single words in ``_token_query``).
                exact = self._exact_phrase(f"{name}_x", [t.exact for t in toks])
                parts.append(Query.boost_query(exact, weight * EXACT_FACTOR))
        return self._any(parts)

    def _clause_query(
        self, clause: Clause, marks: bool, fuzzy: frozenset[str], fields: Sequence[tuple[str, float]]
    ) -> Query:
        if clause.kind == "phrase":
            return self._phrase_query(clause.tokens, marks, fields)
        text = [self._token_query(t, marks, fuzzy, fields) for t in clause.tokens]
        text_q = text[0] if len(text) == 1 else Query.boolean_query([(Occur.Must, q) for q in text])
        if clause.kind != "alias":
            return text_q
        # An alias is a boost, not a filter: the words OR the grade/subject they name.
        alts = [text_q]
        alts += [Query.const_score_query(self._term("grade", g), CURRICULUM_SCORE) for g in clause.grades]
        alts += [Query.const_score_query(self._term("subject", s), CURRICULUM_SCORE) for s in clause.subjects]
        return self._any(alts)

    def _exclusion(self, toks: tuple[Token, ...]) -> Query:
        marks = any(t.exact != t.folded for t in toks)
        parts: list[Query] = []
        for name, _ in TEXT_FIELDS:
            target = f"{name}_x" if marks else name
            values = [t.exact if marks else t.folded for t in toks]
            if len(values) == 1:
                parts.append(self._word(target, values[0]))
            else:
                parts.append(self._phrase(target, values))
        return self._any(parts)

    def _filter_query(self, field: str, values: Sequence[object]) -> Query:
        return self._any([self._term(field, v) for v in values])  # type: ignore[arg-type]

    def _students_only(self) -> list[tuple[Occur, Query]]:
        """``repository.material.audience.is_for_students`` as query clauses: no teacher-only
        type, and not "for teachers but not for students" (also right for documents indexed
        before the audience became the effective one)."""
        teachers_not_students = Query.boolean_query(
            [(Occur.Must, self._term("audience", TEACHER)), (Occur.MustNot, self._term("audience", STUDENT))]
        )
        return [
            (Occur.MustNot, self._filter_query("type", sorted(TEACHER_ONLY_TYPES))),
            (Occur.MustNot, teachers_not_students),
        ]

    def _coverage(self, clause: Clause, idf: dict[str, float]) -> list[Query]:
        """Constant scores for *having* the clause's words at all, weighted by their rarity.

        Summed over the clauses, this is the IDF-weighted share of the query a material covers,
        whatever the field and however often: it makes covering more of the distinct words the
        first ranking criterion, and the field-weighted BM25 clauses order materials that cover
        the same words. An accented word covers half when only its folded form matches.
        """
        if clause.kind == "alias":
            # Belonging to the grade/subject the words name covers all of them.
            # Only half of that for a text that merely contains the words ("lớp 5" in an exam
            # question about a 12th-grader's younger brother).
            weight = COVERAGE_SCORE * max(sum(idf.get(t.folded, 0.0) for t in clause.tokens), 1.0)
            both = [
                Query.const_score_query(self._any(self._named(clause)), weight),
                Query.const_score_query(self._all_words(clause.tokens, exact=False), weight / 2),
            ]
            return [Query.disjunction_max_query(both)]
        return [
            Query.const_score_query(self._all_words((tok,), exact=exact), weight)
            for tok in clause.tokens
            for exact, weight in _cover_weights(tok, idf)
        ]

    def _pair_coverage(self, pair: str, idf: dict[str, float]) -> Query | None:
        """A constant score for having the adjacent pair at all (in a title or a body), weighted
        by its rarity; None for a pair in no material."""
        weight = COVERAGE_SCORE * PAIR_COVERAGE * idf.get(pair, 0.0)
        if weight <= 0:
            return None
        has = self._any([self._term(name, pair) for name, _ in PAIR_WEIGHTS])
        return Query.const_score_query(has, weight)

    def _all_words(self, toks: Sequence[Token], *, exact: bool) -> Query:
        """Every one of ``toks`` in any text field (folded, or with their accents)."""
        suffix = "_x" if exact else ""
        per = [
            self._any([self._word(name + suffix, t.exact if exact else t.folded) for name, _ in TEXT_FIELDS])
            for t in toks
        ]
        return per[0] if len(per) == 1 else Query.boolean_query([(Occur.Must, q) for q in per])

    def _idf(self, searcher: tantivy.Searcher, parsed: ParsedQuery) -> tuple[dict[str, float], int]:
        """BM25's IDF of each folded query word over the materials (its most frequent field; a
        word only the other i/y spelling of which is in the index, as rare as that spelling),
        and the largest document frequency among the words (a lower bound of a broad query's
        matches before filters)."""
        # Every live document, pages included, as BM25 itself counts (deleted ones are not).
        n = max(searcher.num_docs, 1)
        out = {}
        widest = 0
        for tok in parsed.tokens:
            df = max(searcher.doc_freq(name, tok.folded) for name, _ in TEXT_FIELDS)
            if not df:
                df = max(self._doc_freq(searcher, name, tok.folded) for name, _ in TEXT_FIELDS)
            widest = max(widest, df)
            out[tok.folded] = bm25_idf(n, df) if df else 0.0
        for pair in parsed.pairs:
            df = max(searcher.doc_freq(name, pair) for name, _ in PAIR_WEIGHTS)
            out[pair] = bm25_idf(n, df) if df else 0.0
        return out, widest

    def _common(
        self, searcher: tantivy.Searcher, parsed: ParsedQuery, idf: dict[str, float]
    ) -> frozenset[str]:
        """The query's common words and pairs (:data:`COMMON_SHARE`), when leaving them out of
        what makes a material a candidate changes anything and leaves something to match by: a
        selective word, a selective pair, or, when every word and pair is common, the pairs
        themselves (then left out of the returned set: the words side by side make the
        candidates). Else empty (every word makes a candidate)."""
        n = max(searcher.num_docs, 1)
        d = max(COMMON_SHARE * n, COMMON_MIN_DOCS)
        if COMMON_SHARE <= 0 or d >= n or parsed.is_empty or any(c.kind == "phrase" for c in parsed.clauses):
            return frozenset()
        # IDF falls as the document frequency grows: common = an IDF below that of ``d``.
        bound = bm25_idf(n, int(d))
        common = frozenset(k for k, v in idf.items() if 0.0 < v < bound)
        kept = [c for c in parsed.clauses if _selective(c, common)]
        if len(kept) == len(parsed.clauses):
            return frozenset()  # no clause is left out: nothing to restrict
        pairs = [p for p in parsed.pairs if p not in parsed.alias_pairs and idf.get(p, 0.0) > 0]
        if kept or any(p not in common for p in pairs):
            return common
        if pairs:
            # Every word and pair is common ("pháp luật", "của các nước"): the pairs, the words
            # side by side, still make the candidates. Scoring every material that holds one of
            # the words cost 50-90 ms at 1M; the pairs' postings are a fraction of the words'.
            return common - frozenset(pairs)
        return frozenset()

    def _gate(
        self, parsed: ParsedQuery, fuzzy: frozenset[str], common: frozenset[str], *, marks: bool
    ) -> Query:
        """What makes a material a candidate of a query with common words (:meth:`_common`): a
        word that is not common, the grade or subject an alias names, a pair that is not common.
        Scored by those alone (field weights, pair weights): the first pass of a gated search."""
        parts: list[Query] = []
        for clause in parsed.clauses:
            if clause.kind == "alias" and all(t.folded in common for t in clause.tokens):
                # "lớp 5" is in most materials: the grade (subject) itself makes the candidate.
                parts.append(Query.const_score_query(self._any(self._named(clause)), CURRICULUM_SCORE))
            elif _selective(clause, common):
                parts.append(self._clause_query(clause, marks, fuzzy, TEXT_FIELDS))
        for pair in parsed.pairs:
            if pair not in parsed.alias_pairs and pair not in common:
                parts += [Query.boost_query(self._term(name, pair), w) for name, w in PAIR_WEIGHTS]
        return self._any(parts)

    def _text_clauses(
        self,
        parsed: ParsedQuery,
        fuzzy: frozenset[str],
        *,
        scored: bool = True,
        idf: dict[str, float] | None = None,
        common: frozenset[str] = frozenset(),
    ) -> list[tuple[Occur, Query]]:
        """The text part of a search (words, phrases, aliases, pairs, exclusions).

        Built once per search and shared by the hit query or by every facet pass: Tantivy query
        objects are immutable, so only the filters differ between passes. ``scored=False`` gives
        the same *matches* with none of the clauses that only add score, for the aggregation
        passes: no exact-accent twins (an exact match is always a folded match too: both fields
        hold the same words, one folded) and no adjacency pairs (optional clauses).

        ``common`` (:meth:`_common`): the common words and pairs a material cannot be a candidate
        by alone; the scores are the same either way.
        """
        out: list[tuple[Occur, Query]] = []
        marks = parsed.has_marks and scored
        # Ranked partial matching: quoted phrases are required; every other word (and alias) is
        # optional, and a material must match at least one of them unless a phrase matched.
        # Coverage comes from the scores adding up over the distinct words matched.
        optional: list[Query] = []
        for clause in parsed.clauses:
            q = self._clause_query(clause, marks, fuzzy, TEXT_FIELDS)
            if clause.kind == "phrase":
                out.append((Occur.Must, q))
            else:
                optional.append(q)
        if optional and len(out) == 0 and common:
            # Scored 0: every word adds its score through the optional clauses, as in the
            # branch below; the gate only decides which materials are candidates.
            gate = self._gate(parsed, fuzzy, common, marks=False)
            out.append((Occur.Must, Query.const_score_query(gate, 0.0) if scored else gate))
            if scored:
                out.extend((Occur.Should, q) for q in optional)
        elif optional and len(out) == 0:
            out.append((Occur.Must, self._any(optional)))
        elif optional and scored:
            out.extend((Occur.Should, q) for q in optional)
        if scored and idf is not None:
            for clause in parsed.clauses:
                out.extend((Occur.Should, q) for q in self._coverage(clause, idf))
            for pair in parsed.pairs:
                if pair in parsed.alias_pairs:
                    # "toán lớp 5" next to each other is no evidence about a grade-5 lesson.
                    continue
                if (covered := self._pair_coverage(pair, idf)) is not None:
                    out.append((Occur.Should, covered))
        if scored:
            # Exact-accent matches add about EXACT_FACTOR times the folded score of every word;
            # the adjacency evidence of the (folded) pairs grows with them, or an accented query
            # would weigh word counts over word order more than the same query without accents.
            pair_scale = 1.0 + EXACT_FACTOR if parsed.has_marks else 1.0
            for pair in parsed.pairs:
                if pair in parsed.alias_pairs:
                    continue
                for name, weight in PAIR_WEIGHTS:
                    out.append((Occur.Should, Query.boost_query(self._term(name, pair), weight * pair_scale)))
        for toks in parsed.excluded:
            out.append((Occur.MustNot, self._exclusion(toks)))
        return out

    def _build(
        self,
        text: list[tuple[Occur, Query]],
        query: SearchQuery,
        *,
        skip_filter: str | None = None,
        within: Query | None = None,
    ) -> Query:
        return Query.boolean_query(self._scope(text, query, skip_filter=skip_filter, within=within) + text)

    def _scope(
        self,
        text: list[tuple[Occur, Query]],
        query: SearchQuery,
        *,
        skip_filter: str | None = None,
        within: Query | None = None,
    ) -> list[tuple[Occur, Query]]:
        """The clauses :meth:`_build` adds to ``text``: materials only, public ones, the
        audience, the filters (scored 0)."""
        # Only materials hold the fields ``text`` reads (a page document holds its page's text
        # in its own fields, the revision document nothing): with a text clause required, the
        # kind filter would only add an intersection with every material's posting. Scored 0,
        # so that a query scores the same with it or without.
        must: list[tuple[Occur, Query]] = []
        if not any(occur == Occur.Must for occur, _q in text):
            must.append((Occur.Must, Query.const_score_query(self._term("kind", "m"), 0.0)))
        if within is not None:
            # Scored 0: the candidates of a gated search keep the exact query's scores.
            must.append((Occur.Must, Query.const_score_query(within, 0.0)))
        if query.public_only:
            # Every material is public or not: leaving out the few private ones reads their
            # short posting, where requiring the public ones read nearly every material's.
            # (Measured at 1M with the two filters above, a question's first pass: 9.4 → 6.4 ms.)
            must.append((Occur.MustNot, self._term("public", 0)))
        if query.students_only:
            must += self._students_only()
        for field, values in query.filters().items():
            if field != skip_filter:
                must.append((Occur.Must, self._filter_query(field, values)))
        return must

    def _chained(
        self,
        searcher: tantivy.Searcher,
        parsed: ParsedQuery,
        idf: dict[str, float],
        query: SearchQuery,
        within: Query,
        chain: _Chain | None = None,
    ) -> Query | None:
        """The exact query's scores for the few materials ``within`` (a gated search's
        candidates): the materials ``within`` (and the search's filters), required, and the
        exact query's terms as :meth:`_chain` builds them. None when the query has no flat form.
        ``chain``: that chain, when already built (a gated search builds it during its first
        pass).
        """
        if chain is None:
            chain = self._chain(searcher, parsed, idf)
        if chain is None:
            return None
        levels, rare = chain
        clauses = [(Occur.Must, self._build([], query, within=within))]
        if levels is not None:
            clauses.append((Occur.Must, levels))
        return Query.boolean_query(clauses + [(Occur.Should, term) for term in rare])

    def _chain(self, searcher: tantivy.Searcher, parsed: ParsedQuery, idf: dict[str, float]) -> _Chain | None:
        """The terms of :meth:`_flat_terms` as a chain of boolean queries, one term per level:
        each level requires the one below it (at the bottom, every material, scoring 0) and
        adds its one optional term; and the rare terms (:data:`CHAIN_SHARE`), apart.

        Required beside a few candidates, the chain is read by seeking each level's term to
        each candidate in its postings (a skip list), where the exact query's unions of optional
        clauses read a window of 4 096 documents of every clause's postings around each
        candidate (a common word's: thousands of postings). The rare terms go in one union
        beside it: their windows hold few postings. None when the query has no flat form (or
        no term any material holds).
        """
        terms = self._flat_terms(searcher, parsed, idf)
        if not terms:
            return None
        share = CHAIN_SHARE * searcher.num_docs
        levels: Query | None = None
        for term, df in terms:
            if df < 0 or df > share:
                below = levels if levels is not None else Query.const_score_query(Query.all_query(), 0.0)
                levels = Query.boolean_query([(Occur.Must, below), (Occur.Should, term)])
        return levels, [term for term, df in terms if 0 <= df <= share]

    def _flat_terms(
        self,
        searcher: tantivy.Searcher,
        parsed: ParsedQuery,
        idf: dict[str, float],
        *,
        common: frozenset[str] = frozenset(),
    ) -> list[tuple[Query, int]] | None:
        """The exact query of a search without phrases as a flat list of queries whose scores
        add up to its scores, nearly all of them boosted term queries, each with the number of
        materials holding its term (-1: not a term query). A term no material holds is left
        out: it neither matches nor scores.

        The same terms and boosts as the exact query's word and pair clauses (``_token_query``,
        ``_text_clauses``); its word coverage constants (``_coverage``: having a word anywhere
        scores a constant weighted by its rarity) become term queries on the ``cov`` fields,
        where a material holds each distinct word once as a number with no length norm, so a
        term scores the same in every material holding it: boosted to score exactly the
        coverage constant (a pair's stays the constant). A curriculum alias adds its grade and subject
        constants, and keeps its own nested parts where a sum of terms cannot stand for them
        (the words of a two-word alias together, its coverage: the best of two constants).
        None when the search has a part this cannot express (a phrase, an exclusion) or no
        word at all.

        ``common``: the gate of a gated search (:meth:`_gate`) instead, its words and pairs
        that are not common only, scored as the gate scores them (its pairs without the
        exact-accent scale, no coverage for aliases): its first pass.
        """
        if not parsed.clauses or parsed.excluded or any(c.kind == "phrase" for c in parsed.clauses):
            return None
        n = max(searcher.num_docs, 1)
        covers: list[tuple[str, int, float]] = []  # (field, number, the score it must add)
        parts: list[tuple[Query, int]] = []
        marks = parsed.has_marks
        for clause in parsed.clauses:
            if clause.kind == "alias":
                parts += [(q, -1) for q in self._alias_parts(clause, marks, idf, common)]
                continue
            for tok in clause.tokens:
                if tok.folded not in common:
                    for name, word, boost in self._token_specs(tok, marks):
                        if df := searcher.doc_freq(name, word):
                            parts.append((Query.boost_query(self._term(name, word), boost), df))
                    covers += self._token_covers(tok, idf)
        pair_scale = 1.0 + EXACT_FACTOR if marks and not common else 1.0
        for pair in parsed.pairs:
            if pair in common or pair in parsed.alias_pairs:
                # "toán lớp 5" next to each other is no evidence about a grade-5 lesson.
                continue
            for name, weight in PAIR_WEIGHTS:
                if df := searcher.doc_freq(name, pair):
                    parts.append((Query.boost_query(self._term(name, pair), weight * pair_scale), df))
            # A pair's coverage stays the exact query's constant: pairs are rare enough that
            # reading their postings around a candidate costs little (and indexing every
            # distinct pair of a material as a number would double ``cov``).
            if (covered := self._pair_coverage(pair, idf)) is not None:
                parts.append((covered, -1))
        # A cov term scores a unit times its IDF in every material holding it (BM25 with tf 1
        # and no length norm: the unit depends only on the field's average length); boosted to
        # score ``weight``.
        found = [
            (field, number, weight, df, bm25_idf(n, df))
            for field, number, weight in covers
            if (df := searcher.doc_freq(field, number))
        ]
        units: dict[str, float] = {}  # per field: its length average differs
        # The unit read off the rarest term of each field (the shortest postings to search).
        for field, number, _weight, _df, own in sorted(found, key=lambda f: f[3]):
            if field not in units:
                probe = searcher.search(self._term(field, number), 1, count=False).hits
                units[field] = float(probe[0][0]) / own if probe and own > 0 else 0.0
        for field, number, weight, df, own in found:
            if units[field] > 0 and own > 0:
                parts.append(
                    (Query.boost_query(self._term(field, number), weight / (units[field] * own)), df)
                )
        return parts

    def _flat_matches(self, parsed: ParsedQuery, common: frozenset[str] = frozenset()) -> list[Query]:
        """What the union of :meth:`_flat_terms` (with ``common``: the gate) matches, in as few
        terms as possible, for the passes that only count matches (the facets): a word held in
        any text field is one ``cov`` term (the material's distinct words, either i/y spelling
        as one) where the union reads each field, spelling and accent; a pair is its two pair
        terms; a curriculum alias, its words (together) or the grade or subject it names. Only
        for a search :meth:`_flat_terms` has a flat form for.
        """
        out: list[Query] = []
        for clause in parsed.clauses:
            if clause.kind == "alias":
                if not (common and all(t.folded in common for t in clause.tokens)):
                    words = [self._term("cov", _cover_word(t.folded)) for t in clause.tokens]
                    out.append(
                        words[0] if len(words) == 1 else Query.boolean_query([(Occur.Must, w) for w in words])
                    )
                out += self._named(clause)
                continue
            out += [self._term("cov", _cover_word(t.folded)) for t in clause.tokens if t.folded not in common]
        for pair in parsed.pairs:
            if pair not in common and pair not in parsed.alias_pairs:
                out += [self._term(name, pair) for name, _weight in PAIR_WEIGHTS]
        return out

    def _token_terms(
        self, tok: Token, marks: bool, fields: Sequence[tuple[str, float]] = TEXT_FIELDS
    ) -> list[Query]:
        """A word's term queries in ``fields`` (:meth:`_token_specs`; ``_token_query`` adds the
        typo widening)."""
        return [
            Query.boost_query(self._term(name, word), boost)
            for name, word, boost in self._token_specs(tok, marks, fields)
        ]

    @staticmethod
    def _token_specs(
        tok: Token, marks: bool, fields: Sequence[tuple[str, float]] = TEXT_FIELDS
    ) -> list[tuple[str, str, float]]:
        """A word's terms in ``fields`` as (field, term, boost): the spelling typed and its other
        i/y spelling (``_word``), and its exact accents when the query has marks."""
        out = []
        scale = QUESTION_WEIGHT if tok.question else 1.0
        accented = marks and tok.exact != tok.folded
        typed, *twins = spellings(tok.folded)
        for name, weight in fields:
            boost = weight * scale
            out.append((name, typed, boost))
            out += [(name, w, boost * TWIN_WEIGHT) for w in twins]
            if accented:
                out.append((f"{name}_x", tok.exact, boost * EXACT_FACTOR))
        return out

    @staticmethod
    def _token_covers(tok: Token, idf: dict[str, float]) -> list[tuple[str, int, float]]:
        """A word's coverage (``_coverage``) as ``cov`` terms: (field, number, score)."""
        return [
            ("cov_x", _cover_word(tok.exact), weight) if exact else ("cov", _cover_word(tok.folded), weight)
            for exact, weight in _cover_weights(tok, idf)
        ]

    def _named(self, clause: Clause) -> list[Query]:
        """The grades and subjects a curriculum alias names, a term query each."""
        return [self._term("grade", g) for g in clause.grades] + [
            self._term("subject", c) for c in clause.subjects
        ]

    def _alias_parts(
        self, clause: Clause, marks: bool, idf: dict[str, float], common: frozenset[str]
    ) -> list[Query]:
        """A curriculum alias as ``_clause_query`` and ``_coverage`` score it (or, with
        ``common``, as the gate does): the words (a word's terms, or a two-word alias's words
        together as one nested query), a constant for each grade or subject it names, and its
        coverage."""
        named = self._named(clause)
        if common and all(t.folded in common for t in clause.tokens):
            # "lớp 5" is in most materials: the gate takes the grade (subject) alone.
            return [Query.const_score_query(self._any(named), CURRICULUM_SCORE)]
        if len(clause.tokens) == 1:
            out = self._token_terms(clause.tokens[0], marks)
        else:
            words = [self._token_query(t, marks, frozenset(), TEXT_FIELDS) for t in clause.tokens]
            out = [Query.boolean_query([(Occur.Must, q) for q in words])]
        out += [Query.const_score_query(q, CURRICULUM_SCORE) for q in named]
        return out if common else out + self._coverage(clause, idf)

    def _keys(self, keys: Sequence[int]) -> Query:
        """The materials whose ``key`` is one of ``keys``.

        One term query per key, not a term-set query: Tantivy runs a term set as an automaton
        over the field's whole term dictionary (a million keys at 1M materials). Measured at 1M
        with 1 000 keys (the facet sample as it was selected before the value-set columns),
        12 ms of CPU this way against 34 ms with a term set.
        """
        return self._any([self._term("key", k) for k in keys]) if keys else Query.empty_query()

    # --- reading -------------------------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        return self._index.searcher()

    def _later(self, step: Callable[[], _T]) -> Callable[[], _T]:
        """``step`` started on the backend's search threads (:data:`SEARCH_THREADS`), beside
        what the caller does next; returns what waits for its result. A step no thread has
        started by then runs in the caller's thread, so it never waits behind other searches'.
        """
        if SEARCH_THREADS <= 0:
            return step
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="hoclieu-search")
            threads = self._threads
        try:
            future = threads.submit(step)
        except RuntimeError:  # closed meanwhile
            return step

        def result() -> _T:
            return step() if future.cancel() else future.result()

        return result

    @staticmethod
    def _data(doc: tantivy.Document) -> dict[str, Any]:
        blob = doc.get_first("data")
        return json.loads(bytes(blob).decode("utf-8")) if blob else {}

    @staticmethod
    def _body(doc: tantivy.Document) -> str:
        """The stored start of a material's body (its first :data:`STORED_BODY_CHARS`)."""
        blob = doc.get_first("body_head")
        return bytes(blob).decode("utf-8") if blob else ""

    def _snippet(self, snippets: _Snippets, doc: tantivy.Document, field: str) -> str:
        gen = snippets.generator(field)
        if gen is None:
            return ""
        sn = gen.snippet_from_doc(doc)
        ranges = [(r.start, r.end) for r in sn.highlighted()]
        if snippets.keep is not None:
            raw = sn.fragment().encode("utf-8")
            ranges = [(a, b) for a, b in ranges if snippets.keep(raw[a:b].decode("utf-8", "replace"))]
        if not ranges:
            return ""
        return mark(sn.fragment(), ranges)

    def _hit_snippet(self, snippets: _Snippets, doc: tantivy.Document, data: dict[str, Any]) -> str:
        body = self._body(doc)
        if body:
            # Tantivy reads the whole text it is given for a snippet (~1 ms per 20 000
            # characters): it is given the part of the body around the first query word.
            snippet = self._snippet(snippets, tantivy.Document(body=[snippets.around(body)]), "body")
            if snippet:
                return snippet
        for field in ("desc", "lesson", "title"):
            if doc.get_first(field) is None:
                continue
            snippet = self._snippet(snippets, doc, field)
            if snippet:
                return snippet
        return plain(data.get("description") or body)

    def _page_query(self, parsed: ParsedQuery, query: SearchQuery, parents: Query) -> Query:
        text = [
            self._token_query(t, parsed.has_marks, frozenset(), (("page_text", 1.0),)) for t in parsed.tokens
        ]
        clauses: list[tuple[Occur, Query]] = [
            (Occur.Must, self._term("kind", "p")),
            # Scored 0: pages rank by their text alone, whichever material they belong to.
            (Occur.Must, Query.const_score_query(parents, 0.0)),
            (Occur.Must, self._any(text)),
        ]
        if query.public_only:
            clauses.append((Occur.Must, self._term("public", 1)))
        return Query.boolean_query(clauses)

    def _pages(
        self,
        searcher: tantivy.Searcher,
        idents: list[str],
        parsed: ParsedQuery,
        query: SearchQuery,
        snippets: _Snippets,
    ) -> dict[str, list[tuple[int, str]]]:
        """The best :data:`PAGES_PER_HIT` matching pages of each material, from one query.

        The query asks for the top ``4 * PAGES_PER_HIT`` pages per material over all of them. A
        material with at least ``PAGES_PER_HIT`` pages in that window has its true best pages
        there (any page outside ranks below every page inside); only when the window is full
        does a material with fewer get a query of its own, as before batching.
        """
        if not idents or not parsed.tokens:
            return {}
        by_hash = {_hash(i): i for i in idents}
        limit = len(idents) * PAGES_PER_HIT * 4
        parents = self._any([self._term("parent", i) for i in idents])
        res = searcher.search(self._page_query(parsed, query, parents), limit, count=False)
        addrs = [addr for _score, addr in res.hits]
        chosen: dict[str, list[tantivy.DocAddress]] = {i: [] for i in idents}
        for addr, h in zip(addrs, searcher.fast_field_values("parent_h", addrs), strict=True):
            ident = by_hash.get(int(h or 0))
            if ident is not None and len(chosen[ident]) < PAGES_PER_HIT:
                chosen[ident].append(addr)
        if len(addrs) == limit:
            for ident, found in chosen.items():
                if len(found) < PAGES_PER_HIT:
                    own = searcher.search(
                        self._page_query(parsed, query, self._term("parent", ident)),
                        PAGES_PER_HIT,
                        count=False,
                    )
                    chosen[ident] = [addr for _score, addr in own.hits]
        out: dict[str, list[tuple[int, str]]] = {}
        for ident, found in chosen.items():
            pages = []
            for addr in found:
                pdoc = searcher.doc(addr)
                snippet = self._snippet(snippets, pdoc, "page_text") or plain(
                    pdoc.get_first("page_text") or ""
                )
                pages.append((int(pdoc.get_first("page") or 0), snippet))
            out[ident] = pages
        return out

    def _hits(
        self,
        searcher: tantivy.Searcher,
        found: Sequence[tuple[float, tantivy.DocAddress]],
        parsed: ParsedQuery | None,
        query: SearchQuery | None,
        read: dict[tuple[int, int], tantivy.Document] | None = None,
    ) -> list[Hit]:
        """The hits at ``found``; ``read``: stored documents already read (by the second stage),
        by address."""
        read = read or {}
        docs = [(float(score), read.get(_where(addr)) or searcher.doc(addr)) for score, addr in found]
        ids = [str(doc.get_first("id")) for _score, doc in docs]
        with_text = parsed is not None and query is not None and not parsed.is_empty
        snippets = _Snippets(
            searcher, self.schema, parsed.tokens if with_text and parsed else [], highlight_filter(parsed)
        )
        pages = self._pages(searcher, ids, parsed, query, snippets) if with_text and parsed and query else {}
        out = []
        for ident, (score, doc) in zip(ids, docs, strict=True):
            data = self._data(doc)
            snippet = (
                self._hit_snippet(snippets, doc, data) if with_text else plain(data.get("description") or "")
            )
            out.append(
                Hit(
                    id=ident,
                    title=data.get("title", ""),
                    snippet=snippet,
                    grades=list(data.get("grades") or []),
                    subjects=list(data.get("subjects") or []),
                    type=data.get("type"),
                    thumbnail=data.get("thumbnail"),
                    pages=pages.get(ident, []),
                    score=score,
                )
            )
        return out

    def _facets(
        self,
        searcher: tantivy.Searcher,
        text: list[tuple[Occur, Query]],
        query: SearchQuery,
        *,
        sampling: bool = False,
    ) -> Callable[[Sequence[tantivy.DocAddress] | None], Callable[[], dict[str, list[FacetValue]]]]:
        """The facet counts of the matches of ``text``, in as few passes over them as possible,
        started on the search threads (:meth:`_later`): returns what starts the last of them,
        given the sample (below), and returns what waits for them all.

        One aggregation over the query with every filter gives the counts of every facet
        without an active filter; a facet with its own filter gets one more pass without that
        filter, so its counts show what choosing another value gives.

        A broad query (more than :data:`FACET_SAMPLE` matches) has its unfiltered facets
        counted on its sample: its top :data:`FACET_SAMPLE` candidates, read from the
        value-set columns (:meth:`_sampled_facets`), not every match. Those counts are marked
        approximate in the result. With ``sampling`` that pass waits for the sample (known once
        the first pass has ranked the matches; counted beside what follows it) and, given None,
        counts every match then. A facet with its own
        filter active is still counted over every match (it needs the matches without that
        filter).
        """
        active = query.filters()
        facets = fields.facets()
        unfiltered = [f for f in facets if f not in active]
        groups: list[tuple[str | None, list[str]]] = [(f, [f]) for f in facets if f in active]
        if not sampling and unfiltered:
            groups.insert(0, (None, unfiltered))
        passes = [
            self._later(
                functools.partial(
                    self._aggregate, searcher, self._build(text, query, skip_filter=skip), names
                )
            )
            for skip, names in groups
        ]

        def begin(sample: Sequence[tantivy.DocAddress] | None) -> Callable[[], dict[str, list[FacetValue]]]:
            started = list(passes)
            if sampling and unfiltered:
                step: Callable[[], dict[str, list[FacetValue]]] = (
                    functools.partial(self._sampled_facets, searcher, sample, unfiltered)
                    if sample is not None
                    else functools.partial(self._aggregate, searcher, self._build(text, query), unfiltered)
                )
                started.append(self._later(step))

            def finish() -> dict[str, list[FacetValue]]:
                out: dict[str, list[FacetValue]] = {}
                for counted in started:
                    out.update(counted())
                return {n: out.get(n, []) for n in facets}

            return finish

        return begin

    @staticmethod
    def _aggregate(searcher: tantivy.Searcher, q: Query, names: Sequence[str]) -> dict[str, list[FacetValue]]:
        """The counts of the facets ``names`` over every match of ``q``: one aggregation."""
        aggs: dict[str, Any] = {n: {"terms": {"field": n, "size": FACET_SIZE}} for n in names}
        result = searcher.aggregate(q, aggs)
        out = {}
        for n in names:
            buckets = result.get(n, {}).get("buckets", [])
            values = [
                FacetValue(str(int(b["key"]) if n == "grade" else b["key"]), int(b["doc_count"]))
                for b in buckets
            ]
            out[n] = sorted(values, key=lambda v: (-v.count, v.value))
        return out

    def _sampled_facets(
        self, searcher: tantivy.Searcher, sample: Sequence[tantivy.DocAddress], names: Sequence[str]
    ) -> dict[str, list[FacetValue]]:
        """The counts of the facets ``names`` over the materials at ``sample``, as the terms
        aggregation gives them (each code of a material counted once, the :data:`FACET_SIZE`
        most frequent), read from the value-set columns: one number per material and facet,
        whose codes are learnt from the first stored document holding that set and kept.

        Selecting a thousand materials for an aggregation costs a query of a thousand key terms
        (measured at 1M: ~5 ms of CPU, another ~3 for the aggregation); reading the columns of
        the addresses already at hand costs ~0.1 ms per facet.
        """
        addrs = list(sample)
        out: dict[str, list[FacetValue]] = {}
        for name in names:
            numbers = searcher.fast_field_values(_set_field(name), addrs)
            counts: Counter[str] = Counter()
            for number, n in Counter(numbers).items():
                if number is None:
                    continue
                codes = self._value_sets.get((name, int(number)))
                if codes is None:
                    # A set not seen yet: its codes from the first material holding it.
                    first = addrs[numbers.index(number)]
                    codes = self._value_set_codes(searcher, name, int(number), first)
                for code in codes:
                    counts[code] += n
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_SIZE]
            out[name] = [FacetValue(code, count) for code, count in ranked]
        return out

    def _value_set_codes(
        self, searcher: tantivy.Searcher, name: str, number: int, addr: tantivy.DocAddress
    ) -> tuple[str, ...]:
        """The codes whose value set is ``number`` in facet ``name``, read from the stored
        document at ``addr`` and remembered (a set's number never changes)."""
        codes = tuple(sorted({str(v) for v in searcher.doc(addr).get_all(name)}))
        if _value_set(codes) == number:
            if len(self._value_sets) >= VALUE_SETS_KEPT:
                self._value_sets.clear()
            self._value_sets[(name, number)] = codes
        return codes

    def _unknown(self, searcher: tantivy.Searcher, parsed: ParsedQuery) -> frozenset[str]:
        """Long query words found in no text field: only these get typo tolerance, so a rare but
        correct word ("phương" in a small index) is never widened to its neighbours ("chương")."""
        return frozenset(
            t.folded
            for t in parsed.tokens
            if len(t.folded) >= FUZZY_MIN_CHARS
            and not any(self._doc_freq(searcher, name, t.folded) for name, _ in TEXT_FIELDS)
        )

    def _correction(
        self, searcher: tantivy.Searcher, hits: list[tuple[float, tantivy.DocAddress]], parsed: ParsedQuery
    ) -> str | None:
        texts = []
        # Only public text: a word that only a draft holds must not leak into a suggestion,
        # even for a curator's search that lists drafts.
        addrs = [addr for _score, addr in hits]
        public = searcher.fast_field_values("public", addrs) if addrs else []
        for addr in [a for a, p in zip(addrs, public, strict=True) if p == 1][:5]:
            doc = searcher.doc(addr)
            texts += [str(v) for f in ("title", "lesson", "kw", "desc") for v in doc.get_all(f)]
            texts.append(self._body(doc))
        return correction(texts, parsed)

    def _matches(
        self, ask: _Ask, *, limit: int, offset: int, sampled: bool = False
    ) -> tuple[tantivy.SearchResult, Callable[[], dict[str, list[FacetValue]]], bool]:
        """The hits (``limit`` from ``offset``, counted), what gives the facets (counted on the
        search threads meanwhile, :meth:`_facets`) and whether they are counted on the top
        candidates only.
        """
        searcher, parsed, query, fuzzy, common = ask.searcher, ask.parsed, ask.query, ask.fuzzy, ask.common
        flat = (
            self._flat_terms(searcher, parsed, ask.idf) if FLAT_TERMS and not fuzzy and not common else None
        )
        # No phrase, exclusion or typo: one flat union of term queries (the same matches and
        # scores as the nested exact query, read as Tantivy reads a flat union: faster).
        text = (
            [(Occur.Must, self._any([q for q, _df in flat]))]
            if flat
            else self._text_clauses(parsed, fuzzy, idf=ask.idf, common=common)
        )
        facets = None
        if query.with_facets:
            # The facets' passes match what the hits' pass matches (the flat union when it runs),
            # counted beside it.
            match_only = (
                [(Occur.Must, self._any(self._flat_matches(parsed)))]
                if flat
                else self._text_clauses(parsed, fuzzy, scored=False, common=common)
            )
            facets = self._facets(searcher, match_only, query, sampling=sampled)
        # The count comes from the same pass that scores every match for the top results.
        result = self._run(searcher, self._build(text, query), query, parsed, limit, offset)
        if facets is None:
            return result, dict, False
        sample = None
        if sampled and _count(result) > FACET_SAMPLE and offset == 0 and len(result.hits) >= FACET_SAMPLE:
            sample = [addr for _score, addr in result.hits[:FACET_SAMPLE]]
        return result, facets(sample), sample is not None

    def _gated(
        self, ask: _Ask, *, end: int, need: int, sampled: bool
    ) -> (
        tuple[list[tuple[float, tantivy.DocAddress]], int, Callable[[], dict[str, list[FacetValue]]], bool]
        | None
    ):
        """A query with common words (:meth:`_common`), or of quoted phrases only, ranked in two
        passes.

        The first pass scores the candidates by what makes them candidates and counts them:
        for common words, the gate (:meth:`_gate`: rare words and pairs, whose postings are
        short, and their coverage); for phrases, the phrases themselves (found through their
        pairs, :meth:`_exact_phrase`). The exact query then ranks its best
        :data:`GATED_CANDIDATES`, and, for a page beyond them, the other candidates after those.
        Tantivy adds up optional clauses by scanning their postings in windows of 4 096
        documents around each candidate, so the exact query costs the common words' postings
        (a phrase's coverage, pairs and exact accents) in every window that holds a candidate:
        all of them for thousands of candidates, a few percent for fifty.

        Returns the ranked candidates down to ``end`` (ties in a stable order), the candidates'
        count (the total: every match of the phrases; only the candidates with common words),
        what gives the facets (over every candidate, or the first pass's top
        :data:`FACET_SAMPLE` when ``sampled`` and there are more; counted on the search threads
        meanwhile) and whether they are counted on that sample; None when there are fewer
        candidates than ``need``.
        """
        searcher, parsed, query, fuzzy, common = ask.searcher, ask.parsed, ask.query, ask.fuzzy, ask.common
        idf = ask.idf
        gate = (
            self._flat_terms(searcher, parsed, idf, common=common)
            if common and FLAT_TERMS and not fuzzy
            else None
        )
        if gate:
            # No phrase, exclusion or typo: the gate as one flat union (the same matches and
            # scores as the nested one below, read as Tantivy reads a flat union, faster).
            first_text = [(Occur.Must, self._any([q for q, _df in gate]))]
        elif common:
            first_text = [(Occur.Must, self._gate(parsed, fuzzy, common, marks=parsed.has_marks))]
            # The exact query's coverage of what the gate holds: covering more of the rare words
            # and pairs ranks first here too.
            for clause in parsed.clauses:
                if clause.kind == "word" and _selective(clause, common):
                    first_text += [(Occur.Should, q) for q in self._coverage(clause, idf)]
            for pair in parsed.pairs:
                covered = self._pair_coverage(pair, idf)
                if pair not in parsed.alias_pairs and pair not in common and covered is not None:
                    first_text.append((Occur.Should, covered))
        else:
            # Quoted phrases only. Their exact accents score in the short fields alone: an exact
            # match is a folded match too, so the candidates and their count are the same, and
            # the exact pass scores every field's on the candidates. Checking the accented
            # phrase in every description and body holding its folded pairs doubled the cost of
            # a common phrase (measured at 1M, 97 two-syllable phrases: 29.8 → 16.9 ms mean).
            first_text = [
                (Occur.Must, self._phrase_query(c.tokens, parsed.has_marks, TEXT_FIELDS, FIRST_EXACT_FIELDS))
                for c in parsed.clauses
            ]
        first_text += [(Occur.MustNot, self._exclusion(toks)) for toks in parsed.excluded]
        # A page beyond the first GATED_CANDIDATES takes the next ones in the first pass's order.
        groups = -(-end // GATED_CANDIDATES) * GATED_CANDIDATES
        size = max(groups, FACET_SAMPLE if sampled else 0)
        # The chain is built (in Python) on a search thread while Tantivy runs the first pass.
        chain = (
            self._later(functools.partial(self._chain, searcher, parsed, idf))
            if FLAT_TERMS and not fuzzy
            else None
        )
        first = self._run(searcher, self._build(first_text, query), query, parsed, size, 0)
        total = _count(first)
        if total < need:
            return None
        counts: Callable[[], dict[str, list[FacetValue]]] = dict
        sample = None
        if query.with_facets:
            # What the first pass matched: the gate (flat when it ran flat), the phrases. Counted
            # while the candidates are ranked.
            match_only = (
                [(Occur.Must, self._any(self._flat_matches(parsed, common)))]
                if gate
                else self._text_clauses(parsed, fuzzy, scored=False, common=common)
            )
            top = [addr for _score, addr in first.hits[:FACET_SAMPLE]]
            sample = top if sampled and total > FACET_SAMPLE and len(top) >= FACET_SAMPLE else None
            # Started now, the sample's counts run beside the exact ranking.
            counts = self._facets(searcher, match_only, query, sampling=sampled)(sample)
        keys = _key_values(searcher, first.hits)
        head = self._keys(keys[:GATED_CANDIDATES])
        built = chain() if chain else None
        exact = self._chained(searcher, parsed, idf, query, head, chain=built) if built else None
        if exact is None:
            exact = self._build(self._text_clauses(parsed, fuzzy, idf=idf, common=common), query, within=head)
        ranked = self._run(searcher, exact, query, parsed, GATED_CANDIDATES, 0, count=False)
        found = [(float(score), addr) for score, addr in ranked.hits]
        found = self._settle_ties(ask, found, len(found), head)
        if end > len(found) and total > len(found):
            # A page beyond them: the next candidates in the first pass's order, each group of
            # GATED_CANDIDATES ranked exactly within itself, after the groups before it. Every
            # candidate has one place, so paging never skips or repeats a material. (Ranking
            # every other candidate exactly cost 100-280 ms at 1M for a page past the 50th hit.)
            text = self._text_clauses(parsed, fuzzy, idf=idf, common=common)
            for start in range(GATED_CANDIDATES, len(keys), GATED_CANDIDATES):
                if len(found) >= end:
                    break
                group = self._keys(keys[start : start + GATED_CANDIDATES])
                tail = self._build(text, query, within=group)
                ranked = self._run(searcher, tail, query, parsed, GATED_CANDIDATES, 0, count=False)
                after = [(float(score), addr) for score, addr in ranked.hits]
                found += self._settle_ties(ask, after, len(after), group)
        return found, total, counts, sample is not None

    def _second_stage(
        self,
        searcher: tantivy.Searcher,
        found: list[tuple[float, tantivy.DocAddress]],
        parsed: ParsedQuery,
        idf: dict[str, float],
        read: dict[tuple[int, int], tantivy.Document],
        meaning: semantic.Meaning | None,
        depth: int,
        respell: _Respell | None = None,
    ) -> list[tuple[float, tantivy.DocAddress]]:
        """``found`` with its first ``depth`` re-scored by ``search.rerank``, then by what they
        mean when the search is read for its meaning (``search.semantic``; ``meaning`` None: it
        is not); the stored documents it reads are put in ``read`` (the page's hits are among
        them). With ``respell`` (:meth:`_respelled`), a search whose second stage finds no known
        item has its first candidates ranked again with the accents their texts give it, and is
        re-scored from there."""
        top, rest = found[:depth], found[depth:]
        texts = []
        idents = []
        curricula: list[tuple[list[int], list[str]]] = []
        for _score, addr in top:
            doc = read.get(_where(addr))
            if doc is None:
                doc = read[_where(addr)] = searcher.doc(addr)
            idents.append(str(doc.get_first("id")))
            parts = [str(v) for f in ("title", "lesson", "kw", "desc") for v in doc.get_all(f)]
            parts.append(self._body(doc)[: rerank.TEXT_CHARS])
            texts.append("\n".join(parts))
            curricula.append(
                ([int(g) for g in doc.get_all("grade")], [str(v) for v in doc.get_all("subject")])
            )
        second = rerank.second_stage(
            parsed, idf, texts, curricula, unit=COVERAGE_SCORE, question_weight=QUESTION_WEIGHT
        )
        if respell is not None and not second.known_item:
            # Typed without accents and no known item (a title or a sentence looked up by its
            # words keeps the lexical order: passages lost 0.016 of MRR@10 without this gate).
            found = respell(texts, found)
            moved = rerank.reordered([_where(a) for _s, a in top], [_where(a) for _s, a in found[:depth]])
            if moved is None:  # other candidates came up: re-scored from there
                return self._second_stage(searcher, found, parsed, idf, read, meaning, depth)
            top, rest = found[:depth], found[depth:]
            texts = [texts[i] for i in moved]
            idents = [idents[i] for i in moved]
            second = second.reordered(moved)
        if not any(second.extra):
            return found  # nothing to re-score (only curriculum aliases): the first stage's order
        # Only adds: every re-scored candidate stays above the first stage's rest. Ties go by
        # key, as everywhere (``_settle_ties``, the page's own ordering).
        rescored = sorted(
            (
                (score + e, ident, addr)
                for (score, addr), e, ident in zip(top, second.extra, idents, strict=True)
            ),
            key=lambda t: (-t[0], _hash(t[1])),
        )
        if meaning is not None and not second.known_item:
            meant = semantic.reorder(
                [score for score, _ident, _addr in rescored],
                [_stored_bytes(read[_where(addr)], "vec") for _s, _i, addr in rescored],
                # Typed without accents, the candidates' texts help give them back.
                functools.partial(meaning.vector, texts),
            )
            if meant is not None:
                rescored = sorted(
                    ((new, ident, addr) for new, (_s, ident, addr) in zip(meant, rescored, strict=True)),
                    key=lambda t: (-t[0], _hash(t[1])),
                )
        return [(score, addr) for score, _ident, addr in rescored] + rest

    def _respelled(
        self,
        ask: _Ask,
        meaning: semantic.Meaning | None,
        texts: Sequence[str],
        found: list[tuple[float, tantivy.DocAddress]],
    ) -> list[tuple[float, tantivy.DocAddress]]:
        """``found`` with its first ``semantic.RESPELL`` ranked again by the first stage's query
        as if typed with the accents ``texts`` (the first candidates') give it
        (``search.semantic.respelled``); the rest keep their places. Only those candidates are
        scored (a query required beside their keys), not every match again."""
        head = found[: semantic.RESPELL]
        if not head:
            return found
        if meaning is not None:  # read for its meaning too: the same accents give its vector
            accented = meaning.respelled(texts)
        else:
            accented = semantic.respelled(ask.parsed, functools.partial(self._restore, ask.searcher), texts)
        within = self._keys(_key_values(ask.searcher, head))
        # As a gated search ranks its candidates: the terms chained, each seeked to the few
        # candidates (the exact query's unions read 4 096-document windows of every word's
        # postings around each: 26 ms of CPU per question at 250 000 materials, against ~7).
        exact = (
            self._chained(ask.searcher, accented, ask.idf, ask.query, within)
            if FLAT_TERMS and not ask.fuzzy
            else None
        )
        if exact is None:
            text = self._text_clauses(accented, ask.fuzzy, idf=ask.idf, common=ask.common)
            exact = self._build(text, ask.query, within=within)
        ranked = self._run(ask.searcher, exact, ask.query, accented, len(head), 0, count=False)
        again = [(float(score), addr) for score, addr in ranked.hits]
        if len(again) != len(head):  # the index changed under the searcher? never: keep the order
            return found
        # Equal scores by key, as every ranking here; the rest stay below them.
        again = self._settle_ties(ask, again, len(again))
        rest = found[len(head) :]
        lowered = semantic.beneath([score for score, _addr in rest], [score for score, _addr in again])
        return again + [(score, addr) for score, (_old, addr) in zip(lowered, rest, strict=True)]

    def accents(self, text: str) -> str:
        """See ``SearchBackend.accents``. The counts are of the public materials only."""
        return " ".join(self._restore(self._searcher(), words(fold(nfc(text)))))

    def _restore(
        self, searcher: tantivy.Searcher, folded: Sequence[str], near: Local | None = None
    ) -> list[str]:
        def word_counts(terms: Sequence[str]) -> dict[str, int]:
            return {t: searcher.doc_freq(ACCENT_WORDS, t) for t in terms}

        def pair_counts(terms: Sequence[str]) -> dict[str, int]:
            return {t: searcher.doc_freq(ACCENT_PAIRS, t) for t in terms}

        return accents.restore(folded, word_counts, pair_counts, near)

    def _settle_ties(
        self,
        ask: _Ask,
        found: list[tuple[float, tantivy.DocAddress]],
        limit: int,
        within: Query | None = None,
    ) -> list[tuple[float, tantivy.DocAddress]]:
        """The best ``limit`` of ``found`` (which holds one more), equal scores in a stable order.

        Tantivy breaks ties by document address, which depends on how the index was built (the
        segments of a multi-threaded build, an incremental index against a rebuilt one). Equal
        scores are ordered here by the material's ``key`` (a hash of its id), the same on every
        build, so the same materials fill every page. When the cut falls inside a group of equal
        scores ("toán lớp 5": every grade-5 maths material scores alike), the group is collected
        whole first (up to :data:`TIE_CAP` candidates). A page is then ordered by score and key
        (:meth:`_search`): by the order that chose its materials, so a group of equal scores
        cut by a page boundary continues on the next page where it stopped.
        """
        searcher = ask.searcher
        if len(found) > limit and found[limit - 1][0] == found[limit][0] and limit < TIE_CAP:
            text = self._text_clauses(ask.parsed, ask.fuzzy, idf=ask.idf, common=ask.common)
            whole = self._build(text, ask.query, within=within)
            more = self._run(searcher, whole, ask.query, ask.parsed, TIE_CAP, 0, count=False)
            found = [(float(score), addr) for score, addr in more.hits]
        keys = searcher.fast_field_values("key", [addr for _score, addr in found])
        order = sorted(range(len(found)), key=lambda i: (-found[i][0], keys[i] or 0))
        return [found[i] for i in order[:limit]]

    def search(self, query: SearchQuery) -> SearchResult:
        """Run ``query``; see ``SearchBackend.search``.

        Results are cached per index revision: the key holds the normalised query and filters
        and the revision the searcher sees, and the result is computed with that same searcher.
        """
        searcher = self._searcher()
        return self._cached(self._cache, searcher, cache_key(query), lambda: self._search(searcher, query))

    def _cached(
        self, cache: ResultCache[_T], searcher: tantivy.Searcher, what: Hashable, compute: Callable[[], _T]
    ) -> _T:
        """``compute()`` (run with ``searcher``), kept in ``cache`` under ``what`` and the index
        revision ``searcher`` sees: an entry describes one state of the index, so a commit (a
        take-down included) makes new keys and nothing stale is ever served."""
        revision = self.revision(searcher) if cache.enabled else None
        if revision is None:
            return compute()
        key = (revision, what)
        if (kept := cache.get(key)) is not None:
            return kept
        value = compute()
        cache.put(key, value)
        return value

    def _search(self, searcher: tantivy.Searcher, query: SearchQuery) -> SearchResult:
        parsed = analyze(query.text)
        try:
            # With ranked partial matching a typo rarely leaves the result empty ("phuonq trinh"
            # still finds "trình"), so typo tolerance is decided per word: a long word that no
            # text holds is widened to its neighbours one edit away, and only that word.
            unknown = self._unknown(searcher, parsed)
            idf, widest = self._idf(searcher, parsed)
            # Broad: one word alone is in more than FACET_BROAD materials. Only then is the
            # sampling worth collecting FACET_SAMPLE candidates; below it every match is counted.
            sampled = query.with_facets and FACET_SAMPLE > 0 and widest > FACET_BROAD
            # A search read for its meaning is re-ranked deeper (its meaning reaches answers its
            # words rank lower).
            meant = semantic.asked(parsed)
            depth = semantic.DEPTH if meant else rerank.DEPTH
            second = rerank.applies(parsed, query.sort, query.offset, depth)
            # Typed without accents, its first candidates may be ranked again with the accents
            # their texts give it (search.semantic.respelled): on every page, so that the pages
            # beyond the re-ranked ones follow from the same order.
            respell = semantic.respells(parsed) and rerank.applies(parsed, query.sort, 0, depth)
            # Its vector (search.semantic), needed only at the end (~25 ms of CPU): a question's
            # is encoded on a search thread while the first stages run (typed without accents,
            # from when its first candidates are read); any other's only if the second stage
            # finds no known item.
            meaning: semantic.Meaning | None = None
            if second and meant:
                meaning = semantic.Meaning(
                    parsed,
                    functools.partial(self._restore, searcher),
                    self._later if semantic.questioning(parsed) else None,
                )
            end = query.offset + query.size
            relevance = query.sort == "relevance"
            # Scored by the words: one more than needed, whether the cut falls inside a group of
            # equal scores (without words the order is by popularity, as before).
            scored = relevance and not parsed.is_empty
            # One pass collects what every later step needs from the top: the page, the
            # candidates the second stage re-scores, the candidates broad facets are counted on.
            limit = max(
                end,
                depth if second or respell else 0,
                semantic.RESPELL if respell else 0,
                FACET_SAMPLE if sampled else 0,
            )
            need = max(end, depth if second or respell else 0)
            ask = _Ask(searcher, parsed, query, unknown, idf)
            # Common words make no candidate alone.
            ask = dataclasses.replace(ask, common=self._common(searcher, parsed, idf))
            # Quoted phrases only: their matches are found cheaply through the pairs, then
            # ranked in two passes as common words are (the exact query over every match of a
            # common phrase visited ~100 000 materials' clauses).
            phrases = bool(parsed.clauses) and all(c.kind == "phrase" for c in parsed.clauses)
            two_pass = scored and (bool(ask.common) or phrases)
            gated = self._gated(ask, end=end, need=need, sampled=sampled) if two_pass else None
            if gated is None and ask.common and scored:
                # The first pass counted fewer candidates than the page needs: unrestricted.
                ask = dataclasses.replace(ask, common=frozenset())
            cut = False
            if gated is not None:
                found, total, facets, sampled_facets = gated
                # Every match of the phrases is a candidate: their count is exact.
                cut = bool(ask.common)
                approximate = query.with_facets if ask.common else sampled_facets
            else:
                result, facets, approximate = self._matches(
                    ask, limit=limit + scored, offset=0, sampled=sampled
                )
                if ask.common and _count(result) < need:
                    # Fewer candidates than the page needs: the common words' matches count too.
                    ask = dataclasses.replace(ask, common=frozenset())
                    result, facets, approximate = self._matches(
                        ask, limit=limit + scored, offset=0, sampled=sampled
                    )
                total = _count(result)
                if ask.common:
                    cut = True
                    approximate = approximate or query.with_facets
                found = [(key if relevance else 0.0, addr) for key, addr in result.hits]
                if scored:
                    found = self._settle_ties(ask, found, limit)
            suggestion = None
            if unknown and found:
                suggestion = self._correction(searcher, found[:10], parsed)
            read: dict[tuple[int, int], tantivy.Document] = {}
            if second or respell:
                again = functools.partial(self._respelled, ask, meaning) if respell else None
                found = self._second_stage(searcher, found, parsed, idf, read, meaning, depth, again)
            hits = self._hits(searcher, found[query.offset : end], parsed, query, read)
            if scored:
                # Equal scores (alias boosts are constant) would otherwise come in index order,
                # which differs between an incremental index and a rebuilt one.
                hits.sort(key=lambda h: (-h.score, _hash(h.id)))
            # Counted on the search threads while the hits were ranked and read.
            counts = facets()
        except ValueError as exc:
            raise InvalidQuery(f"the search engine rejected the query: {exc}") from exc
        return SearchResult(
            total=total,
            hits=hits,
            facets=counts,
            suggestion=suggestion,
            # Cut to the candidates: at least this many match (the candidates that do).
            total_approximate=cut,
            facets_approximate=approximate,
        )

    def _run(
        self,
        searcher: tantivy.Searcher,
        q: Query,
        query: SearchQuery,
        parsed: ParsedQuery,
        limit: int,
        offset: int,
        *,
        count: bool = True,
    ) -> tantivy.SearchResult:
        order = {"newest": "created", "popular": "popularity"}.get(query.sort)
        if order is None and parsed.is_empty:
            # Without words every score is equal: show the most used materials first.
            order = "popularity"
        if order:
            return searcher.search(q, limit, count=count, order_by_field=order, offset=offset)
        return searcher.search(q, limit, count=count, offset=offset)

    def suggest(self, prefix: str, *, size: int = 8) -> list[Suggestion]:
        """Completions over public titles, lessons and subjects; see ``SearchBackend.suggest``.

        Remembered as search results are (:meth:`search`): per index revision and what the
        completions depend on (:func:`suggestion_key`)."""
        searcher = self._searcher()
        what = suggestion_key(prefix, size)
        # A copy: the list kept is never handed out.
        found = self._cached(self._suggested, searcher, what, lambda: self._suggest(searcher, prefix, size))
        return list(found)

    def _suggest(self, searcher: tantivy.Searcher, prefix: str, size: int) -> list[Suggestion]:
        public = [(Occur.Must, self._term("kind", "m")), (Occur.Must, self._term("public", 1))]

        def candidates(field: str, folded: list[str], limit: int) -> Iterable[tuple[str, dict[str, Any]]]:
            clauses = public + [(Occur.Must, self._word(field, f)) for f in folded[:-1]]
            # Folded tokens are alphanumeric only, and escaped: the regex cannot carry user syntax.
            starts = "|".join(_regex_escape(s) for s in spellings(folded[-1]))
            clauses.append((Occur.Must, Query.regex_query(self.schema, field, f"(?:{starts}).*")))
            res = searcher.search(
                Query.boolean_query(clauses), limit, count=False, order_by_field="popularity"
            )
            for _key, addr in res.hits:
                doc = searcher.doc(addr)
                yield str(doc.get_first("id")), self._data(doc)

        def has_subject(code: str) -> bool:
            q = Query.boolean_query([*public, (Occur.Must, self._term("subject", code))])
            return bool(_count(searcher.search(q, 1, count=True)))

        return suggestions(prefix, size, candidates, has_subject)

    def related(self, ident: str, *, size: int = 6, students_only: bool = False) -> list[Hit]:
        """Public materials sharing words, subjects and grades with ``ident`` (itself excluded).

        Remembered as search results are (:meth:`search`), per index revision: a material page
        shows them on every visit.

        Raises:
            NotFound: when ``ident`` is not in the index (or not public).
        """
        searcher = self._searcher()
        what = (ident, size, students_only)
        # A copy: the list kept is never handed out.
        found = self._cached(
            self._related, searcher, what, lambda: self._related_to(searcher, ident, size, students_only)
        )
        return list(found)

    def _related_to(self, searcher: tantivy.Searcher, ident: str, size: int, students: bool) -> list[Hit]:
        src = searcher.search(
            Query.boolean_query(
                [
                    (Occur.Must, self._term("kind", "m")),
                    (Occur.Must, self._term("id", ident)),
                    (Occur.Must, self._term("public", 1)),
                ]
            ),
            1,
        )
        if not src.hits:
            raise NotFound(f"material {ident} is not in the public search index")
        doc = searcher.doc(src.hits[0][1])
        data = self._data(doc)
        text = " ".join(
            [
                data.get("title", ""),
                data.get("lesson", ""),
                data.get("chapter", ""),
                *(doc.get_all("kw") or []),
            ]
        )
        terms = list(dict.fromkeys(fold(w) for w in words(text) if len(w) > 1))[:24]
        fields = (("title", 3.0), ("lesson", 2.0), ("kw", 2.0), ("desc", 1.0))
        # Words most titles hold ("bài", "phiếu", "lớp") make no candidate, as in a search
        # (:meth:`_common`): at a million materials, scoring every material that holds one
        # cost 130-320 ms per material page.
        n = max(searcher.num_docs, 1)
        most = max(COMMON_SHARE * n, COMMON_MIN_DOCS)
        selective = [t for t in terms if max(self._doc_freq(searcher, f, t) for f, _w in fields) <= most]
        subjects, grades = data.get("subjects") or [], data.get("grades") or []
        curriculum = [Query.const_score_query(self._term("subject", s), ALIAS_SCORE) for s in subjects]
        curriculum += [Query.const_score_query(self._term("grade", g), ALIAS_SCORE / 2) for g in grades]
        # Public materials other than this one (as every search filters them), scored 0.
        others = [(Occur.MustNot, self._term("id", ident))]
        scope = self._scope(others, SearchQuery("", students_only=students)) + others
        limit = min(size, 50)
        shared = [self._word(f, t, w) for t in selective for f, w in fields]
        if len(selective) == len(terms):
            # No common word (always below COMMON_MIN_DOCS materials): sharing a word, the
            # subject or a grade makes a candidate, and every one of them adds to its score.
            if not shared and not curriculum:
                return []
            q = Query.boolean_query([*scope, (Occur.Must, self._any(shared + curriculum))])
            return self._hits(searcher, searcher.search(q, limit, count=False).hits, None, None)
        # Then the candidates come in tiers, each filling what the one before left: sharing a
        # selective word (ranked as above), the subject and a grade together (the most used
        # first), the subject or a grade.
        tiers: list[tuple[Query, str | None]] = []
        if shared:
            scored = [(Occur.Must, self._any(shared)), *((Occur.Should, c) for c in curriculum)]
            tiers.append((Query.boolean_query(scored), None))
        if subjects and grades:
            both = [(Occur.Must, self._any([self._term("subject", x) for x in subjects]))]
            both.append((Occur.Must, self._any([self._term("grade", g) for g in grades])))
            tiers.append((Query.boolean_query(both), "popularity"))
        if curriculum:
            tiers.append((self._any(curriculum), None))
        found: list[tuple[Any, tantivy.DocAddress]] = []
        for tier, order in tiers:
            if len(found) >= limit:
                break
            seen = [(Occur.MustNot, self._keys(_key_values(searcher, found)))] if found else []
            q = Query.boolean_query([*scope, (Occur.Must, tier), *seen])
            more = limit - len(found)
            if order:
                found += searcher.search(q, more, count=False, order_by_field=order).hits
            else:
                found += searcher.search(q, more, count=False).hits
        return self._hits(searcher, found, None, None)

    def browse(self, *, students_only: bool = False) -> BrowseCounts:
        """Public materials per grade and per curriculum path; see ``SearchBackend.browse``.

        Remembered per index revision (:meth:`_per_revision`): the portal's home and grade
        pages show it on every visit, and it counts every public material (~30 ms at a
        million). The counts returned are shared: read them, never change them.
        """
        searcher = self._searcher()
        return self._per_revision(
            searcher, ("browse", students_only), functools.partial(self._browse, searcher, students_only)
        )

    def _browse(self, searcher: tantivy.Searcher, students_only: bool) -> BrowseCounts:
        q = self._build([], SearchQuery("", public_only=True, students_only=students_only))
        aggs = {
            "grade": {"terms": {"field": "grade", "size": 100}},
            "browse": {"terms": {"field": "browse", "size": BROWSE_SIZE}},
            # Every material has one key: its count is the number of materials, in the same
            # pass (a second pass to count them cost ~15 ms at a million).
            "total": {"value_count": {"field": "key"}},
        }
        result = searcher.aggregate(q, aggs)
        grades = {int(b["key"]): int(b["doc_count"]) for b in result.get("grade", {}).get("buckets", [])}
        paths: dict[tuple[int, str, str, int, str, str], int] = {}
        for b in result.get("browse", {}).get("buckets", []):
            parsed = parse_path(str(b["key"]))
            if parsed is not None:
                paths[parsed] = int(b["doc_count"])
        total = int(result.get("total", {}).get("value") or 0)
        return BrowseCounts(total=total, grades=grades, paths=paths)

    def count(self, public_only: bool = False) -> int:
        """Number of indexed materials (pages not counted).

        Remembered per index revision (:meth:`_per_revision`): counting visits every material
        (~15-25 ms at a million), and the health checks that report it are polled over and
        over.
        """
        searcher = self._searcher()

        def counted() -> int:
            q = self._build([], SearchQuery("", public_only=public_only))
            return _count(searcher.search(q, 1, count=True))

        return self._per_revision(searcher, ("count", public_only), counted)

    def _per_revision(self, searcher: tantivy.Searcher, what: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, remembered for the index revision ``searcher`` sees: every commit
        writes a new revision (:meth:`_commit`), so a remembered value is never stale. Only
        the newest revision's values are kept (an older one is never seen again)."""
        revision = self.revision(searcher)
        if revision is None:
            return compute()
        key = (revision, what)
        if key in (known := self._remembered):
            return cast(_T, known[key])
        value = compute()
        kept = {k: v for k, v in known.items() if k[0] == revision}
        self._remembered = {**kept, key: value}
        return value

    def versions(self) -> dict[str, int]:
        """``{material id: indexed version}`` for every indexed material (for ``search-check``)."""
        searcher = self._searcher()
        n = searcher.num_docs
        if n == 0:
            return {}
        # Ordering by the ``id`` fast field hands back each id as the sort key, and the versions
        # come from their fast field: no stored document is read (1M materials in ~1 s, not ~1 min).
        res = searcher.search(self._term("kind", "m"), n, count=False, order_by_field="id")
        addrs = [addr for _key, addr in res.hits]
        versions = searcher.fast_field_values("version", addrs)
        return {str(key): int(v or 0) for (key, _a), v in zip(res.hits, versions, strict=True)}


def _delete_everything(writer: tantivy.IndexWriter) -> None:
    """Delete every document (visible at the next commit), in order with the writer's other
    operations.

    Not ``delete_all_documents``: it rewinds the writer's operation stamps to those of the
    writer's first commit (Tantivy never updates that stamp, tantivy#2666), so a delete queued
    by an earlier commit (a material indexed again, the revision document) carries a later
    stamp than the documents added after the rewind, and can delete them in the next commit.
    Measured: ``hoclieu reindex`` after incremental updates lost 2 of 8 materials about once in
    25 runs on a busy disk (``tests/search/test_service.py``, the reindex projection test).
    A delete by a query that matches everything takes the next stamp like any other delete.
    """
    writer.delete_documents_by_query(Query.all_query())


def _stored_bytes(doc: tantivy.Document, field: str) -> bytes | None:
    value = doc.get_first(field)
    return bytes(value) if value else None


def _where(addr: tantivy.DocAddress) -> tuple[int, int]:
    """A document address as a dictionary key (``DocAddress`` is not hashable)."""
    return addr.segment_ord, addr.doc


def _key_values(searcher: tantivy.Searcher, hits: Sequence[tuple[Any, tantivy.DocAddress]]) -> list[int]:
    """The ``key`` (id hash) of each hit, from the fast column (no stored document read)."""
    addrs = [addr for _score, addr in hits]
    return [int(k) for k in searcher.fast_field_values("key", addrs) if k is not None] if addrs else []


def _set_field(name: str) -> str:
    """The value-set column of the facet ``name``."""
    return f"{name}_set"


def _value_set(codes: Iterable[object]) -> int:
    """A set of codes as one signed 64-bit number (the same for the same codes in any order)."""
    return _hash("\x1f".join(sorted({str(c) for c in codes})))


def _cover_weights(tok: Token, idf: dict[str, float]) -> list[tuple[bool, float]]:
    """What having a word anywhere scores (``_coverage``), weighted by its rarity: (whether
    with its accents, score); an accented word covers half when only its folded form is there."""
    weight = COVERAGE_SCORE * idf.get(tok.folded, 0.0) * (QUESTION_WEIGHT if tok.question else 1.0)
    if weight <= 0:
        return []
    if tok.exact != tok.folded:
        return [(False, weight / 2), (True, weight / 2)]
    return [(False, weight)]


def _selective(clause: Clause, common: frozenset[str]) -> bool:
    """Whether matching ``clause`` makes a material a candidate (see :data:`COMMON_SHARE`)."""
    return clause.kind == "alias" or any(t.folded not in common for t in clause.tokens)


#: Words whose ``cov`` numbers are remembered (a hash each; the memory starts over beyond it:
#: a few tens of MB at most, in an indexer or a web process). Indexing looks up hundreds per
#: material; the vocabulary repeats (Vietnamese has some 7 000 syllables in use).
COVER_NUMBERS_KEPT = 200_000
_cover_numbers: dict[str, int] = {}


def _cover_word(word: str) -> int:
    """The ``cov`` (``cov_x``) number of a word: of its first i/y spelling, so either spelling
    covers the word as the exact query's ``_word`` does."""
    number = _cover_numbers.get(word)
    if number is None:
        number = _hash(min(i_y_spellings(word)))
        # A word longer than the analyzers keep is not remembered: a hostile text's long words
        # would fill the memory (``COVER_NUMBERS_KEPT`` counts words, not characters).
        if len(word) <= MAX_TOKEN_CHARS:
            if len(_cover_numbers) >= COVER_NUMBERS_KEPT:
                _cover_numbers.clear()
            _cover_numbers[word] = number
    return number


def _cover_words(words: Iterable[str]) -> set[int]:
    """The ``cov`` numbers of ``words``: those remembered in one pass (indexing looks up
    hundreds per material), the others computed (and remembered) one by one."""
    words = list(words)
    out = set(map(_cover_numbers.get, words))
    if None in out:
        out.discard(None)
        out.update(_cover_word(w) for w in words if w not in _cover_numbers)
    return cast(set[int], out)


def _hash(ident: str) -> int:
    """A material id (or any text) as a signed 64-bit number (the ``key`` and ``parent_h``
    fast fields, the facet value sets)."""
    return int.from_bytes(hashlib.blake2b(ident.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


class _Snippets:
    """Snippet generators of one search, one per field, created on first use and reused for
    every hit (the highlight query is the same for all of them)."""

    def __init__(
        self,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        tokens: Sequence[Token],
        keep: Callable[[str], bool] | None = None,
    ) -> None:
        self.keep = keep
        self._searcher = searcher
        self._schema = schema
        self._folded = list(dict.fromkeys(s for t in tokens for s in spellings(t.folded)))
        self._made: dict[str, tantivy.SnippetGenerator | None] = {}
        # The folded words, searched in the folded text: a pattern of every accent and case of
        # each word instead (no folding) searched a text faster but took 8-9 ms to compile for
        # a question (sre builds each character class), every search.
        words = "|".join(re.escape(w) for w in sorted(self._folded, key=len, reverse=True))
        self._first = re.compile(rf"(?<![^\W_])(?:{words})(?![^\W_])") if words else None

    def around(self, text: str) -> str:
        """The part of ``text`` (NFC) a snippet is cut from: :data:`SNIPPET_WINDOW` characters
        from a little before the first of the query's words (from the start when none is
        there), starting and ending at a whitespace so that no word is cut in two (the query
        word itself starts a word: the window never starts past it)."""
        if len(text) <= SNIPPET_WINDOW:
            return text
        found = None
        if self._first is not None:
            # The first query word is usually near the start: looked for there first. Folding
            # and searching a whole stored body (20 000 characters) took 2.5 ms, for each of a
            # page's hits (bench/search_long_texts.py: 3 words 60.8 → 31.3 ms p50 with this and the
            # second stage's reading). A word found there, ending before the cut, is the first
            # in the whole text too (an earlier one would overlap it).
            head = text[:SNIPPET_WINDOW]
            found = self._first.search(fold_aligned(head))
            if found is None or found.end() >= len(head):
                found = self._first.search(fold_aligned(text))
        start = 0
        if found:
            start = max(0, found.start() - SNIPPET_CHARS // 2)
            while 0 < start < found.start() and not text[start - 1].isspace():
                start += 1
        end = start + SNIPPET_WINDOW
        if end < len(text):
            cut = end
            while cut > start and not text[cut].isspace():
                cut -= 1
            end = cut if cut > start else end
        return text[start:end]

    def generator(self, field: str) -> tantivy.SnippetGenerator | None:
        """The generator highlighting the query's folded words in ``field`` (None: no words)."""
        if field not in self._made:
            gen = None
            if self._folded:
                terms = [Query.term_query(self._schema, field, t) for t in self._folded]
                hl = terms[0] if len(terms) == 1 else Query.boolean_query([(Occur.Should, q) for q in terms])
                gen = tantivy.SnippetGenerator.create(self._searcher, hl, self._schema, field)
                gen.set_max_num_chars(SNIPPET_CHARS)
            self._made[field] = gen
        return self._made[field]


def _count(result: tantivy.SearchResult) -> int:
    # ``SearchResult.count`` exists at runtime (None when count=False); the bundled stub omits it.
    return int(getattr(result, "count", None) or 0)


def _regex_escape(text: str) -> str:
    # Tantivy regexes follow the Rust regex crate; escape everything that is not alphanumeric.
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)
