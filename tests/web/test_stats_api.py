"""``/api/v1/stats/...``: reports, CSV, who may read them, bad input."""

from __future__ import annotations

import csv
import io
from base64 import b64encode
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.client.schemas import ClientCreate
from repository.client.service import api_clients
from repository.models import Role, UsageKind
from repository.stats.recorder import UsageRecorder, stats_day
from repository.uow import UnitOfWork
from search.service import close_backend
from tests.factories import create_user, token_for
from tests.search.helpers import populate
from tests.web.test_usage_stats import aggregate


@pytest.fixture
def ids(runtime: Any) -> Iterator[dict[str, str]]:
    found = populate(runtime)
    with UnitOfWork(runtime.db) as uow:
        create_user(uow.session, username="thay_toan", role=Role.curator)
        create_user(uow.session, username="co_lan", role=Role.teacher)
        create_user(uow.session, username="hoc_sinh", role=Role.student)
    recorder = UsageRecorder(runtime.db)
    now = datetime.now(UTC)
    views = {"phan-so-5": 5, "tap-doc-5": 3, "ma-tran-10": 2, "nhap-toan-5": 7}  # the last is a draft
    for key, n in views.items():
        for v in range(n):
            recorder.record(UsageKind.view, f"a:{v}", material_id=found[key], now=now)
    recorder.record(UsageKind.download, "a:1", material_id=found["phan-so-5"], now=now - timedelta(days=1))
    for v in range(3):
        recorder.record(UsageKind.search, f"a:{v}", query="phân số", results=4, now=now)
        recorder.record(UsageKind.search, f"a:{v}", query="quang hợp", results=0, now=now)
    recorder.record(UsageKind.search, "a:9", query='=hyperlink("http://x")', results=0, now=now)
    recorder.record(UsageKind.search, "a:8", query='=hyperlink("http://x")', results=0, now=now)
    recorder.record(UsageKind.search, "a:1", query="nguyễn thị hoa 5a", results=0, now=now)  # once: hidden
    recorder.flush()
    aggregate(runtime)
    yield found
    close_backend(runtime.settings)


def client_token(client: TestClient, runtime: Any, scopes: list[str]) -> dict[str, str]:
    with UnitOfWork(runtime.db) as uow:
        admin = create_user(uow.session, username=f"qt_{len(scopes)}_{scopes[0][:5]}", role=Role.admin)
        vendor, secret = api_clients.create(uow.session, admin, ClientCreate(name="Sở GD", scopes=scopes))
        client_id = vendor.id
    basic = b64encode(f"{client_id}:{secret}".encode()).decode()
    got = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['access_token']}"}


class TestReports:
    def test_summary_counts_days_grades_and_subjects(self, client: TestClient, ids: dict[str, str]) -> None:
        body = client.get("/api/v1/stats/summary", headers=token_for(client, "thay_toan")).json()
        # The draft's views are counted too (a material's usage is usage), the catalogue's totals.
        assert body["total"]["view"] == 17
        assert body["total"]["download"] == 1
        assert body["total"]["search"] == 9
        assert len(body["days"]) == 30
        assert body["days"][-1]["day"] == stats_day().isoformat()
        grades = {g["value"]: g["view"] for g in body["grades"]}
        assert grades == {"5": 15, "10": 2}
        subjects = {g["value"]: g["view"] for g in body["subjects"]}
        assert subjects == {"toan": 12, "tieng-viet": 3, "tin-hoc": 2}

    def test_most_used_materials_per_grade_and_subject_are_approved_ones(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        headers = token_for(client, "thay_toan")
        body = client.get("/api/v1/stats/materials", headers=headers).json()
        assert [(m["id"], m["count"]) for m in body["items"]] == [
            (ids["phan-so-5"], 5),
            (ids["tap-doc-5"], 3),
            (ids["ma-tran-10"], 2),
        ]
        body = client.get("/api/v1/stats/materials?grade=5&subject=toan", headers=headers).json()
        assert [m["id"] for m in body["items"]] == [ids["phan-so-5"]]
        body = client.get("/api/v1/stats/materials?grade=10", headers=headers).json()
        assert [m["id"] for m in body["items"]] == [ids["ma-tran-10"]]
        body = client.get("/api/v1/stats/materials?kind=download", headers=headers).json()
        assert [(m["id"], m["count"]) for m in body["items"]] == [(ids["phan-so-5"], 1)]

    def test_top_and_zero_result_searches_leave_out_texts_typed_once(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        year, week, _ = stats_day().isocalendar()
        headers = token_for(client, "thay_toan")
        body = client.get(f"/api/v1/stats/searches?week={year}-W{week:02d}", headers=headers).json()
        assert [(t["query"], t["searches"], t["zero_results"]) for t in body["top"]] == [
            ("phân số", 3, 0),
            ("quang hợp", 3, 3),
            ('=hyperlink("http://x")', 2, 2),
        ]
        assert [t["query"] for t in body["zero_results"]] == ["quang hợp", '=hyperlink("http://x")']
        assert "nguyễn" not in str(body)

    def test_a_materials_days(self, client: TestClient, ids: dict[str, str]) -> None:
        start = (stats_day() - timedelta(days=1)).isoformat()
        url = f"/api/v1/stats/materials/{ids['phan-so-5']}?from={start}&to={stats_day().isoformat()}"
        body = client.get(url, headers=token_for(client, "quan_tri")).json()
        assert [(d["day"], d["view"], d["download"]) for d in body["days"]] == [
            (start, 0, 1),
            (stats_day().isoformat(), 5, 0),
        ]
        assert body["total"]["view"] == 5


class TestCsv:
    def test_csv_is_utf8_with_a_header_and_formulas_made_inert(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        got = client.get("/api/v1/stats/searches?format=csv", headers=token_for(client, "thay_toan"))
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/csv")
        assert got.headers["content-disposition"].startswith("attachment; filename=")
        text = got.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0] == ["list", "query", "searches", "zero_results"]
        assert ["top", "phân số", "3", "0"] in rows
        assert ["zero_results", '\'=hyperlink("http://x")', "2", "2"] in rows
        assert not any(cell.startswith("=") for row in rows for cell in row)

    def test_material_and_summary_csv(self, client: TestClient, ids: dict[str, str]) -> None:
        headers = token_for(client, "quan_tri")
        got = client.get(f"/api/v1/stats/materials/{ids['tap-doc-5']}?format=csv", headers=headers)
        rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
        assert rows[0] == ["day", "view", "play", "download"]
        assert rows[-1] == [stats_day().isoformat(), "3", "0", "0"]
        got = client.get("/api/v1/stats/summary?format=csv", headers=headers)
        rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
        assert ["grade:10", "2", "0", "0", ""] in rows
        got = client.get("/api/v1/stats/materials?format=csv&grade=5", headers=headers)
        rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
        assert rows[1][0] == ids["phan-so-5"] and rows[1][-1] == "5"


class TestWhoMayRead:
    def test_api_clients_need_stats_read(self, client: TestClient, runtime: Any, ids: dict[str, str]) -> None:
        reader = client_token(client, runtime, ["stats:read"])
        assert client.get("/api/v1/stats/summary", headers=reader).status_code == 200
        assert client.get(f"/api/v1/stats/materials/{ids['phan-so-5']}", headers=reader).status_code == 200
        # A draft is nobody's business outside its owner and curators.
        assert client.get(f"/api/v1/stats/materials/{ids['nhap-toan-5']}", headers=reader).status_code == 404
        other = client_token(client, runtime, ["materials:read"])
        got = client.get("/api/v1/stats/summary", headers=other)
        assert got.status_code == 403
        assert "stats:read" in got.text
        # ...and a stats client reads nothing else.
        assert client.get("/api/v1/materials", headers=reader).status_code == 403

    def test_teachers_and_students_do_not_read_the_catalogue(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        for who in ("co_lan", "hoc_sinh"):
            for url in ("/api/v1/stats/summary", "/api/v1/stats/searches", "/api/v1/stats/materials"):
                assert client.get(url, headers=token_for(client, who)).status_code == 403
            got = client.get(f"/api/v1/stats/materials/{ids['phan-so-5']}", headers=token_for(client, who))
            assert got.status_code == 403  # public material, not theirs
        assert client.get("/api/v1/stats/summary").status_code == 401


class TestBadInput:
    @pytest.mark.parametrize(
        ("query", "status"),
        [
            ("/api/v1/stats/summary?from=2026-12-05&to=2026-12-01", 400),
            ("/api/v1/stats/summary?from=2024-01-01&to=2026-01-01", 400),
            ("/api/v1/stats/summary?from=2026-02-30", 422),
            ("/api/v1/stats/summary?from=9999-12-31", 400),
            ("/api/v1/stats/summary?to=0001-01-01", 400),
            ("/api/v1/stats/summary?from=9999-12-01&to=9999-12-31", 200),
            ("/api/v1/stats/summary?format=xml", 422),
            ("/api/v1/stats/searches?week=2026-W60", 400),
            ("/api/v1/stats/searches?week=abc", 400),
            ("/api/v1/stats/searches?week=2026-W49-1234", 422),
            ("/api/v1/stats/materials?grade=13", 422),
            ("/api/v1/stats/materials?kind=search", 422),
            ("/api/v1/stats/materials?limit=100000", 422),
            ("/api/v1/stats/materials/khong-co", 404),
            ("/api/v1/stats/materials/%00", 400),
        ],
    )
    def test_refused_with_a_message(
        self, client: TestClient, ids: dict[str, str], query: str, status: int
    ) -> None:
        got = client.get(query, headers=token_for(client, "quan_tri"))
        assert got.status_code == status, got.text
        if status >= 400:
            assert got.json()["error"]["message"]
