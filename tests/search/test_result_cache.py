"""The embedded backend's result cache: repeated queries are served from memory, never stale."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repository.errors import NotFound
from search.backends._cache import ResultCache
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery
from tests.search.test_backend_contract import CORPUS, material


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index", cache_size=16)
    b.index(build_document(m) for m in CORPUS)
    b.refresh()
    yield b
    b.close()


def ids(backend: EmbeddedBackend, text: str, **kw: Any) -> list[str]:
    return [h.id for h in backend.search(SearchQuery(text, **kw)).hits]


class TestResultCache:
    def test_repeated_query_is_served_from_the_cache(self, backend: EmbeddedBackend) -> None:
        first = backend.search(SearchQuery("toán lớp 5"))
        hits_before = backend._cache.hits
        # The same query however typed: spacing, case, NFD, filters in another order.
        again = backend.search(SearchQuery("  TOÁN   lớp 5 "))
        nfd = backend.search(SearchQuery(unicodedata.normalize("NFD", "Toán lớp 5")))
        assert backend._cache.hits == hits_before + 2
        assert again == first == nfd

    def test_filters_and_paging_are_part_of_the_key(self, backend: EmbeddedBackend) -> None:
        everything = ids(backend, "toán", size=50)
        grade5 = ids(backend, "toán", grades=[5], size=50)
        assert set(grade5) < set(everything)
        page1, page2 = ids(backend, "toán", size=1), ids(backend, "toán", size=1, page=2)
        assert page1 != page2
        assert set(page1 + page2) <= set(everything)

    def test_a_taken_down_material_never_comes_from_the_cache(self, backend: EmbeddedBackend) -> None:
        assert ids(backend, "quang hợp")[0] == "quang-hop"
        assert ids(backend, "quang hợp")[0] == "quang-hop"  # now cached
        taken_down = next(m for m in CORPUS if m["id"] == "quang-hop") | {"state": "draft", "version": 2}
        backend.index([build_document(taken_down)])
        backend.refresh()
        assert "quang-hop" not in ids(backend, "quang hợp")
        assert backend.search(SearchQuery("quang hợp")).total == 0

    def test_every_kind_of_index_change_makes_a_new_revision(self, backend: EmbeddedBackend) -> None:
        seen = {backend.revision()}
        backend.index([build_document(material("moi", "Bài mới về quang hợp"))])
        backend.refresh()
        seen.add(backend.revision())
        assert "moi" in ids(backend, "quang hợp")
        backend.delete(["moi"])
        backend.refresh()
        seen.add(backend.revision())
        assert "moi" not in ids(backend, "quang hợp")
        backend.reindex(build_document(m) for m in CORPUS[:3])
        backend.refresh()
        seen.add(backend.revision())
        assert ids(backend, "quang hợp") == []
        backend.clear()
        backend.refresh()
        seen.add(backend.revision())
        assert backend.search(SearchQuery("")).total == 0
        assert None not in seen
        assert len(seen) == 5

    def test_a_reader_in_another_handle_never_serves_a_stale_result(
        self, backend: EmbeddedBackend, tmp_path: Path
    ) -> None:
        # A web process reads through its own handle while the indexer (``backend``) writes.
        reader = EmbeddedBackend(tmp_path / "index", cache_size=16)
        assert ids(reader, "quang hợp")[0] == "quang-hop"
        backend.delete(["quang-hop"])
        reader.refresh()
        assert "quang-hop" not in ids(reader, "quang hợp")

    def test_size_zero_turns_it_off(self, tmp_path: Path) -> None:
        b = EmbeddedBackend(tmp_path / "off", cache_size=0)
        b.index(build_document(m) for m in CORPUS)
        b.refresh()
        b.search(SearchQuery("toán"))
        b.search(SearchQuery("toán"))
        assert b._cache.hits == b._cache.misses == 0
        b.close()

    def test_lru_keeps_the_most_recent_entries(self) -> None:
        cache: ResultCache[object] = ResultCache(2)
        for key in ("a", "b", "a", "c"):
            if cache.get(key) is None:
                cache.put(key, object())
        assert cache.get("b") is None
        assert cache.get("a") is not None
        assert cache.get("c") is not None


def spy_on_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passes every searcher runs from now on: ``"count"`` for a counting search,
    ``"search"`` for another, ``"aggregate"`` for an aggregation."""
    passes: list[str] = []
    original = EmbeddedBackend._searcher

    def searcher(self: EmbeddedBackend) -> Any:
        s = original(self)

        class Spy:
            def __getattr__(self, name: str) -> Any:
                return getattr(s, name)

            def search(self, q: Any, *args: Any, **kw: Any) -> Any:
                passes.append("count" if kw.get("count") else "search")
                return s.search(q, *args, **kw)

            def aggregate(self, q: Any, *args: Any, **kw: Any) -> Any:
                passes.append("aggregate")
                return s.aggregate(q, *args, **kw)

        return Spy()

    monkeypatch.setattr(EmbeddedBackend, "_searcher", searcher)
    return passes


def test_counts_are_remembered_per_revision_and_follow_every_change(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes = spy_on_searches(monkeypatch)
    n, public = backend.count(), backend.count(public_only=True)
    assert (n, public) == (len(CORPUS), len(CORPUS) - 1)
    passes.clear()
    assert (backend.count(), backend.count(public_only=True)) == (n, public)
    assert "count" not in passes  # the same revision: nothing counted again
    extra = material("them-moi", "Bài mới về phân số", grades=[5], subjects=["toan"])
    backend.index([build_document(extra)])
    backend.refresh()
    assert (backend.count(), backend.count(public_only=True)) == (n + 1, public + 1)
    taken_down = material("them-moi", "Bài mới về phân số", grades=[5], subjects=["toan"], state="draft")
    backend.index([build_document(taken_down)])
    backend.refresh()
    assert (backend.count(), backend.count(public_only=True)) == (n + 1, public)
    backend.delete(["them-moi"])
    backend.refresh()
    assert (backend.count(), backend.count(public_only=True)) == (n, public)


def test_browse_is_remembered_per_revision_and_follows_every_change(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The portal's home and grade pages show these counts on every visit.
    passes = spy_on_searches(monkeypatch)
    everyone, students = backend.browse(), backend.browse(students_only=True)
    assert everyone.total == len(CORPUS) - 1  # public materials only
    grade5 = everyone.grades.get(5, 0)
    passes.clear()
    assert (backend.browse(), backend.browse(students_only=True)) == (everyone, students)
    assert passes.count("aggregate") == 0  # the same revision: nothing counted again
    extra = material("them-moi", "Bài mới về phân số", grades=[5], subjects=["toan"])
    backend.index([build_document(extra)])
    backend.refresh()
    after = backend.browse()
    assert (after.total, after.grades[5]) == (everyone.total + 1, grade5 + 1)
    assert backend.browse(students_only=True).total == students.total + 1
    taken_down = material("them-moi", "Bài mới về phân số", grades=[5], subjects=["toan"], state="draft")
    backend.index([build_document(taken_down)])
    backend.refresh()
    assert (backend.browse(), backend.browse(students_only=True)) == (everyone, students)
    backend.index([build_document(extra)])
    backend.refresh()
    backend.delete(["them-moi"])
    backend.refresh()
    assert (backend.browse(), backend.browse(students_only=True)) == (everyone, students)


def test_suggestions_are_remembered_per_revision_and_follow_every_change(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every visitor types "t", "to", "toa": the same prefixes, the same completions.
    passes = spy_on_searches(monkeypatch)

    def titles(prefix: str) -> list[str]:
        return [s.text for s in backend.suggest(prefix) if s.kind == "title"]

    first = titles("phân")
    assert first
    passes.clear()
    assert titles("phân") == titles("  PHÂN ") == titles(unicodedata.normalize("NFD", "phân")) == first
    assert passes == ["search"] * 3  # each only looked up the index revision
    extra = material("them-moi", "Phân thức đại số nâng cao", grades=[8], subjects=["toan"])
    backend.index([build_document(extra)])
    backend.refresh()
    assert "Phân thức đại số nâng cao" in titles("phân")
    taken_down = material(
        "them-moi", "Phân thức đại số nâng cao", grades=[8], subjects=["toan"], state="draft"
    )
    backend.index([build_document(taken_down)])
    backend.refresh()
    assert titles("phân") == first


def test_related_materials_are_remembered_per_revision_and_follow_every_change(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A material page shows its related materials on every visit.
    passes = spy_on_searches(monkeypatch)

    def related(ident: str, **kw: Any) -> list[str]:
        return [h.id for h in backend.related(ident, **kw)]

    first = related("phan-so-5")
    assert first
    passes.clear()
    assert related("phan-so-5") == first
    assert passes == ["search"]  # only the index revision was looked up
    assert related("phan-so-5", size=2) == first[:2]  # another size, another entry
    extra = material("them-moi", "Phân số và số thập phân", grades=[5], subjects=["toan"])
    backend.index([build_document(extra)])
    backend.refresh()
    assert "them-moi" in related("phan-so-5", size=20)
    shown = first[0]
    backend.delete([shown])
    backend.refresh()
    assert shown not in related("phan-so-5", size=20)
    backend.delete(["phan-so-5"])
    backend.refresh()
    with pytest.raises(NotFound):
        backend.related("phan-so-5")


def test_a_flood_of_distinct_asks_keeps_every_cache_bounded(backend: EmbeddedBackend) -> None:
    # A client asking for thousands of prefixes and made-up material ids, each once, to fill
    # the server's memory: the caches keep their size, and a refused ask is never kept.
    for i in range(200):
        backend.suggest(f"phân {i} x{i}")
        with pytest.raises(NotFound):
            backend.related(f"khong-co-{i}")
    assert len(backend._suggested._entries) == backend._suggested.size == 16
    assert len(backend._related._entries) == 0
    assert [h.id for h in backend.related("phan-so-5")]  # the real ones still answer
