"""Attack surface of the portal's own pages: injected script, framing, leaking URLs, CSRF tokens.

Every page carries a strict CSP (scripts from this origin or with the request's nonce only, no
third-party origin), ``frame-ancestors`` from the setting, ``Referrer-Policy`` and
``Permissions-Policy``; no template has an inline script or event handler; no CSRF token ever
appears in a URL (forms post it in the body, scripts in a header), and a token in the query
string is refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import World
from tests.web.portal.conftest import csrf_of

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def signed_in(client: TestClient, username: str) -> None:
    page = client.get("/signin")
    r = client.post(
        "/signin",
        data={"username": username, "password": "mat-khau-rat-dai-1", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.fixture
def browser_client(app: Any) -> Any:
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class TestHeaders:
    @pytest.mark.parametrize("path", ["/", "/search?q=phan+so", "/signin", "/grades/5", "/api/v1/materials"])
    def test_every_response_has_the_portal_policy(self, browser_client: TestClient, path: str) -> None:
        r = browser_client.get(path)
        assert r.status_code == 200
        csp = directives(r.headers["content-security-policy"])
        scripts = csp["script-src"]
        assert "'self'" in scripts
        assert not any(s in ("'unsafe-inline'", "'unsafe-eval'", "*", "https:", "http:") for s in scripts)
        nonces = [s for s in scripts if s.startswith("'nonce-")]
        assert len(nonces) == 1 and len(nonces[0]) > 20
        for name, sources in csp.items():
            # No third-party origin anywhere (only 'self', keywords, data:/blob:, the content origin).
            assert all(s.startswith("'") or s in ("data:", "blob:") for s in sources), (name, sources)
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'self'"]
        assert r.headers["referrer-policy"] == "same-origin"
        assert "camera=()" in r.headers["permissions-policy"]
        assert "geolocation=()" in r.headers["permissions-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"

    def test_the_nonce_changes_per_response(self, browser_client: TestClient) -> None:
        a = browser_client.get("/").headers["content-security-policy"]
        b = browser_client.get("/").headers["content-security-policy"]
        assert a != b

    def test_frame_ancestors_come_from_the_setting(self, runtime: Any, browser_client: TestClient) -> None:
        runtime.settings.frame_ancestors = "'self' https://lms.truong.edu.vn"
        csp = directives(browser_client.get("/").headers["content-security-policy"])
        assert csp["frame-ancestors"] == ["'self'", "https://lms.truong.edu.vn"]

    def test_signed_in_pages_are_never_stored(self, runtime: Any, browser_client: TestClient, world: World) -> None:
        signed_in(browser_client, "co_lan")
        for path in ("/", "/teach", f"/teach/m/{world.ids['draft']}"):
            r = browser_client.get(path)
            assert r.status_code == 200, path
            assert r.headers["cache-control"] == "private, no-store", path

    def test_bearer_api_answers_are_private(self, client: TestClient, world: World) -> None:
        r = client.get("/api/v1/materials?mine=true", headers=world.bearer("teacher"))
        assert r.headers["cache-control"] == "private, no-store"


class TestNoInlineScript:
    @pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
    def test_templates_have_no_inline_script_or_handler(self, template: str) -> None:
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            assert "src=" in tag or "nonce=" in tag, f"{template}: inline script without a nonce: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text, flags=re.IGNORECASE), f"{template}: inline event handler"
        assert "javascript:" not in text.lower(), f"{template}: javascript: URL"
        assert not re.search(r"\sstyle\s*=", text, flags=re.IGNORECASE), f"{template}: inline style"


class TestCsrfNeverInUrls:
    def test_no_page_puts_the_token_in_a_url(self, browser_client: TestClient, world: World) -> None:
        signed_in(browser_client, "quan_tri")
        pages = ["/", "/teach", "/teach/upload", f"/teach/m/{world.ids['draft']}", "/review",
                 f"/review/{world.ids['sub']}", "/admin/users", "/admin/audit", f"/m/{world.ids['sub']}"]
        for path in pages:
            r = browser_client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            token = csrf_of(r.text)
            values = re.findall(r'[a-z-]+="([^"]*)"', r.text)
            urls = [v for v in values if v.startswith(("/", "?", "http:", "https:", "#"))]
            assert len(urls) > 3, path
            leaked = [u for u in urls if token in u or "csrf" in u.lower()]
            assert not leaked, (path, leaked)
            assert "csrf_token=" not in r.headers.get("location", "")

    def test_a_token_in_the_query_string_is_refused(self, browser_client: TestClient, world: World) -> None:
        signed_in(browser_client, "co_lan")
        token = csrf_of(browser_client.get("/teach/upload").text)
        r = browser_client.post(
            f"/teach/upload?csrf_token={token}",
            files=[("file", ("bai.txt", "Bài tập".encode(), "text/plain"))],
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "csrf_failed"

    def test_the_plain_upload_form_sends_the_token_first_in_the_body(
        self, runtime: Any, browser_client: TestClient, world: World
    ) -> None:
        signed_in(browser_client, "co_lan")
        page = browser_client.get("/teach/upload").text
        form = re.search(r'<form id="upload".*?</form>', page, flags=re.DOTALL)
        assert form is not None
        assert 'action="/teach/upload"' in form.group(0)
        fields = re.findall(r'name="([a-z_]+)"', form.group(0))
        assert fields[0] == "csrf_token"
        r = browser_client.post(
            "/teach/upload",
            data={"csrf_token": csrf_of(page)},
            files=[("file", ("bai.txt", "Bài tập".encode(), "text/plain"))],
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text

    def test_a_file_part_before_the_token_is_refused_before_it_is_stored(
        self, runtime: Any, browser_client: TestClient, world: World
    ) -> None:
        signed_in(browser_client, "co_lan")
        staging = runtime.settings.blob_dir
        before = sorted(p for p in staging.rglob("*") if p.is_file())
        r = browser_client.post(
            "/teach/upload",
            files=[("file", ("bai.txt", "Bài tập".encode(), "text/plain"))],
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 403
        assert sorted(p for p in staging.rglob("*") if p.is_file()) == before
