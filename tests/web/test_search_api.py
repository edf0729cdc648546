"""The search API and the search CLI, end to end (real DB, job table, Tantivy, HTTP via TestClient)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from repository.models import WorkflowState
from search.backends.embedded import EmbeddedBackend
from search.service import close_backend
from tests.search.helpers import SECRET_IDS_KEYS, nfd, populate, set_state


@pytest.fixture
def ids(runtime: Any) -> Iterator[dict[str, str]]:
    yield populate(runtime)
    close_backend(runtime.settings)


class TestSearchEndpoint:
    def test_response_shape_with_labelled_facets(self, client: TestClient, ids: dict[str, str]) -> None:
        r = client.get("/api/v1/search", params={"q": "phân số thập phân"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {
            "total",
            "hits",
            "facets",
            "suggestion",
            "total_approximate",
            "facets_approximate",
        }
        assert body["total_approximate"] is False
        assert body["facets_approximate"] is False
        hit = body["hits"][0]
        assert hit["id"] == ids["phan-so-5"]
        assert set(hit) == {"id", "title", "snippet", "grades", "subjects", "type", "thumbnail", "pages"}
        assert "<mark>" in hit["snippet"]
        assert hit["grades"] == [5]
        assert hit["subjects"] == ["toan"]
        assert hit["pages"][0]["page"] == 2
        assert "<mark>" in hit["pages"][0]["snippet"]
        assert set(body["facets"]) == {"grade", "subject", "type", "series", "language", "organisation"}
        # Facets count every match; with ranked partial matching that includes materials that
        # hold only some of the words, so the exact counts come from a phrase.
        phrase = client.get("/api/v1/search", params={"q": '"phân số thập phân"'}).json()
        assert {"value": "5", "label": "Lớp 5", "count": 1} in phrase["facets"]["grade"]
        assert {"value": "toan", "label": "Toán", "count": 1} in phrase["facets"]["subject"]
        assert phrase["total"] == 1
        assert body["total"] > 1

    def test_accent_free_nfd_and_upper_case_queries_agree(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        firsts = []
        for q in ("toan lop 5", "Toán lớp 5", "TOÁN LỚP 5", nfd("Toán lớp 5")):
            hits = client.get("/api/v1/search", params={"q": q}).json()["hits"]
            firsts.append([h["id"] for h in hits[:2]])
        assert all(f == firsts[0] for f in firsts)
        assert set(firsts[0]) == {ids["phan-so-5"], ids["hinh-tron-5"]}

    def test_filters_combine_and_facets_respect_the_other_filters(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        del ids
        body = client.get("/api/v1/search", params=[("grade", 5), ("grade", 4), ("subject", "toan")]).json()
        assert body["total"] == 3
        # The grade facet ignores its own filter (other grades stay choosable) but keeps subject.
        assert {f["value"]: f["count"] for f in body["facets"]["grade"]} == {"5": 2, "4": 1}

    @pytest.mark.parametrize(
        ("params", "status", "needle"),
        [
            ({"grade": "abc"}, 422, "grade"),
            ({"grade": 13}, 422, "grade"),
            ({"sort": "oldest"}, 422, "sort"),
            ({"size": 1000}, 422, "size"),
            ({"page": 0}, 422, "page"),
            ({"q": "x" * 1001}, 422, "q"),
            ({"subject": "toan-cao-cap"}, 400, "known values"),
            ({"type": "sach"}, 400, "unknown type"),
            ({"page": 500, "size": 100}, 400, "first 10000"),
        ],
    )
    def test_bad_parameters_get_clear_4xx(
        self, client: TestClient, params: dict[str, Any], status: int, needle: str
    ) -> None:
        r = client.get("/api/v1/search", params=params)
        assert r.status_code == status, r.text
        assert needle in r.json()["error"]["message"]

    def test_odd_user_syntax_never_fails(self, client: TestClient, ids: dict[str, str]) -> None:
        del ids
        for q in ('"', "c++ (", "AND OR NOT", "*", "toan -", "-", "đ" * 300):
            assert client.get("/api/v1/search", params={"q": q}).status_code == 200, q
        # A NUL byte is refused before any work, like in every other field (issue 9).
        assert client.get("/api/v1/search", params={"q": "\x00"}).status_code == 400


class TestOtherEndpoints:
    def test_suggest_related_browse(self, client: TestClient, ids: dict[str, str]) -> None:
        s = client.get("/api/v1/suggest", params={"q": "hinh tr"}).json()["suggestions"]
        expected = {"text": "Hình tròn, đường tròn", "kind": "title", "id": ids["hinh-tron-5"], "value": None}
        assert s[0] == expected
        related = client.get(f"/api/v1/materials/{ids['phan-so-5']}/related").json()["hits"]
        assert related
        assert ids["phan-so-5"] not in {h["id"] for h in related}
        tree = client.get("/api/v1/browse", params={"grade": 5}).json()
        assert tree["grades"][0]["label"] == "Lớp 5"
        assert tree["grades"][0]["count"] == 3
        assert client.get("/api/v1/browse", params={"grade": 0}).status_code == 422
        assert client.get("/api/v1/browse", params={"subject": "x"}).status_code == 400

    def test_nothing_unapproved_leaks_through_the_api(self, client: TestClient, ids: dict[str, str]) -> None:
        secret = {ids[k] for k in SECRET_IDS_KEYS}
        seen = json.dumps(
            [
                client.get("/api/v1/search", params={"q": q, "size": 100}).json()
                for q in ("", "bí mật", "chờ duyệt", "toán lớp 5")
            ]
            + [client.get("/api/v1/suggest", params={"q": q}).json() for q in ("toan", "bi", "Bài")]
            + [client.get("/api/v1/browse").json()],
            ensure_ascii=False,
        )
        assert not any(i in seen for i in secret)
        assert "bí mật" not in seen
        assert "chờ duyệt" not in seen.lower()
        for i in secret:
            assert client.get(f"/api/v1/materials/{i}/related").status_code == 404

    def test_health_has_the_search_component(self, client: TestClient, ids: dict[str, str]) -> None:
        r = client.get("/api/v1/health")
        assert r.status_code == 200
        assert r.json()["components"]["search"] == {
            "status": "ok",
            "backend": "embedded",
            "documents": len(ids),
            "public": 6,
        }


class TestServingProcessIsTheIndexer:
    def test_in_process_runner_indexes_and_the_cli_reindex_refuses(self, runtime: Any) -> None:
        from web.app import create_app
        from web.cli import main

        app = create_app(runtime.settings, runtime=runtime, run_worker=True)
        with TestClient(app) as client:
            ids = populate(runtime, run=False)  # the server's own runner applies the outbox
            deadline = time.monotonic() + 20
            while client.get("/api/v1/search").json()["total"] < 6 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert client.get("/api/v1/search").json()["total"] == 6
            # Another process cannot write while the server holds the writer.
            other = EmbeddedBackend(runtime.settings.index_dir)
            try:
                with pytest.raises(Exception, match="only one indexer"):
                    other.index([])
            finally:
                other.close()
            del ids
        # Server stopped: the writer is free, and the CLI can rebuild.
        result = CliRunner().invoke(main, ["reindex"])
        assert result.exit_code == 0, result.output
        assert "reindexed 8 materials" in result.output

    def test_reindex_refuses_while_another_process_holds_the_writer(self, runtime: Any) -> None:
        from web.cli import main

        holder = EmbeddedBackend(runtime.settings.index_dir)
        holder.open_writer()
        try:
            result = CliRunner().invoke(main, ["reindex"])
        finally:
            holder.close()
        assert result.exit_code == 1
        assert "single writer: stop `hoclieu serve`" in result.output

    def test_search_check_exit_codes(self, runtime: Any) -> None:
        from web.cli import main

        ids = populate(runtime)
        close_backend(runtime.settings)
        ok = CliRunner().invoke(main, ["search-check"])
        assert ok.exit_code == 0, ok.output
        assert "matches the database" in ok.output
        set_state(runtime, ids["tap-doc-5"], WorkflowState.withdrawn, run=False)
        close_backend(runtime.settings)
        off = CliRunner().invoke(main, ["search-check", "--json"])
        assert off.exit_code == 1
        assert json.loads(off.output.strip().splitlines()[-1])["stale"] == [ids["tap-doc-5"]]
