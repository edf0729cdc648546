"""The installable portal: web app manifest, icons, service worker served from the root.

The browser test (a lesson opened once is shown with the network off) is
``test_browser.py::TestInstalledPortalOffline``: it needs the session's browser.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.portal.conftest import Portal


class TestInstallablePortal:
    def test_manifest_icons_and_service_worker(self, client: TestClient) -> None:
        home = client.get("/").text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in home
        assert '<a href="/offline">' in home
        m = client.get("/manifest.webmanifest")
        assert m.headers["content-type"] == "application/manifest+json"
        doc = m.json()
        assert doc["start_url"] == "/"
        assert doc["display"] == "standalone"
        assert doc["lang"] == "vi"
        assert {i["sizes"] for i in doc["icons"]} == {"192x192", "512x512"}
        for icon in doc["icons"]:
            r = client.get(icon["src"])
            assert r.status_code == 200
            assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
        sw = client.get("/sw.js")
        assert sw.headers["content-type"].startswith("text/javascript")
        assert sw.headers["cache-control"] == "no-cache"
        assert "<script>" not in home  # all JS in static files (strict CSP)

    def test_only_approved_material_pages_are_marked_keepable(
        self, client: TestClient, portal: Portal
    ) -> None:
        r = client.get(f"/m/{portal.materials['toan-5-phan-so-thap-phan.pdf']}")
        assert r.headers["x-hoclieu-offline"] == "keep"
        assert "x-hoclieu-offline" not in client.get("/").headers

    def test_kept_page_lists_nothing_without_the_browser(self, client: TestClient) -> None:
        r = client.get("/offline")
        assert r.status_code == 200
        assert "<h1>Bài đã lưu</h1>" in r.text
        assert 'id="kept-list"' in r.text
