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


class TestCaptionsInThePortal:
    def test_teacher_form_uploads_srt_and_the_player_gets_a_track(
        self, client: TestClient, portal: Portal
    ) -> None:
        import re

        from tests.web.portal.conftest import csrf_of, sign_in

        sign_in(client, "quan_tri")  # the demo materials belong to the system account: an admin
        mid = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        page = client.get(f"/teach/m/{mid}")
        assert page.status_code == 200
        form = re.search(
            r'<form method="post" action="(/teach/m/[^"]+/captions)" enctype="multipart/form-data"', page.text
        )
        assert form, "no captions form for the video"
        srt = "1\r\n00:00:00,000 --> 00:00:04,000\r\nDiện tích hình tam giác\r\n".encode()
        refused = client.post(
            form.group(1),
            data={"csrf_token": "sai", "lang": "vi"},
            files={"file": ("p.srt", srt)},
            follow_redirects=False,
        )
        assert refused.status_code == 403
        r = client.post(
            form.group(1),
            data={"csrf_token": csrf_of(page.text), "lang": "vi"},
            files={"file": ("phu-de.srt", srt, "application/x-subrip")},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert "Đã lưu phụ đề" in client.get(r.headers["location"]).text
        viewer = client.get(f"/m/{mid}").text
        track = re.search(
            r'<track kind="subtitles" src="([^"]+)" srclang="vi" label="Tiếng Việt" default>', viewer
        )
        assert track, "no <track> in the player"
        vtt = client.get(track.group(1))
        assert vtt.text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nDiện tích hình tam giác")
