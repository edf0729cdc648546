"""End to end through the real database, the durable job table and the Tantivy index.

Materials are created with the factories, get real ``text`` derivatives in the blob store, and
reach the index only through the outbox rows their transactions wrote (queue "index").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from repository import runtime as runtime_module
from repository.errors import Conflict, InvalidQuery, NotFound
from repository.models import Job, JobStatus, WorkflowState
from search.backends.embedded import EmbeddedBackend
from search.query import SearchQuery
from search.service import backend_for, build_tree, close_backend
from search.service import search as search_service
from search.tasks import check, reindex_all
from tests.search.helpers import SECRET_IDS_KEYS, nfd, populate, run_index_queue, set_state


@pytest.fixture
def search_runtime(runtime: Any) -> Iterator[Any]:
    yield runtime
    close_backend(runtime.settings)


@pytest.fixture
def ids(search_runtime: Any) -> dict[str, str]:
    return populate(search_runtime)


def _search(rt: Any, text: str = "", **kw: Any) -> Any:
    return search_service.search(rt.settings, None, SearchQuery(text, **kw))


def _ranked(rt: Any, text: str, **kw: Any) -> list[str]:
    return [h.id for h in _search(rt, text, **kw).hits]


class TestVietnameseQueries:
    def test_accent_case_and_nfd_variants_find_the_same_grade5_maths_first(
        self, search_runtime: Any, ids: dict[str, str]
    ) -> None:
        variants = ["toan lop 5", "Toán lớp 5", "TOÁN LỚP 5", nfd("Toán lớp 5")]
        results = [_ranked(search_runtime, v) for v in variants]
        grade5_maths = {ids["phan-so-5"], ids["hinh-tron-5"]}
        for ranked in results:
            assert set(ranked[:2]) == grade5_maths, ranked
        # Same set, same order for every spelling.
        assert all(r[:2] == results[0][:2] for r in results)

    def test_accented_query_ranks_exact_accent_matches_above_folded_ones(
        self, search_runtime: Any, ids: dict[str, str]
    ) -> None:
        # "mã" (code) and "ma" (ghost) fold to the same word; the tone decides.
        assert _ranked(search_runtime, "mã")[0] == ids["ma-tran-10"]
        assert _ranked(search_runtime, "ma")[0] == ids["ma-qui-10"]

    def test_page_hits_point_at_the_matching_page(self, search_runtime: Any, ids: dict[str, str]) -> None:
        hit = next(h for h in _search(search_runtime, "phan so thap phan").hits if h.id == ids["phan-so-5"])
        assert hit.pages
        assert hit.pages[0][0] == 2
        assert "<mark>" in hit.pages[0][1]


class TestVisibility:
    def test_no_unapproved_material_is_reachable(self, search_runtime: Any, ids: dict[str, str]) -> None:
        secret = {ids[k] for k in SECRET_IDS_KEYS}
        rt = search_runtime
        for q in ("", "phân số", "bí mật", "chờ duyệt", "toan lop 5", "Toán 5"):
            result = _search(rt, q, size=100)
            assert not secret & {h.id for h in result.hits}, q
            assert result.total == len(result.hits)
        everything = _search(rt, "", size=100)
        assert everything.total == len(ids) - len(secret)
        facets = {name: {v.value: v.count for v in vals} for name, vals in everything.facets.items()}
        assert facets["grade"]["5"] == 3  # phan-so, hinh-tron, tap-doc: not the draft or the submitted one
        assert "de-kiem-tra" not in facets["type"]
        assert "en" not in facets["language"]
        assert "chan-troi-sang-tao" not in facets["series"]
        suggestions = search_service.suggest(rt.settings, "toan lop 5 nang")
        suggestions += search_service.suggest(rt.settings, "bi mat")
        suggestions += search_service.suggest(rt.settings, "Bài bí")
        assert not secret & {s.id for s in suggestions}
        for key in SECRET_IDS_KEYS:
            with pytest.raises(NotFound):
                search_service.related(rt.settings, ids[key])
        related = search_service.related(rt.settings, ids["phan-so-5"], size=50)
        assert related
        assert not secret & {h.id for h in related}
        tree = search_service.browse(rt.settings)
        assert tree.total == len(ids) - len(secret)
        grade5 = next(g for g in tree.grades if g.value == "5")
        maths = next(s for s in grade5.children if s.value == "toan")
        assert grade5.count == 3
        assert maths.count == 2
        labels = {b.label for b in maths.children}
        assert "Chân trời sáng tạo" not in labels
        assert not any(c.label == "Chương bí mật" for b in maths.children for c in b.children)

    def test_withdrawing_removes_and_approving_adds(self, search_runtime: Any, ids: dict[str, str]) -> None:
        rt = search_runtime
        set_state(rt, ids["phan-so-5"], WorkflowState.withdrawn)
        assert ids["phan-so-5"] not in _ranked(rt, "phân số thập phân")
        set_state(rt, ids["nhap-toan-5"], WorkflowState.approved)
        assert ids["nhap-toan-5"] in _ranked(rt, "bí mật")
        assert check(rt) == {"missing": [], "stale": [], "orphaned": []}


class TestBrowse:
    def test_tree_follows_the_vocabularies_and_counts_approved_materials(
        self, search_runtime: Any, ids: dict[str, str]
    ) -> None:
        tree = search_service.browse(search_runtime.settings)
        assert [g.value for g in tree.grades] == [str(n) for n in range(1, 13)]
        grade5 = tree.grades[4]
        assert grade5.label == "Lớp 5"
        # Subjects taught in grade 5 appear even with nothing published yet.
        assert {"toan", "tieng-viet", "khoa-hoc"} <= {s.value for s in grade5.children}
        maths = next(s for s in grade5.children if s.value == "toan")
        assert maths.label == "Toán"
        books = [(b.value, b.volume, b.label, b.count) for b in maths.children]
        assert books == [
            ("ket-noi-tri-thuc", 1, "Kết nối tri thức với cuộc sống, tập 1", 1),
            ("canh-dieu", None, "Cánh Diều", 1),
        ]
        chapter = maths.children[0].children[0]
        assert (chapter.label, chapter.count) == ("Chương 1: Ôn tập và bổ sung về phân số", 1)
        assert chapter.children[0].label == "Bài 2: Phân số thập phân"
        # The count of a node is what the search it links to finds.
        assert _search(search_runtime, "", grades=[5], subjects=["toan"]).total == maths.count

    def test_narrowing_and_unknown_codes(self, search_runtime: Any, ids: dict[str, str]) -> None:
        del ids
        tree = search_service.browse(search_runtime.settings, grade=10, subject="tin-hoc")
        assert [(g.value, [s.value for s in g.children]) for g in tree.grades] == [("10", ["tin-hoc"])]
        with pytest.raises(InvalidQuery, match="unknown subject"):
            search_service.browse(search_runtime.settings, subject="toan-cao-cap")

    def test_build_tree_orders_lessons_naturally(self) -> None:
        from search.query import BrowseCounts

        paths = {
            (6, "toan", "", 0, "Chương 1", "Bài 10: Số nguyên tố"): 1,
            (6, "toan", "", 0, "Chương 1", "Bài 2: Tập hợp"): 2,
            (6, "toan", "", 0, "", ""): 1,
        }
        grades = build_tree(BrowseCounts(total=4, grades={6: 4}, paths=paths), grade=6, subject="toan")
        book = grades[0].children[0].children[0]
        assert book.label == "Không theo bộ sách"
        assert book.count == 4
        assert [c.label for c in book.children] == ["Chương 1", "Chưa xếp chương"]
        lessons = [lesson.label for lesson in book.children[0].children]
        assert lessons == ["Bài 2: Tập hợp", "Bài 10: Số nguyên tố"]


class TestProjection:
    def test_outbox_replays_after_a_crash_between_commit_and_indexing(self, search_runtime: Any) -> None:
        settings = search_runtime.settings
        ids = populate(search_runtime, run=False)  # committed; the index jobs never ran
        assert _search(search_runtime, "").total == 0
        # "Crash": drop every in-memory handle (runtime, index writer) as a killed process would.
        close_backend(settings)
        runtime_module.reset()
        restarted = runtime_module.configure(settings)
        report = check(restarted)
        assert sorted(report["missing"]) == sorted(ids.values())
        # One job runs and takes the other queued index jobs with it (coalescing).
        assert run_index_queue(restarted) == 1
        assert check(restarted) == {"missing": [], "stale": [], "orphaned": []}
        assert _ranked(restarted, "toan lop 5")[0] in {ids["phan-so-5"], ids["hinh-tron-5"]}
        with restarted.db.read() as session:
            statuses = set(session.scalars(select(Job.status).where(Job.queue == "index")))
        assert statuses == {JobStatus.done}

    def test_search_check_sees_state_changes_that_keep_the_version(
        self, search_runtime: Any, ids: dict[str, str]
    ) -> None:
        rt = search_runtime
        set_state(rt, ids["tap-doc-5"], WorkflowState.withdrawn, run=False)
        assert check(rt)["stale"] == [ids["tap-doc-5"]]
        # An indexed document whose material is gone from the database is orphaned.
        from search.documents import build_document

        backend_for(rt.settings).index([build_document({"id": "da-xoa", "metadata": {"title": "Đã xoá"}})])
        report = check(rt)
        assert report["orphaned"] == ["da-xoa"]
        assert report["missing"] == []
        run_index_queue(rt)
        backend_for(rt.settings).delete(["da-xoa"])
        assert check(rt) == {"missing": [], "stale": [], "orphaned": []}

    def test_reindex_gives_the_same_results_as_the_incremental_index(
        self, search_runtime: Any, ids: dict[str, str]
    ) -> None:
        del ids
        rt = search_runtime
        queries = [
            SearchQuery("toan lop 5"),
            SearchQuery("phân số", grades=[5]),
            SearchQuery("ma"),
            SearchQuery("", sort="newest", size=50),
            SearchQuery('"hình tròn"'),
            SearchQuery("hoc sinh -doc"),
        ]

        scores: list[list[float]] = []

        def snapshot() -> list[Any]:
            out = []
            for q in queries:
                r = search_service.search(rt.settings, None, q)
                hits = [(h.id, h.snippet, h.pages) for h in r.hits]
                scores.append([h.score for h in r.hits])
                out.append((r.total, hits, r.facets))
            tree = search_service.browse(rt.settings)
            return [*out, tree.model_dump()]

        before = snapshot()
        scores_before = scores[:]
        scores.clear()
        assert reindex_all(rt) == 8
        assert snapshot() == before
        # Scores within 2 %: BM25's document count includes deleted documents until segments
        # merge, and every commit replaces the index revision document (the result cache's key),
        # so an incremental index's statistics differ from a rebuilt one's in the fourth digit.
        # Order, snippets, pages, totals and facets must not differ at all.
        assert scores == [pytest.approx(s, rel=0.02) for s in scores_before]
        assert check(rt) == {"missing": [], "stale": [], "orphaned": []}


class TestSingleWriter:
    def test_a_second_writer_is_refused_and_readers_see_commits(self, search_runtime: Any) -> None:
        settings = search_runtime.settings
        assert search_service.open_indexer(settings)
        other = EmbeddedBackend(settings.index_dir)  # what another process would open
        try:
            with pytest.raises(Conflict, match="only one indexer"):
                other.index([])
            populate(search_runtime)
            other.refresh()
            assert other.count(public_only=True) == 6
        finally:
            other.close()

    def test_health_reports_the_backend(self, search_runtime: Any) -> None:
        health = search_service.health(search_runtime.settings)
        assert health == {"status": "ok", "backend": "embedded", "documents": 0, "public": 0}
