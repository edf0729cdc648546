"""Common words make no candidate alone (embedded backend, ``embedded.COMMON_SHARE``).

At a million materials "là", "của", "bài", "lớp" are each in most of them, so a question holding one
made nearly every material a match to score and count. A material is now a candidate only when it
holds one of the query's other words, a curriculum alias or an adjacent pair that is not common;
common words still score on every candidate. Here the index is small, so the thresholds are
lowered to make "bài" and "tập" (in every material) common.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery, SearchResult
from tests.search.test_backend_contract import material
from tests.search.test_chained_scores import exercises, shapes

PLAIN = 150  # materials with only the common words
SHAPES = 40  # materials that also hold "hình thang" (selective)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    docs = exercises(PLAIN, lead="Bài tập: ")
    docs += shapes(SHAPES)
    docs.append(
        material(
            "dien-tich",
            "Diện tích hình thang",
            grades=[5],
            subjects=["toan"],
            description="Bài tập: cách tính diện tích hình thang.",
        )
    )
    # A draft that would rank first: never in a public search, gated or not.
    docs.append(material("nhap", "Bài tập diện tích hình thang", state="draft", description="Diện tích."))
    b.index(build_document(m) for m in docs)
    b.refresh()
    yield b
    b.close()


def _exhaustive(
    backend: EmbeddedBackend, query: SearchQuery, monkeypatch: pytest.MonkeyPatch
) -> SearchResult:
    with monkeypatch.context() as m:
        m.setattr(embedded, "COMMON_SHARE", 0.0)
        return backend.search(query)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "COMMON_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_SHARE", 0.5)


def test_the_default_thresholds_leave_a_small_index_exact(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = SearchQuery("bài tập diện tích hình thang", size=5)
    result = backend.search(query)
    assert result == _exhaustive(backend, query, monkeypatch)
    assert not result.total_approximate and result.total == PLAIN + SHAPES + 1


@pytest.mark.usefixtures("gated")
def test_common_words_make_no_candidate_but_still_score(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = SearchQuery("bài tập về hình thang", size=5)
    exact = _exhaustive(backend, query, monkeypatch)
    assert exact.total == PLAIN + SHAPES + 1 and not exact.total_approximate
    result = backend.search(query)
    # Candidates: the materials with "hình" or "thang" (or a pair that is not common); the
    # materials with only "bài tập" are not scored or counted, and the count says it is a bound.
    assert result.total == SHAPES + 1
    assert result.total_approximate and result.facets_approximate
    assert sum(f.count for f in result.facets["grade"]) == SHAPES + 1
    # The same best materials in the same order, with the same scores: "bài tập" still counts.
    assert [h.id for h in result.hits] == [h.id for h in exact.hits]
    # (Single-precision sums in another order: the chained ranking, ``EmbeddedBackend._chained``.)
    assert [h.score for h in result.hits] == pytest.approx([h.score for h in exact.hits], rel=1e-5)
    assert "nhap" not in {h.id for h in result.hits}
    bare = backend.search(SearchQuery("bài tập về hình thang", size=5, with_facets=False))
    assert bare.total_approximate and not bare.facets_approximate and bare.hits == result.hits


@pytest.mark.usefixtures("gated")
def test_too_few_candidates_for_the_page_run_the_query_unrestricted(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One public material holds "diện tích": fewer candidates than the page (and the second
    # stage) need, so every material with "bài tập" is ranked and counted after it.
    query = SearchQuery("bài tập diện tích", size=10)
    result = backend.search(query)
    assert result == _exhaustive(backend, query, monkeypatch)
    assert result.hits[0].id == "dien-tich" and len(result.hits) == 10
    assert result.total == PLAIN + SHAPES + 1 and not result.total_approximate


@pytest.mark.usefixtures("gated")
def test_a_query_of_common_words_only_is_ranked_among_the_materials_holding_them_side_by_side(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing but common words and pairs: the pairs make the candidates (every material here
    # holds "bài tập"), counted as such.
    query = SearchQuery("bài tập", size=5)
    result = backend.search(query)
    exact = _exhaustive(backend, query, monkeypatch)
    assert [h.id for h in result.hits] == [h.id for h in exact.hits]
    assert [h.score for h in result.hits] == pytest.approx([h.score for h in exact.hits])
    assert result.total == PLAIN + SHAPES + 1 and result.total_approximate
    assert not exact.total_approximate


@pytest.mark.usefixtures("gated")
def test_common_words_that_no_material_holds_side_by_side_are_not_restricted(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No pair to make a candidate ("tập bài" is in no text): every material holding a word is
    # one, and none is lost; a single common word, likewise. Words in no material make no
    # candidate either: with them the first pass finds too few, and the search runs unrestricted.
    for text in ("tập bài", "bài", "bài tập là gì vậy"):
        query = SearchQuery(text, size=5)
        result = backend.search(query)
        assert result == _exhaustive(backend, query, monkeypatch)
        assert result.total == PLAIN + SHAPES + 1 and not result.total_approximate


@pytest.mark.usefixtures("gated")
@pytest.mark.parametrize(
    "text",
    ['"hình thang" bài tập', "bài tập hình thang -vuông", "bài tập toán lớp 5 hình thang"],
)
def test_phrases_exclusions_and_aliases_keep_working(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    query = SearchQuery(text, size=5)
    exact = _exhaustive(backend, query, monkeypatch)
    result = backend.search(query)
    assert [h.id for h in result.hits] == [h.id for h in exact.hits]
    assert result.total <= exact.total
    if "-vuông" in text:
        assert result.hits[0].id == "dien-tich"
        assert not any(h.id.startswith("ht-") for h in result.hits)
    if '"' in text:
        assert result == exact  # a required phrase already restricts: no gate


@pytest.mark.usefixtures("gated")
def test_pages_beyond_the_ranked_candidates_rank_every_candidate(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first pass hands its best GATED_CANDIDATES to the exact ranking; a page beyond them
    # ranks the other candidates after them, so paging never skips or repeats a material.
    monkeypatch.setattr(embedded, "GATED_CANDIDATES", 25)
    text = "bài tập về hình thang"
    seen = []
    for page in (1, 2, 3, 4):
        result = backend.search(SearchQuery(text, size=10, page=page))
        assert result.total == SHAPES + 1 and result.total_approximate
        seen += [h.id for h in result.hits]
    assert len(seen) == len(set(seen)) == 40
    assert all(i.startswith("ht-") or i == "dien-tich" for i in seen)
    # With every candidate handed over, the two passes rank as the exhaustive query does. (With
    # 25 of them, the second stage re-scores another top 20 when the first pass cuts a group of
    # near-equal materials otherwise than the exact scores would: the same materials, another
    # order.)
    exact = _exhaustive(backend, SearchQuery(text, size=10), monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(embedded, "GATED_CANDIDATES", SHAPES + 1)
        whole = backend.search(SearchQuery(text, size=10))
    assert whole.total_approximate
    assert [h.id for h in whole.hits] == [h.id for h in exact.hits]
    # Past the candidates (41): the last one, then the materials with only common words.
    last = backend.search(SearchQuery(text, size=10, page=5))
    assert last.total == PLAIN + SHAPES + 1 and not last.total_approximate
    candidates = {f"ht-{i:03d}" for i in range(SHAPES)} | {"dien-tich"}
    assert {h.id for h in last.hits[:1]} | set(seen) == candidates
    assert last.hits[0].id not in seen and all(h.id.startswith("bt-") for h in last.hits[1:])
