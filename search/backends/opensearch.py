"""OpenSearch backend (the scale option), via ``opensearch-py``.

Same document model as the embedded backend (``search/backends/embedded.py``): material documents
(``kind: "m"``) and page documents (``kind: "p"``, ``parent``) in one index; every text field is
folded (``vi_fold``: lowercase + asciifolding + an explicit đ→d char filter) with an exact
``.x`` sub-field (``vi_exact``: lowercase, accents kept). The mapping lives in
``search/mappings/opensearch/material-v1.1.0.json`` and is also installed as an index template.

Indices are versioned and reached through an alias: ``hoclieu-materials`` →
``hoclieu-materials-v1.1.0-<timestamp>``. :meth:`OpenSearchBackend.reindex` builds a fresh index,
bulk-loads it, then moves the alias in one ``_aliases`` call (atomic for readers) and drops the
old index: no downtime.

Queries are built as DSL dicts from ``search.query.ParsedQuery``; no user text ever reaches
``query_string``. Engine errors become ``InvalidQuery`` (request problems) or
``RepositoryError`` (the cluster is unreachable).
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import resources
from typing import Any, TypeVar

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError, OpenSearchException, RequestError, TransportError

from repository import fields
from repository.errors import InvalidQuery, NotFound, RepositoryError
from repository.material.audience import STUDENT, TEACHER, TEACHER_ONLY_TYPES
from repository.text import fold, nfc
from search import rerank, semantic
from search.accents import Local, accent_pairs, restore
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
    TOTAL_BOUND,
    TWIN_WEIGHT,
    correction,
    highlight_filter,
    phrase_spellings,
    plain,
    suggestions,
)
from search.documents import SearchDocument, codes_of
from search.query import (
    FUZZY_MIN_CHARS,
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
    parse_path,
    spellings,
    syllable_pairs,
    words,
)

MAPPING_VERSION = "1.3.0"
DEFAULT_ALIAS = "hoclieu-materials"
#: Distinct curriculum paths counted by ``browse`` (OpenSearch's default bucket limit is 65 535).
BROWSE_SIZE = 60_000
# Highlight markers no document text contains (Unicode private use): the fragment is escaped
# first, then they become <mark>, so a "<mark>" or "<script>" typed in a document stays text.
_PRE, _POST = "\ue000", "\ue001"
#: ``repository.material.audience.is_for_students`` as a filter: no teacher-only type, and not
#: "for teachers but not for students" (also right for documents indexed before the audience
#: became the effective one).
_STUDENTS_ONLY: dict[str, Any] = {
    "bool": {
        "must_not": [
            {"terms": {"type": sorted(TEACHER_ONLY_TYPES)}},
            {
                "bool": {
                    "filter": [{"term": {"audience": TEACHER}}],
                    "must_not": [{"term": {"audience": STUDENT}}],
                }
            },
        ]
    }
}

_SOURCE = ["id", "data"]


def load_mapping() -> dict[str, Any]:
    """The index body (settings + mappings) of the current mapping version."""
    path = resources.files("search") / "mappings" / "opensearch" / f"material-v{MAPPING_VERSION}.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    properties = body["mappings"]["properties"]
    for f in fields.FIELDS:  # a vocabulary field newer than the mapping file: exact codes
        properties.setdefault(f.name, {"type": "integer" if f.integer else "keyword"})
    return {k: v for k, v in body.items() if not k.startswith("_")}


#: Questions' vectors are encoded here (search.semantic) while OpenSearch answers the search.
_ENCODING = ThreadPoolExecutor(2, thread_name_prefix="hoclieu-encode")
_T = TypeVar("_T")


def _started(step: Callable[[], _T]) -> Callable[[], _T]:
    """``step`` started on an encoding thread; what it returns waits for its result."""
    return _ENCODING.submit(step).result


def _vector(value: Any) -> bytes | None:
    """A stored vector (base64 in ``_source``) as bytes; None when absent or not base64."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _codes(doc: SearchDocument) -> dict[str, Any]:
    """The vocabulary fields' values as the mapping stores them: a list, or one code (or None)
    for a field that holds one code."""
    out: dict[str, Any] = {}
    for name, codes in codes_of(doc).items():
        f = fields.vocabulary_field(name)
        out[name] = list(codes) if f.many else (codes[0] if codes else None)
    return out


_MARKED = re.compile(f"{_PRE}(.*?){_POST}", re.DOTALL)


def _highlighted(fragment: str, keep: Callable[[str], bool] | None = None) -> str:
    """Escape ``fragment`` and turn the highlight markers into <mark>, dropping the marks around
    words ``keep`` refuses (``_common.highlight_filter``: folded-only matches of accented words)."""
    if keep is not None:
        fragment = _MARKED.sub(lambda m: m.group(0) if keep(m.group(1)) else m.group(1), fragment)
    return html.escape(fragment).replace(_PRE, "<mark>").replace(_POST, "</mark>")


class OpenSearchBackend:
    """``SearchBackend`` on an OpenSearch cluster.

    Args:
        url: cluster URL, e.g. ``http://127.0.0.1:9200`` (``HOCLIEU_OPENSEARCH_URL``).
        alias: the alias searches go through; indices are ``<alias>-v<mapping>-<timestamp>``.
        client: an existing client (tests, custom auth) instead of ``url``.
    """

    name = "opensearch"

    def __init__(
        self, url: str | None = None, *, alias: str = DEFAULT_ALIAS, client: OpenSearch | None = None
    ) -> None:
        if client is None and not url:
            raise RepositoryError("OpenSearchBackend needs a url or a client")
        self.client = client or OpenSearch(hosts=[url], timeout=30)
        self.alias = alias
        self._ensure()

    # --- index management ----------------------------------------------------------------------

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RequestError as exc:
            raise InvalidQuery(f"the search engine rejected the request: {exc.error}") from exc
        except NotFoundError:
            raise
        except (TransportError, OpenSearchException) as exc:
            raise RepositoryError(f"the search cluster failed: {exc}") from exc

    def _new_index_name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        return f"{self.alias}-v{MAPPING_VERSION}-{stamp}"

    def _ensure(self) -> None:
        """Install the template and create the first index behind the alias when absent."""
        body = load_mapping()
        template = {
            "index_patterns": [f"{self.alias}-v{MAPPING_VERSION}-*"],
            "template": body,
            "priority": 100,
        }
        try:
            self.client.indices.put_index_template(name=f"{self.alias}-v{MAPPING_VERSION}", body=template)
        except RequestError:
            # Stand-ins without composable templates still get the mapping on each create below.
            pass
        except (TransportError, OpenSearchException) as exc:
            raise RepositoryError(f"the search cluster is unreachable: {exc}") from exc
        if not self._call(self.client.indices.exists_alias, name=self.alias):
            index = self._new_index_name()
            self._call(self.client.indices.create, index=index, body=body)
            self._call(
                self.client.indices.update_aliases,
                body={"actions": [{"add": {"index": index, "alias": self.alias}}]},
            )

    def _indices(self) -> list[str]:
        try:
            return sorted(self._call(self.client.indices.get_alias, name=self.alias))
        except NotFoundError:
            return []

    # --- writing -------------------------------------------------------------------------------

    def _sources(self, doc: SearchDocument) -> list[dict[str, Any]]:
        title_group = [doc.title, doc.lesson, doc.chapter, *doc.keywords]
        m: dict[str, Any] = {
            "kind": "m",
            "id": doc.id,
            "owner": doc.owner_id,
            "public": doc.public,
            "title": nfc(doc.title),
            "lesson": [v for v in (doc.lesson, doc.chapter) if v],
            "kw": doc.keywords,
            "desc": doc.description,
            "body": doc.body,
            "pairs_t": " ".join(p for t in title_group for p in syllable_pairs(t)),
            "pairs_b": " ".join(syllable_pairs(doc.description + "\n" + doc.body)),
            "pairs_x": " ".join(
                sorted(accent_pairs(nfc(t) for t in (*title_group, doc.description, doc.body) if t))
            ),
            "vec": base64.b64encode(doc.vector).decode("ascii") if doc.vector else None,
            **_codes(doc),
            "created": doc.created_at.astimezone(UTC).isoformat(),
            "popularity": doc.popularity,
            "version": doc.version,
            "browse": browse_paths(doc.grades, doc.subjects, doc.series, doc.volume, doc.chapter, doc.lesson),
            "data": {
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
            },
        }
        out = [m]
        for number, text in doc.pages:
            out.append(
                {
                    "kind": "p",
                    "id": f"{doc.id}#p{number}",
                    "parent": doc.id,
                    "page": number,
                    "public": doc.public,
                    "page_text": text,
                }
            )
        return out

    def _actions(self, index: str, docs: Iterable[SearchDocument]) -> Iterator[dict[str, Any]]:
        for doc in docs:
            # Drop stale pages first: a new version may have fewer pages.
            for src in self._sources(doc):
                yield {"_op_type": "index", "_index": index, "_id": src["id"], "_source": src}

    def _bulk(self, index: str, docs: list[SearchDocument]) -> int:
        try:
            _ok, errors = helpers.bulk(
                self.client, self._actions(index, docs), raise_on_error=False, chunk_size=500
            )
        except (TransportError, OpenSearchException) as exc:
            raise RepositoryError(f"bulk indexing failed: {exc}") from exc
        if errors:
            raise RepositoryError(f"bulk indexing failed for {len(errors)} documents: {errors[:3]}")
        return len(docs)

    def index(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace ``docs`` (their pages too). Durable on return; visible after ``refresh``."""
        batch = list(docs)
        if not batch:
            return 0
        self._delete_pages([d.id for d in batch])
        return self._bulk(self.alias, batch)

    def _delete_pages(self, ids: list[str]) -> None:
        self._call(
            self.client.delete_by_query,
            index=self.alias,
            body={"query": {"bool": {"filter": [{"term": {"kind": "p"}}, {"terms": {"parent": ids}}]}}},
            params={"refresh": "true", "conflicts": "proceed"},
        )

    def delete(self, ids: Iterable[str]) -> None:
        """Remove materials and their pages; unknown ids are ignored."""
        ids = list(ids)
        if not ids:
            return
        self._call(
            self.client.delete_by_query,
            index=self.alias,
            body={
                "query": {
                    "bool": {
                        "should": [{"terms": {"id": ids}}, {"terms": {"parent": ids}}],
                        "minimum_should_match": 1,
                    }
                }
            },
            params={"refresh": "true", "conflicts": "proceed"},
        )

    def reindex(self, docs: Iterable[SearchDocument]) -> int:
        """Build a new versioned index from ``docs`` and swap the alias to it atomically."""
        old = self._indices()
        new = self._new_index_name()
        self._call(self.client.indices.create, index=new, body=load_mapping())
        n = 0
        batch: list[SearchDocument] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= 500:
                n += self._bulk(new, batch)
                batch = []
        n += self._bulk(new, batch) if batch else 0
        self._call(self.client.indices.refresh, index=new)
        actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": self.alias}} for i in old]
        actions.append({"add": {"index": new, "alias": self.alias}})
        self._call(self.client.indices.update_aliases, body={"actions": actions})
        for index in old:
            self._call(self.client.indices.delete, index=index)
        return n

    def clear(self) -> None:
        """Remove every document (the index and alias stay)."""
        self._call(
            self.client.delete_by_query,
            index=self.alias,
            body={"query": {"match_all": {}}},
            params={"refresh": "true"},
        )

    def refresh(self) -> None:
        """Make every indexed change visible to searches."""
        self._call(self.client.indices.refresh, index=self.alias)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    # --- query building ------------------------------------------------------------------------

    @staticmethod
    def _any(queries: list[dict[str, Any]]) -> dict[str, Any]:
        if len(queries) == 1:
            return queries[0]
        return {"bool": {"should": queries, "minimum_should_match": 1}}

    def _word(self, field: str, word: str, boost: float = 1.0) -> dict[str, Any]:
        """``word`` in the text ``field`` in any of its spellings (``search.query.spellings``);
        the other spelling scores ``TWIN_WEIGHT`` of the spelling typed."""
        typed, *twins = spellings(word)
        parts = [{"term": {field: {"value": typed, "boost": boost}}}]
        parts += [{"term": {field: {"value": w, "boost": boost * TWIN_WEIGHT}}} for w in twins]
        return self._any(parts)

    def _phrase(self, field: str, words: Sequence[str], boost: float) -> dict[str, Any]:
        """The phrase ``words`` in ``field`` in any of its spellings."""
        return self._any(
            [
                {"match_phrase": {field: {"query": " ".join(p), "boost": boost}}}
                for p in phrase_spellings(words)
            ]
        )

    def _token_query(
        self, tok: Token, marks: bool, fuzzy: frozenset[str], fields: Iterable[tuple[str, float]]
    ) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        scale = QUESTION_WEIGHT if tok.question else 1.0
        for name, weight in fields:
            weight *= scale
            parts.append(self._word(name, tok.folded, weight))
            if marks and tok.exact != tok.folded:
                # Exact accents are the spelling typed: the other spelling has only its folded match.
                parts.append({"term": {f"{name}.x": {"value": tok.exact, "boost": weight * EXACT_FACTOR}}})
            if tok.folded in fuzzy and name in ("title", "lesson", "body", "page_text"):
                parts.append(
                    {"fuzzy": {name: {"value": tok.folded, "fuzziness": 1, "boost": weight * FUZZY_WEIGHT}}}
                )
        return self._any(parts)

    def _clause_query(self, clause: Clause, marks: bool, fuzzy: frozenset[str]) -> dict[str, Any]:
        if clause.kind == "phrase":
            parts: list[dict[str, Any]] = []
            for name, weight in TEXT_FIELDS:
                parts.append(self._phrase(name, [t.folded for t in clause.tokens], weight))
                if marks:
                    # Exact accents are the spelling typed (as for single words in _token_query).
                    exact = " ".join(t.exact for t in clause.tokens)
                    parts.append(
                        {"match_phrase": {f"{name}.x": {"query": exact, "boost": weight * EXACT_FACTOR}}}
                    )
            return self._any(parts)
        text = [self._token_query(t, marks, fuzzy, TEXT_FIELDS) for t in clause.tokens]
        text_q = text[0] if len(text) == 1 else {"bool": {"must": text}}
        if clause.kind != "alias":
            return text_q
        alts = [text_q]
        alts += [
            {"constant_score": {"filter": {"term": {"grade": g}}, "boost": CURRICULUM_SCORE}}
            for g in clause.grades
        ]
        alts += [
            {"constant_score": {"filter": {"term": {"subject": s}}, "boost": CURRICULUM_SCORE}}
            for s in clause.subjects
        ]
        return self._any(alts)

    def _exclusion(self, toks: tuple[Token, ...]) -> dict[str, Any]:
        marks = any(t.exact != t.folded for t in toks)
        parts: list[dict[str, Any]] = []
        for name, _ in TEXT_FIELDS:
            target = f"{name}.x" if marks else name
            values = [t.exact if marks else t.folded for t in toks]
            if len(values) == 1:
                parts.append(self._word(target, values[0]))
            else:
                parts.append(self._phrase(target, values, 1.0))
        return self._any(parts)

    def _all_words(self, toks: Iterable[Token], *, exact: bool) -> dict[str, Any]:
        """Every one of ``toks`` in any text field (folded, or with their accents)."""
        per = [
            self._any(
                [
                    self._word(f"{name}.x" if exact else name, t.exact if exact else t.folded)
                    for name, _ in TEXT_FIELDS
                ]
            )
            for t in toks
        ]
        return per[0] if len(per) == 1 else {"bool": {"filter": per}}

    def _coverage(self, clause: Clause, idf: dict[str, float]) -> list[dict[str, Any]]:
        """Constant scores for covering the clause's words (see the embedded backend's twin)."""

        def const(q: dict[str, Any], boost: float) -> dict[str, Any]:
            return {"constant_score": {"filter": q, "boost": boost}}

        if clause.kind == "alias":
            weight = COVERAGE_SCORE * max(sum(idf.get(t.folded, 0.0) for t in clause.tokens), 1.0)
            alts: list[dict[str, Any]] = [{"term": {"grade": g}} for g in clause.grades]
            alts += [{"term": {"subject": s}} for s in clause.subjects]
            both = [
                const(self._any(alts), weight),
                const(self._all_words(clause.tokens, exact=False), weight / 2),
            ]
            return [{"dis_max": {"queries": both}}]
        out = []
        for tok in clause.tokens:
            weight = COVERAGE_SCORE * idf.get(tok.folded, 0.0) * (QUESTION_WEIGHT if tok.question else 1.0)
            if weight <= 0:
                continue
            if tok.exact != tok.folded and clause.kind == "word":
                out.append(const(self._all_words((tok,), exact=False), weight / 2))
                out.append(const(self._all_words((tok,), exact=True), weight / 2))
            else:
                out.append(const(self._all_words((tok,), exact=False), weight))
        return out

    def _idf(self, parsed: ParsedQuery) -> dict[str, float]:
        """BM25's IDF of each folded query word and pair over the materials, from one request
        (a ``filters`` aggregation: one bucket per word, in its most frequent field)."""
        buckets: dict[str, dict[str, Any]] = {}
        for i, tok in enumerate(parsed.tokens):
            buckets[f"t{i}"] = self._any([{"term": {name: tok.folded}} for name, _ in TEXT_FIELDS])
            if len(spellings(tok.folded)) > 1:
                # A word the index holds only in its other spelling is as rare as that spelling
                # (as the embedded backend counts it).
                buckets[f"s{i}"] = self._any([self._word(name, tok.folded) for name, _ in TEXT_FIELDS])
        for i, pair in enumerate(parsed.pairs):
            buckets[f"p{i}"] = self._any([{"term": {name: pair}} for name, _ in PAIR_WEIGHTS])
        if not buckets:
            return {}
        body = {
            "query": {"term": {"kind": "m"}},
            "size": 0,
            "track_total_hits": True,
            "aggs": {"df": {"filters": {"filters": buckets}}},
        }
        result = self._search(body)
        n = max(int(result["hits"]["total"]["value"]), 1)
        counts = result.get("aggregations", {}).get("df", {}).get("buckets", {})

        def df(key: str) -> int:
            return int(counts.get(key, {}).get("doc_count", 0))

        frequencies = {t.folded: df(f"t{i}") or df(f"s{i}") for i, t in enumerate(parsed.tokens)}
        frequencies.update({pair: df(f"p{i}") for i, pair in enumerate(parsed.pairs)})
        return {k: bm25_idf(n, f) if f else 0.0 for k, f in frequencies.items()}

    def _text_query(
        self,
        parsed: ParsedQuery,
        query: SearchQuery,
        fuzzy: frozenset[str],
        idf: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        filters: list[dict[str, Any]] = [{"term": {"kind": "m"}}]
        if query.public_only:
            filters.append({"term": {"public": True}})
        if query.students_only:
            filters.append(_STUDENTS_ONLY)
        # Ranked partial matching, as in the embedded backend: quoted phrases are required, every
        # other word (and alias) optional, with at least one of them unless a phrase matched.
        must: list[dict[str, Any]] = []
        optional: list[dict[str, Any]] = []
        for c in parsed.clauses:
            (must if c.kind == "phrase" else optional).append(self._clause_query(c, parsed.has_marks, fuzzy))
        should: list[dict[str, Any]] = []
        if optional and not must:
            must.append({"bool": {"should": optional, "minimum_should_match": 1}})
        else:
            should += optional
        # Accented words also score on the exact fields; adjacency keeps pace (as in embedded).
        scale = 1.0 + EXACT_FACTOR if parsed.has_marks else 1.0
        should += [
            {"term": {name: {"value": p, "boost": w * scale}}}
            for p in parsed.pairs
            if p not in parsed.alias_pairs
            for name, w in PAIR_WEIGHTS
        ]
        if idf is not None:
            for c in parsed.clauses:
                should += self._coverage(c, idf)
            for p in parsed.pairs:
                weight = COVERAGE_SCORE * PAIR_COVERAGE * idf.get(p, 0.0)
                if p not in parsed.alias_pairs and weight > 0:
                    has = self._any([{"term": {name: p}} for name, _ in PAIR_WEIGHTS])
                    should.append({"constant_score": {"filter": has, "boost": weight}})
        must_not = [self._exclusion(t) for t in parsed.excluded]
        return {
            "bool": {
                "filter": filters,
                "must": must or [{"match_all": {}}],
                "should": should,
                "must_not": must_not,
            }
        }

    @staticmethod
    def _filters(query: SearchQuery, skip: str | None = None) -> list[dict[str, Any]]:
        return [{"terms": {f: list(v)}} for f, v in query.filters().items() if f != skip]

    def _body(
        self,
        parsed: ParsedQuery,
        query: SearchQuery,
        fuzzy: frozenset[str],
        idf: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "query": self._text_query(parsed, query, fuzzy, idf),
            # The visibility filter is inside "query"; user filters go to post_filter so each
            # facet aggregation can drop its own filter and keep the others.
            "post_filter": {"bool": {"filter": self._filters(query)}},
            "from": query.offset,
            "size": query.size,
            "track_total_hits": TOTAL_BOUND,
            "_source": _SOURCE,
        }
        if query.sort == "newest":
            body["sort"] = [{"created": "desc"}, {"id": "asc"}]
        elif query.sort == "popular" or parsed.is_empty:
            body["sort"] = [{"popularity": "desc"}, {"id": "asc"}]
        else:
            # Equal scores in a stable order (the id), not the shards' document order.
            body["sort"] = ["_score", {"id": "asc"}]
        if not parsed.is_empty:
            body["highlight"] = {
                "pre_tags": [_PRE],
                "post_tags": [_POST],
                "fields": {
                    f: {"number_of_fragments": 1, "fragment_size": SNIPPET_CHARS}
                    for f in ("body", "desc", "lesson", "title")
                },
            }
        if query.with_facets:
            body["aggs"] = {
                f: {
                    "filter": {"bool": {"filter": self._filters(query, skip=f) or [{"match_all": {}}]}},
                    "aggs": {"values": {"terms": {"field": f, "size": FACET_SIZE}}},
                }
                for f in fields.facets()
            }
        return body

    # --- reading -------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self._call(self.client.search, index=self.alias, body=body)
        except NotFoundError as exc:
            raise RepositoryError(f"the search index {self.alias} does not exist") from exc
        return result

    def _pages(self, ident: str, parsed: ParsedQuery, query: SearchQuery) -> list[tuple[int, str]]:
        filters: list[dict[str, Any]] = [{"term": {"kind": "p"}}, {"term": {"parent": ident}}]
        if query.public_only:
            filters.append({"term": {"public": True}})
        text = [
            self._token_query(t, parsed.has_marks, frozenset(), (("page_text", 1.0),)) for t in parsed.tokens
        ]
        body = {
            "query": {"bool": {"filter": filters, "must": [self._any(text)]}},
            "size": PAGES_PER_HIT,
            "_source": ["page", "page_text"],
            "highlight": {
                "pre_tags": [_PRE],
                "post_tags": [_POST],
                "fields": {"page_text": {"number_of_fragments": 1, "fragment_size": SNIPPET_CHARS}},
            },
        }
        out = []
        for h in self._search(body)["hits"]["hits"]:
            frags = h.get("highlight", {}).get("page_text")
            out.append(
                (
                    int(h["_source"]["page"]),
                    _highlighted(frags[0], highlight_filter(parsed))
                    if frags
                    else plain(h["_source"].get("page_text", "")),
                )
            )
        return out

    def _hit(self, raw: dict[str, Any], parsed: ParsedQuery | None, query: SearchQuery | None) -> Hit:
        src = raw["_source"]
        data = src.get("data") or {}
        snippet = ""
        for field in ("body", "desc", "lesson", "title"):
            frags = raw.get("highlight", {}).get(field)
            if frags:
                snippet = _highlighted(frags[0], highlight_filter(parsed))
                if "<mark>" in snippet:
                    break
                # Only folded-only matches of accented words here: try the next field.
                snippet = ""
        if not snippet:
            snippet = plain(data.get("description") or "")
        pages = self._pages(src["id"], parsed, query) if parsed and query and not parsed.is_empty else []
        return Hit(
            id=src["id"],
            title=data.get("title", ""),
            snippet=snippet,
            grades=list(data.get("grades") or []),
            subjects=list(data.get("subjects") or []),
            type=data.get("type"),
            thumbnail=data.get("thumbnail"),
            pages=pages,
            score=float(raw.get("_score") or 0.0) if query is None or query.sort == "relevance" else 0.0,
        )

    def search(self, query: SearchQuery) -> SearchResult:
        """Run ``query``; see ``SearchBackend.search``."""
        parsed = analyze(query.text)
        # Typo tolerance per word, as in the embedded backend: only words no text holds widen.
        idf = self._idf(parsed) if not parsed.is_empty else {}
        unknown = frozenset(
            t.folded for t in parsed.tokens if len(t.folded) >= FUZZY_MIN_CHARS and not idf.get(t.folded)
        )
        body = self._body(parsed, query, unknown, idf)
        # A search read for its meaning is re-ranked deeper (its meaning reaches answers its
        # words rank lower).
        meant = semantic.asked(parsed)
        depth = semantic.DEPTH if meant else rerank.DEPTH
        second = rerank.applies(parsed, query.sort, query.offset, depth)
        # Typed without accents, its first candidates may be ranked again with the accents their
        # texts give it (search.semantic.respelled): on every page, as on Tantivy.
        respell = semantic.respells(parsed) and rerank.applies(parsed, query.sort, 0, depth)
        end = query.offset + query.size
        # Its vector (search.semantic): a question's encoded on a thread while OpenSearch
        # searches (typed without accents, from when its first candidates are read); any
        # other's only if the second stage finds no known item.
        meaning: semantic.Meaning | None = None
        if second and meant:
            meaning = semantic.Meaning(
                parsed, self._restore, _started if semantic.questioning(parsed) else None
            )
        if second or respell:
            # The page is cut from the re-ranked candidates (search.rerank), as on Tantivy.
            body["from"], body["size"] = 0, max(depth, end, semantic.RESPELL if respell else 0)
            body["_source"] = [*_SOURCE, "title", "lesson", "kw", "desc", "body", "vec"]
        result = self._search(body)
        suggestion = None
        total = int(result["hits"]["total"]["value"])
        # Counted exactly up to TOTAL_BOUND matches, then "at least" (track_total_hits).
        total_approximate = result["hits"]["total"].get("relation") == "gte"
        raw_hits = result["hits"]["hits"]
        if second or respell:
            again = (
                functools.partial(self._respelled, parsed, meaning, query, unknown, idf) if respell else None
            )
            raw_hits = self._second_stage(raw_hits, parsed, idf, meaning, depth, again)[query.offset : end]
        if unknown and raw_hits:
            ids = [h["_source"]["id"] for h in raw_hits]
            suggestion = correction(self._texts(ids), parsed)
        hits = [self._hit(h, parsed, query) for h in raw_hits]
        facets: dict[str, list[FacetValue]] = {}
        if query.with_facets:
            aggs = result.get("aggregations", {})
            for f in fields.facets():
                buckets = aggs.get(f, {}).get("values", {}).get("buckets", [])
                values = [FacetValue(str(b["key"]), int(b["doc_count"])) for b in buckets if b["doc_count"]]
                facets[f] = sorted(values, key=lambda v: (-v.count, v.value))
        return SearchResult(
            total=total,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            total_approximate=total_approximate,
        )

    def _second_stage(
        self,
        raw_hits: list[dict[str, Any]],
        parsed: ParsedQuery,
        idf: dict[str, float],
        meaning: semantic.Meaning | None,
        depth: int,
        respell: Callable[[Sequence[str], list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    ) -> list[dict[str, Any]]:
        """``raw_hits`` with the first ``depth`` re-scored by ``search.rerank``, then by what
        they mean when the search is read for its meaning (``search.semantic``; ``meaning``
        None: it is not). With ``respell`` (:meth:`_respelled`), a search whose second stage
        finds no known item has its first candidates ranked again with the accents their texts
        give it, and is re-scored from there."""
        top, rest = raw_hits[:depth], raw_hits[depth:]
        texts, curricula = [], []
        for h in top:
            src = h["_source"]
            parts: list[str] = []
            for f in ("title", "lesson", "kw", "desc"):
                v = src.get(f)
                parts += [str(x) for x in v] if isinstance(v, list) else [str(v or "")]
            parts.append(str(src.get("body") or "")[: rerank.TEXT_CHARS])
            texts.append("\n".join(parts))
            data = src.get("data") or {}
            curricula.append(([int(g) for g in data.get("grades") or []], list(data.get("subjects") or [])))
        second = rerank.second_stage(
            parsed, idf, texts, curricula, unit=COVERAGE_SCORE, question_weight=QUESTION_WEIGHT
        )
        if respell is not None and not second.known_item:
            # Typed without accents and no known item (a title or a sentence looked up by its
            # words keeps the lexical order).
            raw_hits = respell(texts, raw_hits)
            moved = rerank.reordered(
                [h["_source"]["id"] for h in top], [h["_source"]["id"] for h in raw_hits[:depth]]
            )
            if moved is None:  # other candidates came up: re-scored from there
                return self._second_stage(raw_hits, parsed, idf, meaning, depth)
            top, rest = raw_hits[:depth], raw_hits[depth:]
            texts = [texts[i] for i in moved]
            second = second.reordered(moved)
        if not any(second.extra):
            return raw_hits  # nothing to re-score (only curriculum aliases): the first stage's order
        rescored = [
            {**h, "_score": float(h.get("_score") or 0.0) + e} for h, e in zip(top, second.extra, strict=True)
        ]
        rescored.sort(key=lambda h: (-h["_score"], h["_source"]["id"]))
        if meaning is not None and not second.known_item:
            meant = semantic.reorder(
                [h["_score"] for h in rescored],
                [_vector(h["_source"].get("vec")) for h in rescored],
                # Typed without accents, the candidates' texts help give them back.
                functools.partial(meaning.vector, texts),
            )
            if meant is not None:
                rescored = [{**h, "_score": score} for h, score in zip(rescored, meant, strict=True)]
                rescored.sort(key=lambda h: (-h["_score"], h["_source"]["id"]))
        return rescored + rest

    def _respelled(
        self,
        parsed: ParsedQuery,
        meaning: semantic.Meaning | None,
        query: SearchQuery,
        fuzzy: frozenset[str],
        idf: dict[str, float],
        texts: Sequence[str],
        raw_hits: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """``raw_hits`` with the first ``semantic.RESPELL`` ranked again by the query as if
        typed with the accents ``texts`` (the first candidates') give it
        (``search.semantic.respelled``); the rest keep their places. One request scores only
        those candidates (their ids required); the hits keep what the first request gave them
        (snippets)."""
        head = raw_hits[: semantic.RESPELL]
        if not head:
            return raw_hits
        ids = [h["_source"]["id"] for h in head]
        # Read for its meaning too: the same accents give its vector.
        accented = (
            meaning.respelled(texts)
            if meaning is not None
            else semantic.respelled(parsed, self._restore, texts)
        )
        body = self._body(accented, query, fuzzy, idf)
        body["query"] = {"bool": {"must": [body["query"]], "filter": [{"terms": {"id": ids}}]}}
        body.update({"from": 0, "size": len(head), "track_total_hits": False, "_source": ["id"]})
        body.pop("highlight", None)
        body.pop("aggs", None)
        scores = {
            h["_source"]["id"]: float(h.get("_score") or 0.0) for h in self._search(body)["hits"]["hits"]
        }
        if set(scores) != set(ids):  # the index changed between the two requests: keep the order
            return raw_hits
        again = [{**h, "_score": scores[h["_source"]["id"]]} for h in head]
        again.sort(key=lambda h: (-h["_score"], h["_source"]["id"]))
        rest = raw_hits[len(head) :]
        lowered = semantic.beneath(
            [float(h.get("_score") or 0.0) for h in rest], [h["_score"] for h in again]
        )
        return again + [{**h, "_score": score} for h, score in zip(rest, lowered, strict=True)]

    def accents(self, text: str) -> str:
        """See ``SearchBackend.accents``. The counts are of the public materials only."""
        return " ".join(self._restore(words(fold(nfc(text)))))

    def _restore(self, folded: Sequence[str], near: Local | None = None) -> list[str]:
        return restore(
            folded,
            lambda terms: self._counts(terms, ("title.x", "body.x")),
            lambda terms: self._counts(terms, ("pairs_x",)),
            near,
        )

    def _counts(self, terms: Sequence[str], fields: Sequence[str]) -> dict[str, int]:
        """How many public materials hold each of ``terms`` in one of ``fields``
        (``search.accents``): one request, a ``filters`` aggregation with a bucket per term."""
        if not terms:
            return {}
        buckets = {f"t{i}": self._any([{"term": {f: t}} for f in fields]) for i, t in enumerate(terms)}
        body = {
            "query": {"bool": {"filter": [{"term": {"kind": "m"}}, {"term": {"public": True}}]}},
            "size": 0,
            "aggs": {"df": {"filters": {"filters": buckets}}},
        }
        found = self._search(body).get("aggregations", {}).get("df", {}).get("buckets", {})
        return {t: int(found.get(f"t{i}", {}).get("doc_count", 0)) for i, t in enumerate(terms)}

    def _texts(self, ids: list[str]) -> list[str]:
        if not ids:
            return []
        # Only public text: a word only a draft holds must not leak into a suggestion.
        filters = [{"term": {"kind": "m"}}, {"term": {"public": True}}, {"terms": {"id": ids}}]
        body = {
            "query": {"bool": {"filter": filters}},
            "size": len(ids),
            "_source": ["id", "title", "lesson", "kw", "desc", "body"],
        }
        rank = {ident: i for i, ident in enumerate(ids)}
        found = sorted(self._search(body)["hits"]["hits"], key=lambda h: rank.get(h["_source"]["id"], 0))
        out: list[str] = []
        for h in found[:5]:
            s = h["_source"]
            for f in ("title", "lesson", "kw", "desc"):
                v = s.get(f)
                out += v if isinstance(v, list) else [v or ""]
            out.append((s.get("body") or "")[:20_000])
        return out

    def suggest(self, prefix: str, *, size: int = 8) -> list[Suggestion]:
        """Completions over public titles, lessons and subjects; see ``SearchBackend.suggest``."""
        public: list[dict[str, Any]] = [{"term": {"kind": "m"}}, {"term": {"public": True}}]

        def candidates(field: str, folded: list[str], limit: int) -> Iterable[tuple[str, dict[str, Any]]]:
            filters = public + [self._word(field, f) for f in folded[:-1]]
            filters.append(self._any([{"prefix": {field: s}} for s in spellings(folded[-1])]))
            body = {
                "query": {"bool": {"filter": filters}},
                "size": limit,
                "sort": [{"popularity": "desc"}, {"id": "asc"}],
                "_source": _SOURCE,
            }
            for h in self._search(body)["hits"]["hits"]:
                yield h["_source"]["id"], h["_source"].get("data") or {}

        def has_subject(code: str) -> bool:
            filters = [*public, {"term": {"subject": code}}]
            body = {"query": {"bool": {"filter": filters}}, "size": 0, "track_total_hits": True}
            return bool(self._search(body)["hits"]["total"]["value"])

        return suggestions(prefix, size, candidates, has_subject)

    def related(self, ident: str, *, size: int = 6, students_only: bool = False) -> list[Hit]:
        """Public materials sharing words, subjects and grades with ``ident``; see the Protocol."""
        body = {
            "query": {
                "bool": {
                    "filter": [{"term": {"kind": "m"}}, {"term": {"id": ident}}, {"term": {"public": True}}]
                }
            },
            "size": 1,
            "_source": ["id", "data", "kw"],
        }
        found = self._search(body)["hits"]["hits"]
        if not found:
            raise NotFound(f"material {ident} is not in the public search index")
        src = found[0]["_source"]
        data = src.get("data") or {}
        text = " ".join(
            [data.get("title", ""), data.get("lesson", ""), data.get("chapter", ""), *(src.get("kw") or [])]
        )
        terms = list(dict.fromkeys(fold(w) for w in words(text) if len(w) > 1))[:24]
        should: list[dict[str, Any]] = [
            self._word(name, t, w)  # either i/y spelling, as the embedded backend
            for t in terms
            for name, w in (("title", 3.0), ("lesson", 2.0), ("kw", 2.0), ("desc", 1.0))
        ]
        should += [
            {"constant_score": {"filter": {"term": {"subject": s}}, "boost": ALIAS_SCORE}}
            for s in data.get("subjects") or []
        ]
        should += [
            {"constant_score": {"filter": {"term": {"grade": g}}, "boost": ALIAS_SCORE / 2}}
            for g in data.get("grades") or []
        ]
        if not should:
            return []
        q = {
            "bool": {
                "filter": [{"term": {"kind": "m"}}, {"term": {"public": True}}]
                + ([_STUDENTS_ONLY] if students_only else []),
                "must_not": [{"term": {"id": ident}}],
                "should": should,
                "minimum_should_match": 1,
            }
        }
        hits = self._search({"query": q, "size": min(size, 50), "_source": _SOURCE})["hits"]["hits"]
        return [self._hit(h, None, None) for h in hits]

    def browse(self, *, students_only: bool = False) -> BrowseCounts:
        """Public materials per grade and per curriculum path; see ``SearchBackend.browse``."""
        visible: list[dict[str, Any]] = [{"term": {"kind": "m"}}, {"term": {"public": True}}]
        body = {
            "query": {"bool": {"filter": visible + ([_STUDENTS_ONLY] if students_only else [])}},
            "size": 0,
            "track_total_hits": True,
            "aggs": {
                "grade": {"terms": {"field": "grade", "size": 100}},
                "browse": {"terms": {"field": "browse", "size": BROWSE_SIZE}},
            },
        }
        raw = self._search(body)
        aggs = raw.get("aggregations") or {}
        grades = {int(b["key"]): int(b["doc_count"]) for b in aggs.get("grade", {}).get("buckets", [])}
        paths: dict[tuple[int, str, str, int, str, str], int] = {}
        for b in aggs.get("browse", {}).get("buckets", []):
            parsed = parse_path(str(b["key"]))
            if parsed is not None:
                paths[parsed] = int(b["doc_count"])
        return BrowseCounts(total=int(raw["hits"]["total"]["value"]), grades=grades, paths=paths)

    def count(self, public_only: bool = False) -> int:
        """Number of indexed materials (pages not counted)."""
        filters: list[dict[str, Any]] = [{"term": {"kind": "m"}}]
        if public_only:
            filters.append({"term": {"public": True}})
        body = {"query": {"bool": {"filter": filters}}, "size": 0, "track_total_hits": True}
        return int(self._search(body)["hits"]["total"]["value"])

    def versions(self) -> dict[str, int]:
        """``{material id: indexed version}`` for every material, paged with ``search_after``."""
        out: dict[str, int] = {}
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "query": {"term": {"kind": "m"}},
                "size": 1000,
                "sort": [{"id": "asc"}],
                "_source": ["id", "version"],
            }
            if after is not None:
                body["search_after"] = after
            hits = self._search(body)["hits"]["hits"]
            if not hits:
                return out
            for h in hits:
                out[h["_source"]["id"]] = int(h["_source"].get("version") or 0)
            after = hits[-1]["sort"]
