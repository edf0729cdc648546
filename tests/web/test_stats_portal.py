"""Portal statistics pages: curators' catalogue page, a material's page for its owner; SVG charts
readable without JavaScript, within the page budget, Vietnamese first."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Material, Role, UsageKind
from repository.stats.recorder import UsageRecorder, stats_day
from repository.uow import UnitOfWork
from search.service import close_backend
from tests.factories import create_user, token_for
from tests.search.helpers import populate
from tests.web.portal.test_pages import assert_vietnamese
from tests.web.test_usage_stats import CHROME, aggregate

# The portal's budget for a page before thumbnails is 60 KB transferred (bench/portal_budget.py);
# the statistics page alone, full, must leave most of it to the CSS and the rest.
PAGE_BUDGET_GZIP = 20 * 1024


@pytest.fixture
def ids(runtime: Any) -> Iterator[dict[str, str]]:
    found = populate(runtime)
    with UnitOfWork(runtime.db) as uow:
        create_user(uow.session, username="thay_toan", role=Role.curator)
        create_user(uow.session, username="co_lan", role=Role.teacher)
        # co_lan owns the grade-4 worksheet.
        m = uow.session.get(Material, found["nhan-4"])
        assert m is not None
        m.owner_id = create_user(uow.session, username="co_mai", role=Role.teacher).id
    recorder = UsageRecorder(runtime.db)
    now = datetime.now(UTC)
    for v in range(6):
        recorder.record(UsageKind.view, f"a:{v}", material_id=found["phan-so-5"], now=now)
        recorder.record(UsageKind.play, f"a:{v}", material_id=found["nhan-4"], now=now)
        recorder.record(UsageKind.search, f"a:{v}", query="<script>alert(1)</script>", results=0, now=now)
        recorder.record(UsageKind.search, f"a:{v}", query="phân số", results=3, now=now)
    recorder.flush()
    aggregate(runtime)
    yield found
    close_backend(runtime.settings)


def sign_in(client: TestClient, username: str) -> None:
    token = token_for(client, username)["Authorization"].split()[1]
    client.cookies.set("hl_session", f"x:{token}")


HTML = {"Accept": "text/html", "User-Agent": CHROME}


class TestCataloguePage:
    def test_curators_see_searches_gaps_and_most_used_with_svg_charts(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        sign_in(client, "thay_toan")
        got = client.get("/stats", headers={**HTML, "Accept-Encoding": "gzip"})
        assert got.status_code == 200
        page = got.text
        assert "Thống kê sử dụng" in page
        assert_vietnamese(page)  # no English left in the Vietnamese page
        assert "Tìm kiếm không có kết quả" in page
        # A search text is shown as text, never as markup.
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert f'href="/m/{ids["phan-so-5"]}"' in page
        assert page.count('<svg class="chart"') == 3
        assert re.search(r'<svg class="chart"[^>]*role="img"[^>]*aria-label="Lượt xem mỗi ngày', page)
        assert "<title>Lớp 5: 6</title>" in page
        raw = client.get("/stats", headers={**HTML, "Accept-Encoding": "identity"}).content
        assert len(gzip.compress(raw)) < PAGE_BUDGET_GZIP
        assert client.get("/stats?lang=en", headers=HTML).text.count("Searches that found nothing") == 1

    def test_filters_by_grade_and_subject_and_weeks(self, client: TestClient, ids: dict[str, str]) -> None:
        sign_in(client, "thay_toan")
        page = client.get("/stats?grade=4", headers=HTML).text
        assert f'href="/m/{ids["phan-so-5"]}"' not in page
        year, week, _ = stats_day().isocalendar()
        page = client.get(f"/stats?week={year - 1}-W{week:02d}", headers=HTML).text
        assert ">phân số</a>" not in page  # nothing was searched a year ago
        assert ">phân số</a>" in client.get(f"/stats?week={year}-W{week:02d}", headers=HTML).text
        got = client.get("/stats?week=2026-W77", headers=HTML)
        assert got.status_code == 400
        assert "2026-W49" in got.text

    def test_teachers_students_and_visitors_do_not(self, client: TestClient, ids: dict[str, str]) -> None:
        assert client.get("/stats", headers=HTML, follow_redirects=False).status_code == 303
        sign_in(client, "co_lan")
        assert client.get("/stats", headers=HTML).status_code == 403
        assert 'href="/stats"' not in client.get("/", headers=HTML).text
        sign_in(client, "thay_toan")
        assert 'href="/stats"' in client.get("/", headers=HTML).text


class TestMaterialPage:
    def test_the_owner_sees_the_counts_of_their_material(
        self, client: TestClient, ids: dict[str, str]
    ) -> None:
        sign_in(client, "co_mai")
        page = client.get(f"/m/{ids['nhan-4']}", headers=HTML).text
        assert f'href="/stats/m/{ids["nhan-4"]}"' in page
        got = client.get(f"/stats/m/{ids['nhan-4']}", headers=HTML)
        assert got.status_code == 200
        assert got.text.count('<svg class="chart"') == 3
        assert "<strong>6</strong>lượt phát video/âm thanh" in got.text
        assert_vietnamese(got.text)
        assert client.get(f"/stats/m/{ids['nhan-4']}?days=90", headers=HTML).status_code == 200
        assert client.get(f"/stats/m/{ids['nhan-4']}?days=5000", headers=HTML).status_code == 422

    def test_other_teachers_and_visitors_do_not(self, client: TestClient, ids: dict[str, str]) -> None:
        assert (
            client.get(f"/stats/m/{ids['nhan-4']}", headers=HTML, follow_redirects=False).status_code == 303
        )
        assert 'href="/stats/m/' not in client.get(f"/m/{ids['nhan-4']}", headers=HTML).text
        sign_in(client, "co_lan")
        assert 'href="/stats/m/' not in client.get(f"/m/{ids['nhan-4']}", headers=HTML).text
        assert client.get(f"/stats/m/{ids['nhan-4']}", headers=HTML).status_code == 403
        sign_in(client, "thay_toan")
        assert client.get(f"/stats/m/{ids['nhan-4']}", headers=HTML).status_code == 200
