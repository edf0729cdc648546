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
