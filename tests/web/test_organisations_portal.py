"""The portal's organisation pages: the public list and page (Vietnamese and English), the team
page, and a manager's invitations and removals through plain forms (no JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.portal.test_pages import assert_vietnamese, text_of
from tests.web.test_organisations_api import ORG, publish_two, team  # noqa: F401  (fixture)


def portal_sign_in(client: TestClient, username: str) -> None:
    from tests.factories import PASSWORD
    from tests.web.portal.conftest import csrf_of

    client.cookies.clear()
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def web(app: Any) -> Iterator[TestClient]:
    """A browser's view: HTTPS (the portal's cookies are Secure) and HTML wanted."""
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


@pytest.fixture
def published(runtime: Any, team: dict[str, Any], client: TestClient) -> dict[str, str]:  # noqa: F811
    client.post(
        "/api/v1/organisations/dhsp-ha-noi/members", json={"username": "co_hoa"}, headers=team["co_nga"]
    )
    return publish_two(runtime)


class TestPublicPages:
    def test_the_list_and_the_page_in_vietnamese_and_english(
        self, client: TestClient, published: dict[str, str]
    ) -> None:
        listing = client.get("/o")
        assert listing.status_code == 200
        text = assert_vietnamese(listing.text)
        assert ORG["name"] in text
        assert "1 học liệu" in text
        page = client.get("/o/dhsp-ha-noi")
        assert page.status_code == 200
        text = assert_vietnamese(page.text)
        assert "Trường đại học, khoa sư phạm" in text
        assert "Lớp 5" in text
        assert "Toán" in text
        assert f'href="/m/{published["ours"]}"' in page.text
        assert f'href="/m/{published["solo"]}"' not in page.text  # not the organisation's
        assert 'href="/search?organisation=dhsp-ha-noi"' in page.text
        material = client.get(f"/m/{published['ours']}").text
        assert '<a href="/o/dhsp-ha-noi">' + ORG["name"] + "</a>" in material
        assert (
            '<link rel="alternate" type="application/json" href="/api/v1/organisations/dhsp-ha-noi"'
            in page.text
        )
        # Anonymous visitors do not get a link to the team.
        assert "/o/dhsp-ha-noi/members" not in page.text
        english = client.get("/o/dhsp-ha-noi?lang=en")
        lang, text = text_of(english.text)
        assert lang == "en"
        assert "University or pedagogy faculty" in text
        assert "Grade 5" in text

    def test_an_unknown_organisation_is_a_404_page(self, client: TestClient) -> None:
        response = client.get("/o/khong-co", headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert 'lang="vi"' in response.text

    def test_search_filters_by_organisation_in_the_portal(
        self, runtime: Any, client: TestClient, published: dict[str, str]
    ) -> None:
        from search.service import close_backend
        from tests.search.helpers import run_index_queue

        try:
            run_index_queue(runtime)
            everything = client.get("/search", params={"q": "phân số"}).text
            assert 'name="organisation" value="dhsp-ha-noi"' in everything
            assert ORG["name"] in everything
            only = client.get("/search", params={"organisation": "dhsp-ha-noi"}).text
            assert f'href="/m/{published["ours"]}"' in only
            assert f'href="/m/{published["solo"]}"' not in only
        finally:
            close_backend(runtime.settings)


class TestTeamPage:
    def test_a_manager_invites_and_removes_through_forms(
        self,
        client: TestClient,
        web: TestClient,
        team: dict[str, Any],  # noqa: F811
    ) -> None:
        from tests.web.portal.conftest import csrf_of

        portal_sign_in(web, "co_nga")
        page = web.get("/o/dhsp-ha-noi/members")
        assert page.status_code == 200
        assert_vietnamese(page.text)
        assert "Mời thành viên" in page.text
        invited = web.post(
            "/o/dhsp-ha-noi/members",
            data={"username": "co_hoa", "role": "member", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert invited.status_code == 303
        members = client.get("/api/v1/organisations/dhsp-ha-noi/members", headers=team["co_nga"]).json()
        assert {m["username"] for m in members} == {"co_nga", "co_hoa"}
        page = web.get("/o/dhsp-ha-noi/members")
        # A wrong role is a readable 422 page, not a 500.
        bad = web.post(
            "/o/dhsp-ha-noi/members/co_hoa",
            data={"role": "chu-tich", "csrf_token": csrf_of(page.text)},
            headers={"Accept": "text/html"},
        )
        assert bad.status_code == 422
        removed = web.post(
            "/o/dhsp-ha-noi/members/co_hoa",
            data={"action": "remove", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert removed.status_code == 303
        members = client.get("/api/v1/organisations/dhsp-ha-noi/members", headers=team["co_nga"]).json()
        assert [m["username"] for m in members] == ["co_nga"]

    def test_a_form_without_its_csrf_token_changes_nothing(
        self,
        client: TestClient,
        web: TestClient,
        team: dict[str, Any],  # noqa: F811
    ) -> None:
        portal_sign_in(web, "co_nga")
        refused = web.post(
            "/o/dhsp-ha-noi/members", data={"username": "co_hoa"}, headers={"Accept": "text/html"}
        )
        assert refused.status_code == 403
        members = client.get("/api/v1/organisations/dhsp-ha-noi/members", headers=team["co_nga"]).json()
        assert [m["username"] for m in members] == ["co_nga"]

    def test_outsiders_do_not_see_the_team(self, web: TestClient, team: dict[str, Any]) -> None:  # noqa: F811
        portal_sign_in(web, "co_lan")
        assert web.get("/o/dhsp-ha-noi/members").status_code == 403
        web.cookies.clear()
        anonymous = web.get("/o/dhsp-ha-noi/members", follow_redirects=False)
        assert anonymous.status_code == 303


class TestImportPage:
    def _post(self, web: TestClient, data: dict[str, str], archive: bytes) -> Any:
        from tests.web.portal.conftest import csrf_of

        token = csrf_of(web.get("/o/dhsp-ha-noi/import").text)
        # The token is the first field, as the browser sends the form.
        fields = {"csrf_token": token, **data} if "csrf_token" not in data else data
        return web.post(
            "/o/dhsp-ha-noi/import",
            data=fields,
            files={"file": ("bo-suu-tap.zip", archive, "application/zip")},
        )

    def test_a_manager_checks_then_imports_a_zip(
        self,
        runtime: Any,
        client: TestClient,
        web: TestClient,
        team: dict[str, Any],  # noqa: F811
    ) -> None:
        from tests.web.test_cli_collection import MAPPING, snapshot
        from tests.web.test_collection_api import GOOD, zipped

        portal_sign_in(web, "co_nga")
        form = web.get("/o/dhsp-ha-noi/import")
        assert form.status_code == 200
        assert_vietnamese(form.text)
        before = snapshot(runtime)
        checked = self._post(web, {"mapping": MAPPING, "dry_run": "1"}, zipped(GOOD))
        assert checked.status_code == 200, checked.text
        text = assert_vietnamese(checked.text)
        assert "Kết quả chạy thử" in text
        assert "Sẽ tạo: 2" in text
        assert "Không hợp lệ: 1" in text
        assert snapshot(runtime) == before
        assert not any(runtime.blobs.staging_dir.iterdir()), "the staged ZIP was left behind"
        done = self._post(web, {"mapping": MAPPING}, zipped(GOOD))
        assert "Đã tạo: 2" in text_of(done.text)[1]
        mine = client.get("/api/v1/materials", params={"mine": "true"}, headers=team["co_nga"]).json()
        assert mine["total"] == 2

    def test_members_may_not_import_and_a_missing_token_stores_nothing(
        self,
        runtime: Any,
        web: TestClient,
        team: dict[str, Any],  # noqa: F811
    ) -> None:
        from tests.web.test_cli_collection import MAPPING
        from tests.web.test_collection_api import GOOD, zipped

        portal_sign_in(web, "co_lan")
        assert web.get("/o/dhsp-ha-noi/import").status_code == 403
        portal_sign_in(web, "co_nga")
        refused = web.post(
            "/o/dhsp-ha-noi/import",
            data={"mapping": MAPPING},
            files={"file": ("bo-suu-tap.zip", zipped(GOOD), "application/zip")},
        )
        assert refused.status_code == 403
        assert not any(runtime.blobs.staging_dir.iterdir())
