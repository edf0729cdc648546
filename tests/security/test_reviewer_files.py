"""Reviewers and owners reach a submission's files from the portal with their session cookie
(issue 16/17: curators got 404 on ``/review/{id}``), and nothing more: reads only, the service's
visibility rule, ``private, no-store``; the cookie never authorises a change."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Derivative
from repository.uow import UnitOfWork
from tests.security.conftest import World, stored
from tests.security.test_content_origin import CONTENT, make_package
from tests.security.test_portal_headers import signed_in

POSTER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00poster"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom-video"
PAGE = b"RIFF\x10\x00\x00\x00WEBPVP8 page-1"


@pytest.fixture
def browser_client(app: Any) -> Any:
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


@pytest.fixture
def submission(runtime: Any, world: World) -> dict[str, str]:
    """The submitted material gets what ingest makes of a video and a PDF: poster, rendition, page."""
    urls: dict[str, str] = {}
    base = f"/api/v1/materials/{world.ids['sub']}/files/{world.ids['sub_file']}"
    with UnitOfWork(runtime.db) as uow:
        for kind, label, data, media_type, page in (
            ("poster", "", POSTER, "image/jpeg", 0),
            ("rendition", "360p", MP4, "video/mp4", 0),
            ("preview", "", PAGE, "image/webp", 1),
        ):
            new = stored(runtime, f"{kind}.bin", data)
            d = Derivative(
                file_id=world.ids["sub_file"], kind=kind, label=label, media_type=media_type, page=page,
                size=new.blob.size, sha256=new.blob.sha256, storage_key=new.blob.key,
            )
            uow.session.add(d)
            uow.session.flush()
            urls[kind] = f"{base}/derivatives/{d.id}"
    urls["original"] = base
    return urls


class TestCookieReads:
    @pytest.mark.parametrize("who", ["thay_toan", "co_lan", "quan_tri"])
    @pytest.mark.parametrize("what", ["original", "poster", "rendition", "preview"])
    def test_reviewer_owner_and_admin_read_the_files_with_their_session(
        self, browser_client: TestClient, submission: dict[str, str], who: str, what: str
    ) -> None:
        signed_in(browser_client, who)
        r = browser_client.get(submission[what])
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["x-content-type-options"] == "nosniff"

    def test_the_review_page_links_files_that_open(
        self, browser_client: TestClient, world: World, submission: dict[str, str]
    ) -> None:
        signed_in(browser_client, "thay_toan")
        html = browser_client.get(f"/review/{world.ids['sub']}").text
        links = set(re.findall(r'(?:src|href|poster)="(/api/v1/materials/[^"]+/files/[^"]+)"', html))
        assert {submission["poster"], submission["original"]} <= {u.split("?")[0] for u in links}
        for url in links:
            assert browser_client.get(url).status_code == 200, url

    def test_anonymous_and_out_of_scope_readers_still_get_404(
        self, runtime: Any, browser_client: TestClient, world: World, submission: dict[str, str]
    ) -> None:
        assert browser_client.get(submission["original"]).status_code == 404
        from repository.models import Role
        from tests.repository.curation.helpers import person

        with UnitOfWork(runtime.db) as uow:
            person(uow.session, "co_van", Role.curator, {"subjects": ["ngu-van"]})
        signed_in(browser_client, "co_van")
        assert browser_client.get(submission["original"]).status_code == 404
        assert browser_client.get(submission["poster"]).status_code == 404

    def test_the_cookie_never_authorises_a_change(
        self, browser_client: TestClient, world: World, submission: dict[str, str]
    ) -> None:
        signed_in(browser_client, "co_lan")
        r = browser_client.delete(
            f"/api/v1/materials/{world.ids['draft']}/files/{world.ids['draft_file']}",
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 401
        r = browser_client.post(f"/api/v1/materials/{world.ids['sub']}/withdraw", headers={"Accept": "application/json"})
        assert r.status_code in (401, 404, 405)
        assert browser_client.get(submission["original"]).status_code == 200  # still submitted, still readable

    def test_a_reviewer_plays_a_submitted_package_through_a_signed_content_url(
        self, runtime: Any, browser_client: TestClient, world: World
    ) -> None:
        runtime.settings.content_origin = CONTENT
        make_package(runtime, world.ids["sub"], world.ids["sub_file"])
        signed_in(browser_client, "thay_toan")
        html = browser_client.get(f"/review/{world.ids['sub']}").text
        match = re.search(r'<iframe class="package" src="([^"]+)"', html)
        assert match is not None
        src = match.group(1)
        assert src.startswith(f"{CONTENT}/s/") and src.endswith(f"/pkg/{world.ids['sub']}/{world.ids['sub_file']}/index.html")
