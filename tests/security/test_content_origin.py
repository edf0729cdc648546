"""Attack: a package or HTML lesson that must *play* (its scripts run) steals the viewer's session.

It plays only on the content origin, a different origin (and, on the loopback, a different host)
whose app has no sessions: it drops the ``Cookie`` header, sets none, serves public files to
anyone and a submission's files only under a short-lived signed path; its CSP sandboxes every
response, confines requests to itself and lets only the portal frame it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.content_safety import sign_content, verify_content
from repository.models import Derivative, MaterialFile
from repository.uow import UnitOfWork
from tests.security.conftest import World, build, stored
from tests.security.payloads import HTML

CONTENT = "http://localhost:8801"
PORTAL = "http://127.0.0.1:8800"
JS = b"document.title = 'bai giang';"


def make_package(runtime: Any, material_id: str, file_id: str) -> None:
    """What ingest leaves for a SCORM package: its unpacked files and its launch page."""
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        f = s.get(MaterialFile, file_id)
        assert f is not None and f.material_id == material_id
        f.info = {**(f.info or {}), "package": {"kind": "scorm12", "title": "Bài 1", "launch": "index.html"}}
        for path, data in (("index.html", HTML), ("js/app.js", JS)):
            new = stored(runtime, path, data)
            s.add(
                Derivative(
                    file_id=file_id, kind="package", label=path, media_type="text/html",
                    size=new.blob.size, sha256=new.blob.sha256, storage_key=new.blob.key,
                )
            )


@pytest.fixture
def content(runtime: Any) -> Any:
    from web.content import create_content_app

    runtime.settings.content_origin = CONTENT
    app = create_content_app(runtime.settings, runtime, portal_origins=PORTAL)
    with TestClient(app, base_url=CONTENT) as c:
        yield c


@pytest.fixture
def packaged(runtime: Any) -> World:
    w = build(runtime, {"bai-giang.zip": b"PK\x03\x04 package", "bai-hoc.html": HTML})
    make_package(runtime, w.ids["bai-giang.zip"], w.ids["file:bai-giang.zip"])
    # The submission is a package too: reviewers must be able to play it.
    make_package(runtime, w.ids["sub"], w.ids["sub_file"])
    with UnitOfWork(runtime.db) as uow:
        f = uow.session.get(MaterialFile, w.ids["file:bai-hoc.html"])
        assert f is not None
        f.media_type = "text/html"
    return w


class TestContentApp:
    def test_a_public_package_plays_sandboxed_and_confined(self, content: TestClient, packaged: World) -> None:
        w = packaged
        r = content.get(f"/pkg/{w.ids['bai-giang.zip']}/{w.ids['file:bai-giang.zip']}/index.html")
        assert r.status_code == 200 and r.content == HTML
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        csp = r.headers["content-security-policy"]
        assert csp.startswith("sandbox allow-scripts")
        assert "allow-same-origin" not in csp
        assert f"default-src {CONTENT} " in csp  # requests to the portal are blocked by the browser
        assert csp.endswith(f"frame-ancestors {PORTAL}")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        js = content.get(f"/pkg/{w.ids['bai-giang.zip']}/{w.ids['file:bai-giang.zip']}/js/app.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")

    def test_a_public_html_lesson_plays(self, content: TestClient, packaged: World) -> None:
        w = packaged
        r = content.get(f"/doc/{w.ids['bai-hoc.html']}/{w.ids['file:bai-hoc.html']}/bai-hoc.html")
        assert r.status_code == 200 and r.content == HTML
        assert r.headers["content-security-policy"].startswith("sandbox allow-scripts")

    def test_portal_cookies_are_never_read_nor_set(self, content: TestClient, packaged: World) -> None:
        w = packaged
        # Even a valid portal session cookie does not open a submission here.
        content.cookies.set("hl_session", f"x:{w.tokens['admin']}")
        r = content.get(f"/pkg/{w.ids['sub']}/{w.ids['sub_file']}/index.html")
        assert r.status_code == 404
        assert "set-cookie" not in r.headers
        r = content.get(f"/pkg/{w.ids['sub']}/{w.ids['sub_file']}/index.html", headers=w.bearer("admin"))
        assert r.status_code == 404  # nor a bearer token: this origin has no users

    def test_a_reviewer_plays_a_submission_through_a_signed_path(
        self, runtime: Any, content: TestClient, packaged: World
    ) -> None:
        w = packaged
        token = sign_content(runtime.settings.secret_key, w.ids["sub"], w.ids["sub_file"], ttl_s=60)
        base = f"/s/{token}/pkg/{w.ids['sub']}/{w.ids['sub_file']}"
        r = content.get(f"{base}/index.html")
        assert r.status_code == 200 and r.content == HTML
        assert r.headers["cache-control"] == "private, no-store"
        # Relative links stay under the signed path.
        assert content.get(f"{base}/js/app.js").status_code == 200

    @pytest.mark.parametrize("kind", ["expired", "other-file", "forged", "garbage"])
    def test_bad_signatures_are_refused(self, runtime: Any, content: TestClient, packaged: World, kind: str) -> None:
        w = packaged
        secret = runtime.settings.secret_key
        token = {
            "expired": sign_content(secret, w.ids["sub"], w.ids["sub_file"], ttl_s=60, now=0),
            "other-file": sign_content(secret, w.ids["bai-giang.zip"], w.ids["file:bai-giang.zip"], ttl_s=60),
            "forged": sign_content("another-secret", w.ids["sub"], w.ids["sub_file"], ttl_s=60),
            "garbage": "99999999999999999999.x",
        }[kind]
        r = content.get(f"/s/{token}/pkg/{w.ids['sub']}/{w.ids['sub_file']}/index.html")
        assert r.status_code == 404
        assert r.headers["content-security-policy"].startswith("sandbox")

    def test_only_package_files_and_lessons_are_served(self, content: TestClient, packaged: World) -> None:
        w = packaged
        # A public PDF is not an HTML lesson: the content origin does not serve arbitrary files.
        assert content.get(f"/doc/{w.ids['bai-giang.zip']}/{w.ids['file:bai-giang.zip']}/x.html").status_code == 404
        assert content.get(f"/pkg/{w.ids['bai-giang.zip']}/{w.ids['file:bai-giang.zip']}/../x").status_code == 404
        unknown = content.get("/api/v1/materials")
        assert unknown.status_code == 404
        assert unknown.headers["content-security-policy"].startswith("sandbox")

    def test_signatures_are_bound_to_the_file_and_expiry(self) -> None:
        token = sign_content("s" * 32, "m", "f", ttl_s=10, now=1000)
        assert verify_content("s" * 32, token, "m", "f", now=1005)
        assert not verify_content("s" * 32, token, "m", "f", now=1011)
        assert not verify_content("s" * 32, token, "m", "g", now=1005)
        expires, mac = token.split(".")
        assert not verify_content("s" * 32, f"{int(expires) + 100}.{mac}", "m", "f", now=1005)


class TestPortalViewer:
    """The material and review pages frame the content origin; the package viewer renders."""

    def _page(self, client: TestClient, url: str, cookie_user: str | None = None) -> str:
        r = client.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 200, r.text
        return r.text

    def test_public_package_is_framed_from_the_content_origin(
        self, runtime: Any, client: TestClient, packaged: World
    ) -> None:
        runtime.settings.content_origin = CONTENT
        w = packaged
        html = self._page(client, f"/m/{w.ids['bai-giang.zip']}")
        src = f'{CONTENT}/pkg/{w.ids["bai-giang.zip"]}/{w.ids["file:bai-giang.zip"]}/index.html'
        assert f'<iframe class="package" src="{src}"' in html
        assert 'sandbox="allow-scripts allow-forms"' in html and "allow-same-origin" not in html
        r = client.get(f"/m/{w.ids['bai-giang.zip']}")
        assert f"frame-src {CONTENT};" in r.headers["content-security-policy"]
        lesson = self._page(client, f"/m/{w.ids['bai-hoc.html']}")
        assert f'src="{CONTENT}/doc/{w.ids["bai-hoc.html"]}/{w.ids["file:bai-hoc.html"]}/bai-hoc.html"' in lesson

    def test_the_api_lists_the_package_launch_page(self, client: TestClient, packaged: World) -> None:
        body = client.get(f"/api/v1/materials/{packaged.ids['bai-giang.zip']}").json()
        assert body["files"][0]["package"] == {"kind": "scorm12", "title": "Bài 1", "launch": "index.html"}

    def test_without_a_content_origin_the_page_says_so_and_never_frames_the_portal(
        self, runtime: Any, client: TestClient, packaged: World
    ) -> None:
        runtime.settings.content_origin = None
        html = self._page(client, f"/m/{packaged.ids['bai-giang.zip']}")
        assert "<iframe" not in html and "HOCLIEU_CONTENT_ORIGIN" in html


class TestServeDefaults:
    @pytest.mark.parametrize(
        ("host", "base_url", "expected"),
        [
            ("127.0.0.1", "http://127.0.0.1:8000", "http://localhost:8001"),  # another host: no cookies
            ("localhost", "http://localhost:8000", "http://127.0.0.1:8001"),
            ("0.0.0.0", "https://hoclieu.truong.vn", "http://hoclieu.truong.vn:8001"),
            ("10.0.0.5", "http://127.0.0.1:8000", "http://10.0.0.5:8001"),
        ],
    )
    def test_the_content_origin_is_another_origin(self, host: str, base_url: str, expected: str) -> None:
        from web.serve import default_content_origin

        assert default_content_origin(host, 8001, base_url) == expected
