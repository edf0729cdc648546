"""A search's side passes on the backend's search threads (embedded, ``SEARCH_THREADS``): its
facet counts beside its ranking, a gated search's chain terms beside its first pass. The
results are those of every step run in turn, and a search never waits behind busy threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery, SearchResult
from tests.search.test_chained_scores import exercises, shapes

SEARCHES = [
    SearchQuery("bài tập diện tích hình thang"),  # gated: facets beside the chain
    SearchQuery("bai tap hinh thang", grades=[5], subjects=["toan"]),  # facets with their own filter
    SearchQuery("phép tính", types=["bai-tap"], page=2, size=5),  # ungated
    SearchQuery("luyện tập phép tính", public_only=True, students_only=True),
    SearchQuery('"hình thang"'),  # phrases only: two passes
    SearchQuery("phép tính", sort="newest"),
    SearchQuery(""),  # browsing
]


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedBackend]:
    # Small thresholds, so this small index has common words, gated searches and sampled facets.
    monkeypatch.setattr(embedded, "COMMON_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_SHARE", 0.5)
    monkeypatch.setattr(embedded, "FACET_SAMPLE", 30)
    monkeypatch.setattr(embedded, "FACET_BROAD", 40)
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    b.index(build_document(m) for m in exercises(200) + shapes(60))
    b.refresh()
    yield b
    b.close()


def shown(result: SearchResult) -> tuple[object, ...]:
    return (
        result.total,
        [(h.id, round(h.score, 4)) for h in result.hits],
        result.facets,
        result.total_approximate,
        result.facets_approximate,
    )


@pytest.mark.parametrize("query", SEARCHES)
def test_side_passes_on_threads_give_the_results_of_steps_in_turn(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, query: SearchQuery
) -> None:
    threaded = backend.search(query)
    monkeypatch.setattr(embedded, "SEARCH_THREADS", 0)
    in_turn = backend.search(query)
    assert shown(threaded) == shown(in_turn)
    assert threaded.hits or not query.text  # the searches find something


def test_approximate_and_sampled_cases_are_exercised(backend: EmbeddedBackend) -> None:
    gated = backend.search(SEARCHES[0])
    assert gated.total_approximate and gated.facets_approximate and gated.facets["grade"]


def test_a_search_never_waits_behind_busy_search_threads(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "SEARCH_THREADS", 1)
    want = {q.text: shown(backend.search(q)) for q in SEARCHES}  # starts the one thread
    backend.close()  # closes the pool: the next search starts a new one with one thread
    release = threading.Event()
    backend._later(lambda: release.wait(30))  # the only search thread, busy until released
    try:
        start = time.monotonic()
        got = {q.text: shown(backend.search(q)) for q in SEARCHES}
        waited = time.monotonic() - start
    finally:
        release.set()
    assert got == want
    assert waited < 20  # the steps ran here, not after the busy thread
