"""A search of quoted phrases only ranks in two passes (embedded backend).

Its matches are found through the phrases' pairs, ranked by the phrases alone and counted; the
exact query then ranks the best ``GATED_CANDIDATES`` of them, and a page beyond them the rest.
Unlike common words, nothing is left out: the total is every match, exactly.
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

MATCHES = 60


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    docs = [
        material(
            f"ct-{i:02d}",
            f"Bài {i}: lịch sử",
            grades=[9 if i % 2 else 12],
            subjects=["lich-su"],
            description=f"Cuộc chiến tranh thứ {i}. " + "Hậu quả của chiến tranh, " * (i % 7) + "hòa bình.",
        )
        for i in range(MATCHES)
    ]
    # The words apart, or the phrase in a draft: never a match of a public search.
    docs.append(material("xa", "Chiến lược", description="Chiến lược đấu tranh chính trị."))
    docs.append(material("nhap", "Chiến tranh", state="draft", description="Chiến tranh, chiến tranh."))
    b.index(build_document(m) for m in docs)
    b.refresh()
    yield b
    b.close()


def _exhaustive(
    backend: EmbeddedBackend, query: SearchQuery, monkeypatch: pytest.MonkeyPatch
) -> SearchResult:
    with monkeypatch.context() as m:
        m.setattr(EmbeddedBackend, "_gated", lambda self, ask, **kw: None)
        return backend.search(query)


@pytest.mark.parametrize("text", ['"chiến tranh"', '"chien tranh" -"hoa binh"', '"chiến tranh" "lịch sử"'])
def test_with_every_match_handed_over_the_two_passes_rank_as_the_exact_query(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setattr(embedded, "GATED_CANDIDATES", MATCHES + 5)
    query = SearchQuery(text, size=20, public_only=True)
    two = backend.search(query)
    one = _exhaustive(backend, query, monkeypatch)
    assert [h.id for h in two.hits] == [h.id for h in one.hits]
    assert [h.score for h in two.hits] == pytest.approx([h.score for h in one.hits])
    assert (two.total, two.total_approximate, two.facets) == (one.total, one.total_approximate, one.facets)


def test_pages_beyond_the_ranked_matches_show_every_match_once(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At least the second stage's depth (rerank.DEPTH), as the setting must be.
    monkeypatch.setattr(embedded, "GATED_CANDIDATES", 25)
    ranked_in_two_passes = []
    two_passes = EmbeddedBackend._gated

    def spy(self: EmbeddedBackend, ask: object, **kw: object) -> object:
        out = two_passes(self, ask, **kw)  # type: ignore[arg-type]
        ranked_in_two_passes.append(out is not None)
        return out

    monkeypatch.setattr(EmbeddedBackend, "_gated", spy)
    seen: list[str] = []
    for page in range(1, 7):
        result = backend.search(SearchQuery('"chiến tranh"', size=10, page=page, public_only=True))
        # Every match counted, exactly (the facets too: fewer matches than FACET_SAMPLE).
        assert (result.total, result.total_approximate, result.facets_approximate) == (MATCHES, False, False)
        seen += [h.id for h in result.hits]
    assert ranked_in_two_passes == [True] * 6
    assert len(seen) == len(set(seen)) == MATCHES
    assert set(seen) == {f"ct-{i:02d}" for i in range(MATCHES)}
    grades = {f.value: f.count for f in result.facets["grade"]}
    assert grades == {"9": MATCHES // 2, "12": MATCHES // 2}


def test_a_phrase_with_other_words_is_ranked_by_all_of_them(backend: EmbeddedBackend) -> None:
    # Not phrases only: the words outside the quotes rank too (one pass, as before).
    found = backend.search(SearchQuery('"chiến tranh" bài 7', public_only=True)).hits
    assert found[0].id == "ct-07"


def test_exact_accents_in_a_title_choose_the_candidates_of_a_common_phrase(tmp_path: Path) -> None:
    # 40 short titles with the phrase's syllables under other accents ("tư do": a folded match
    # that BM25 favours) and 3 longer ones with the accents typed ("tự do"), more matches than
    # the candidates handed to the exact pass: the first pass scores the exact accents in
    # titles, so those three are among the candidates and rank first.
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    docs = [material(f"tu-{i:02d}", "Tư do", description=f"Tư do số {i}.") for i in range(40)]
    docs += [
        material(
            f"tudo-{i}",
            f"Bài {i} về quyền tự do và trách nhiệm của công dân",
            description="Giáo dục công dân.",
        )
        for i in range(3)
    ]
    b.index(build_document(m) for m in docs)
    b.refresh()
    try:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(embedded, "GATED_CANDIDATES", 20)
            result = b.search(SearchQuery('"tự do"', size=5))
        assert (result.total, result.total_approximate) == (43, False)  # every folded match, exactly
        assert {h.id for h in result.hits[:3]} == {"tudo-0", "tudo-1", "tudo-2"}
    finally:
        b.close()
