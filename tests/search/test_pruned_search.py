"""Broad queries on the embedded backend: candidates from a prunable flat query, the exact query
on those only (``EmbeddedBackend._candidates``); what is cut says so, what is not is exact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery, SearchResult
from tests.search.test_backend_contract import material

N = 200


def exercises(n: int, lead: str = "") -> list[dict[str, Any]]:
    """``n`` maths exercises "bt-000"… alike but for their number, grade 5 or 6 in turn."""
    return [
        material(
            f"bt-{i:03d}",
            f"Bài tập số {i}",
            grades=[5 if i % 2 else 6],
            subjects=["toan"],
            description=f"{lead}Luyện tập phép tính số {i}. " + "Ôn tập. " * (i % 7),
        )
        for i in range(n)
    ]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    docs = exercises(N)
    # The one material that holds every word of the question, together and in order.
    docs.append(
        material(
            "dien-tich",
            "Diện tích hình thang",
            grades=[5],
            subjects=["toan"],
            description="Cách tính diện tích hình thang: bài tập luyện tập.",
        )
    )
    # A draft that would rank first: never in a public search, pruned or not.
    docs.append(
        material(
            "nhap",
            "Bài tập diện tích hình thang luyện tập",
            state="draft",
            description="Bài tập diện tích hình thang luyện tập.",
        )
    )
    b.index(build_document(m) for m in docs)
    b.refresh()
    yield b
    b.close()


def exhaustive(backend: EmbeddedBackend, query: SearchQuery, monkeypatch: pytest.MonkeyPatch) -> SearchResult:
    with monkeypatch.context() as m:
        m.setattr(embedded, "PRUNE_BROAD", 0)
        return backend.search(query)


def test_all_matches_among_the_candidates_give_the_exhaustive_result(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = SearchQuery("bài tập diện tích hình thang")
    before = exhaustive(backend, query, monkeypatch)
    monkeypatch.setattr(embedded, "PRUNE_BROAD", 1)
    monkeypatch.setattr(embedded, "PRUNE_CANDIDATES", 1_000)  # more than every match
    calls: list[object] = []
    original = backend._candidates

    def candidates(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(backend, "_candidates", candidates)
    after = backend.search(query)
    assert calls  # the two-phase plan ran
    assert after == before
    assert (after.total, after.total_approximate, after.facets_approximate) == (N + 1, False, False)


def test_cut_candidates_keep_the_best_and_say_the_counts_are_approximate(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = SearchQuery("bài tập diện tích hình thang", size=10)
    before = exhaustive(backend, query, monkeypatch)
    assert before.hits[0].id == "dien-tich" and before.total == N + 1
    monkeypatch.setattr(embedded, "PRUNE_BROAD", 1)
    monkeypatch.setattr(embedded, "PRUNE_CANDIDATES", 80)
    after = backend.search(query)
    assert after.hits[0].id == "dien-tich"
    assert "nhap" not in {h.id for h in after.hits}
    # At least this many match: those among the 80 candidates (the draft is one of them).
    assert after.total_approximate and after.facets_approximate
    assert len(after.hits) == 10 <= after.total <= 79
    grades = {f.value: f.count for f in after.facets["grade"]}
    assert sum(grades.values()) == after.total and set(grades) <= {"5", "6"}
    bare = backend.search(SearchQuery("bài tập diện tích hình thang", size=10, with_facets=False))
    assert bare.hits == after.hits and bare.total_approximate and not bare.facets_approximate
    # Exclusions still apply to the candidates.
    excluded = backend.search(SearchQuery("bài tập diện tích hình thang -thang"))
    assert "dien-tich" not in {h.id for h in excluded.hits} and excluded.hits


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery("bài tập diện tích", grades=[5]),  # a vocabulary filter
        SearchQuery('"hình thang" bài tập'),  # a quoted phrase
        SearchQuery("bài tập toán lớp 5"),  # a curriculum alias
        SearchQuery("bài tập diện tích", sort="newest"),
        SearchQuery("bài tập diện tích", page=3, size=10),  # deeper than a quarter of the candidates
    ],
)
def test_queries_without_a_flat_form_stay_exhaustive(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, query: SearchQuery
) -> None:
    before = exhaustive(backend, query, monkeypatch)
    monkeypatch.setattr(embedded, "PRUNE_BROAD", 1)
    monkeypatch.setattr(embedded, "PRUNE_CANDIDATES", 80)
    after = backend.search(query)
    assert after == before
    assert not after.total_approximate
