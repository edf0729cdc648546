"""The exact ranking of a gated search's candidates as a chain of term queries (embedded
backend, ``EmbeddedBackend._chained``): the same scores as the exact query, term by term,
coverage included (the ``cov`` fields)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tantivy import Occur

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery, SearchResult, analyze
from tests.search.test_backend_contract import material

N = 200


def exercises(n: int, lead: str = "") -> list[dict[str, Any]]:
    """``n`` maths exercises "bt-000"… alike but for their number, grade 5 or 6 in turn; every
    tenth a lesson plan (for teachers only)."""
    return [
        material(
            f"bt-{i:03d}",
            f"Bài tập số {i}",
            grades=[5 if i % 2 else 6],
            subjects=["toan"],
            type="ke-hoach-bai-day" if i % 10 == 3 else "bai-tap",
            description=f"{lead}Luyện tập phép tính số {i}. " + "Ôn tập. " * (i % 7),
        )
        for i in range(n)
    ]


def shapes(n: int) -> list[dict[str, Any]]:
    """``n`` grade-5 maths exercises about "hình thang" (a word that is not common)."""
    return [
        material(
            f"ht-{i:03d}",
            f"Bài tập hình học {i}",
            grades=[5],
            subjects=["toan"],
            description=f"Bài tập về hình thang và hình vuông, câu {i}. " + "Vẽ hình. " * (i % 5),
        )
        for i in range(n)
    ]


def spy(backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, method: str) -> list[bool]:
    """Records, per call of the backend's ``method``, whether it returned a query."""
    calls: list[bool] = []
    original = getattr(backend, method)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(backend, method, recorded)
    return calls


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    docs = exercises(N, lead="Bài tập: ")
    # Enough materials holding a word that is not common for a gated search's first pass.
    docs += shapes(40)
    docs += [
        material(
            "dien-tich",
            "Diện tích hình thang",
            grades=[5],
            subjects=["toan"],
            description="Cách tính diện tích hình thang: bài tập luyện tập.",
        ),
        material("ky", "Kỹ năng tính nhẩm", grades=[3], description="Bài tập kỹ năng, hình thang."),
        material("ki", "Kĩ năng đọc hiểu", grades=[3], description="Luyện tập kĩ năng đọc."),
        material(
            "la", "Lá cây và lá thư", grades=[6], description="Vì sao lá cây có màu xanh? Là do diệp lục."
        ),
        material("nhap", "Bài tập diện tích hình thang", state="draft", description="Diện tích hình thang."),
    ]
    b.index(build_document(m) for m in docs)
    b.refresh()
    yield b
    b.close()


QUERIES = [
    "bài tập diện tích hình thang",
    "bai tap dien tich hinh thang",
    "cách tính diện tích hình thang như thế nào vậy",  # question words
    "kỹ năng bài tập",  # both i/y spellings, exact accents
    "ki nang luyen tap",
    "vì sao lá cây có màu xanh",
    "là lá la",  # one word three ways: each scores and covers on its own
    "hình hình thang",  # a repeated word
    "toán lớp 5 diện tích",  # curriculum aliases: a subject, a grade (two words)
    "bai tap toan lop 5",
    "kỹ năng môn toán",
]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("limited", [False, True])
@pytest.mark.parametrize("share", [0.0, embedded.CHAIN_SHARE, 1.0])
def test_the_chain_scores_every_material_as_the_exact_query(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, text: str, limited: bool, share: float
) -> None:
    # Every term a level of its own (0), the rare ones in one union beside the chain, or all of
    # them in that union (1): the same scores.
    monkeypatch.setattr(embedded, "CHAIN_SHARE", share)
    searcher = backend._searcher()
    query = SearchQuery(text, public_only=limited, students_only=limited)
    parsed = analyze(text)
    idf, _widest = backend._idf(searcher, parsed)
    everyone = backend._build([], SearchQuery("", public_only=limited, students_only=limited))
    exact = backend._build(backend._text_clauses(parsed, frozenset(), idf=idf), query)
    chained = backend._chained(searcher, parsed, idf, query, everyone)
    assert chained is not None

    def scores(q: Any) -> dict[str, float]:
        hits = searcher.search(q, 1_000).hits
        return {str(searcher.doc(addr).get_first("id")): score for score, addr in hits}

    # The chain scores every material ``within`` (a gated search's candidates all match).
    want, got = scores(exact), scores(chained)
    assert set(want) <= set(got) and want
    for ident, score in want.items():
        assert got[ident] == pytest.approx(score, rel=1e-5), ident


@pytest.mark.parametrize("text", ['"hình thang" bài tập', "bài tập -thang", ""])
def test_a_search_with_no_flat_form_has_no_chain(backend: EmbeddedBackend, text: str) -> None:
    searcher = backend._searcher()
    parsed = analyze(text)
    idf, _widest = backend._idf(searcher, parsed)
    query = SearchQuery(text)
    assert backend._chained(searcher, parsed, idf, query, backend._build([], query)) is None


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> None:
    # "bài" and "tập" are in every material: common, so searches holding them are gated.
    monkeypatch.setattr(embedded, "COMMON_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_SHARE", 0.5)


def unchained(backend: EmbeddedBackend, query: SearchQuery, monkeypatch: pytest.MonkeyPatch) -> SearchResult:
    with monkeypatch.context() as m:
        m.setattr(embedded, "FLAT_TERMS", False)
        return backend.search(query)


@pytest.mark.usefixtures("gated")
@pytest.mark.parametrize(
    ("text", "ranked"),
    [
        ("bài tập diện tích hình thang", 1),
        ("cách tính diện tích hình thang như thế nào vậy", 1),
        ("bài tập hình hình thang vuông", 1),
        ("bài tập hình thang toán lớp 5", 1),
        # Typed without accents, no known item: its first candidates are ranked again, as
        # their texts spell it (search.semantic.respelled), through a chain too.
        ("bai tap dien tich hinh thang", 2),
        ("bai tap hinh thang lop 5 la gi", 2),
    ],
)
@pytest.mark.parametrize("page", [1, 2])
def test_gated_searches_rank_their_candidates_through_the_chain(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, text: str, ranked: int, page: int
) -> None:
    query = SearchQuery(text, page=page, size=10, public_only=True, students_only=True)
    before = unchained(backend, query, monkeypatch)
    chains = spy(backend, monkeypatch, "_chained")
    after = backend.search(query)
    assert chains == [True] * ranked  # gated, and the chain ranked
    assert [h.id for h in after.hits] == [h.id for h in before.hits]
    assert [h.score for h in after.hits] == pytest.approx([h.score for h in before.hits], rel=1e-5)
    assert (after.total, after.facets, after.total_approximate) == (before.total, before.facets, True)
    assert "nhap" not in {h.id for h in after.hits}


def test_the_chain_is_built_from_term_queries(backend: EmbeddedBackend) -> None:
    # Every level adds one part: the exact query's unions of optional clauses are what it avoids.
    searcher = backend._searcher()
    parsed = analyze("cách tính diện tích hình thang")
    idf, _widest = backend._idf(searcher, parsed)
    parts = backend._flat_terms(searcher, parsed, idf)
    assert parts is not None
    terms = [(p, df) for p, df in parts if repr(p).startswith("Query(Boost(query=TermQuery(")]
    # Six words in five text fields, five with accents in five exact fields, the coverage of
    # each (two halves for an accented word); five pairs in two pair fields, and the coverage
    # of each pair: a constant over both pair fields. Only the terms some material holds.
    specs = [s for t in parsed.tokens for s in backend._token_specs(t, True)]
    specs += [(name, pair, 0.0) for pair in parsed.pairs for name in ("pairs_t", "pairs_b")]
    assert len(specs) == 6 * 5 + 5 * 5 + 5 * 2
    held = [searcher.doc_freq(name, word) for name, word, _boost in specs]
    assert 0 < held.count(0) < len(specs)  # the corpus lacks some words in some fields
    # The terms some material holds (words and pairs), and the coverage of each word (6 + 5).
    assert len(terms) == len([df for df in held if df]) + 6 + 5
    assert all(df > 0 for _p, df in terms)
    others = [p for p, df in parts if df < 0]
    assert len(others) == 5 and len(parts) == len(terms) + 5
    assert all(repr(p).startswith("Query(Const(") for p in others)


def test_a_word_no_material_holds_adds_no_part(backend: EmbeddedBackend) -> None:
    searcher = backend._searcher()

    def parts(text: str) -> list[str]:
        parsed = analyze(text)
        idf, _widest = backend._idf(searcher, parsed)
        found = backend._flat_terms(searcher, parsed, idf)
        assert found is not None
        return sorted(f"{p!r} {df}" for p, df in found)

    assert parts("hình thang xyzzyq") == parts("hình thang")


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery("diện tích hình thang", size=5),
        SearchQuery("dien tich hinh thang", page=2, size=5, public_only=True, students_only=True),
        SearchQuery("kỹ năng", grades=[3]),
        SearchQuery("toán lớp 5 hình thang", grades=[5], subjects=["toan"]),  # facets with their filter
        SearchQuery("lá cây màu xanh là gì vậy"),
        SearchQuery("hình thang", sort="newest"),
        SearchQuery("luyện tập", public_only=True, students_only=True, types=["bai-tap"]),
    ],
)
def test_ungated_searches_of_words_match_through_one_flat_union(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, query: SearchQuery
) -> None:
    before = unchained(backend, query, monkeypatch)
    flat = spy(backend, monkeypatch, "_flat_terms")
    after = backend.search(query)
    assert flat and all(flat)
    assert [h.id for h in after.hits] == [h.id for h in before.hits] and after.hits
    assert [h.score for h in after.hits] == pytest.approx([h.score for h in before.hits], rel=1e-5)
    assert (after.total, after.facets, after.total_approximate) == (before.total, before.facets, False)


def test_the_longest_query_chains_without_trouble(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As many accented words as a query may hold, i/y twins among them, every pair new: the
    # deepest chain a search can build (hundreds of levels) runs, and scores as the exact query.
    from search.query import MAX_TOKENS

    words = ["kỹ", "lý", "mỹ", "bài", "tập", "hình", "thang", "diện", "tích", "lá", "cây", "màu"]
    text = " ".join([*(words * 3)[: MAX_TOKENS - 1], "vậy"])
    monkeypatch.setattr(embedded, "COMMON_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_SHARE", 0.5)
    chains = spy(backend, monkeypatch, "_chained")
    after = backend.search(SearchQuery(text, size=10))
    before = unchained(backend, SearchQuery(text, size=10), monkeypatch)
    assert chains == [True]
    assert [h.id for h in after.hits] == [h.id for h in before.hits] and after.hits
    assert [h.score for h in after.hits] == pytest.approx([h.score for h in before.hits], rel=1e-5)


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("gate", [False, True])
def test_the_facets_count_what_the_flat_union_matches(
    backend: EmbeddedBackend, text: str, gate: bool
) -> None:
    # The facet passes read one ``cov`` term per word where the union reads each field,
    # spelling and accent: the same materials.
    searcher = backend._searcher()
    parsed = analyze(text)
    idf, _widest = backend._idf(searcher, parsed)
    common = frozenset(k for k, v in idf.items() if 0 < v < 1.0) if gate else frozenset()
    parts = backend._flat_terms(searcher, parsed, idf, common=common)
    assert parts is not None
    query = SearchQuery(text)

    def matched(queries: list[Any]) -> set[str]:
        q = backend._build([(Occur.Must, backend._any(queries))], query)
        return {str(searcher.doc(addr).get_first("id")) for _s, addr in searcher.search(q, 1_000).hits}

    want = matched([p for p, _df in parts])
    assert want
    assert matched(backend._flat_matches(parsed, common)) == want


def test_long_words_get_their_cov_number_without_being_remembered() -> None:
    long_word = "a" * 10_000
    number = embedded._cover_word(long_word)
    assert long_word not in embedded._cover_numbers
    assert (
        embedded._cover_word(long_word)
        == number
        == embedded._cover_words([long_word, "hoc"]).difference({embedded._cover_word("hoc")}).pop()
    )
    assert "hoc" in embedded._cover_numbers
