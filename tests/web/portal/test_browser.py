
"""End to end in Debian's Chromium (Playwright): the student, teacher and curator flows,
axe-core on every page, screenshots at phone and desktop widths.

One browser for the session (the ``browser`` fixture of conftest.py); the server is the real
uvicorn process of the ``portal`` fixture.
Screenshots go to ``test-artifacts/screenshots/`` (gitignored).
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.servers import start_server, stop_server
from tests.web.portal.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, Portal  # noqa: F401

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def check_page(page: Any, name: str) -> None:
    """axe-core: no serious or critical violation; then phone and desktop screenshots."""
    # Evaluated by the test driver, not as an inline <script>: the portal's CSP refuses those.
    page.evaluate("() => {\n" + AXE.read_text(encoding="utf-8") + "\n}")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: axe-core violations {bad}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/signin")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")


class TestStudent:
    def test_finds_the_grade_5_maths_video_by_typing_and_it_plays(self, browser: Any, portal: Portal) -> None:
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        base = portal.base_url
        page.goto(base + "/")
        assert page.get_attribute("html", "lang") == "vi"
        check_page(page, "home")
        with page.expect_navigation():
            page.click("a[href='/grades/5']")
        check_page(page, "grade")
        with page.expect_navigation():
            page.click("a[href='/grades/5/toan']")
        check_page(page, "subject")

        # Suggestions as you type, accents optional ("dien tich" → "Diện tích hình tam giác").
        page.type("#q", "dien tich", delay=20)
        page.wait_for_selector("#q-suggest li:has-text('Diện tích hình tam giác')", timeout=5000)
        assert page.get_attribute("#q", "aria-expanded") == "true"
        page.keyboard.press("Escape")  # closes the list (and, handled, does not clear the box)
        assert page.input_value("#q") == "dien tich"
        page.fill("#q", "")
        page.type("#q", "toan lop 5", delay=20)
        page.press("#q", "Enter")
        page.wait_for_url(lambda url: "/search?q=toan+lop+5" in url)
        check_page(page, "search")
        video_id = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        with page.expect_navigation():
            page.click(f".card a[href='/m/{video_id}']")
        video = page.locator("video")
        # Nothing is loaded before play: preload none, poster shown.
        assert video.get_attribute("preload") == "none" and video.get_attribute("poster")
        assert page.evaluate("() => document.querySelector('video').readyState") == 0
        check_page(page, "material-video")
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0", timeout=15000)
        # The 360p MP4 by default; the HLS ladder where the browser plays HLS itself.
        src = page.evaluate("() => document.querySelector('video').currentSrc")
        assert src.endswith(page.get_attribute("video source", "src")) or src.endswith("/hls/master.m3u8"), (
            src
        )
        context.close()

    def test_document_viewer_page_jump_and_english(self, browser: Any, portal: Portal) -> None:
        context = browser.new_context(viewport=SIZES["desktop"], java_script_enabled=False)
        page = context.new_page()
        pdf = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        page.goto(f"{portal.base_url}/m/{pdf}?page=2&lang=en")
        assert page.get_attribute("html", "lang") == "en"
        assert "Page 2 of" in page.inner_text("figcaption")
        page.fill("input[name=page]", "1")
        with page.expect_navigation():
            page.click(".pager button")
        assert "Page 1 of" in page.inner_text("figcaption")
        page.goto(f"{portal.base_url}/search?q=phan+so")  # search works without JavaScript
        assert page.locator(".card").count() >= 1
        context.close()
        context = browser.new_context(viewport=SIZES["desktop"])
        page = context.new_page()
        page.goto(f"{portal.base_url}/m/{pdf}?page=2&lang=vi")
        check_page(page, "material-document")
        page.goto(f"{portal.base_url}/m/{portal.materials['am-nhac-2-bai-hat-luyen-nhip-2-4.mp3']}")
        check_page(page, "material-audio")
        context.close()


class TestTeacherAndCurator:
    def test_upload_pptx_and_video_submit_approve_then_students_find_it(
        self, browser: Any, portal: Portal
    ) -> None:
        base = portal.base_url
        demo = portal.workdir / "demo"
        context = browser.new_context(viewport=SIZES["desktop"])
        page = context.new_page()
        sign_in(page, base, "co_lan")
        page.goto(base + "/teach/upload")
        check_page(page, "teach-upload")
        page.set_input_files(
            "#files",
            [str(demo / "toan-5-so-thap-phan.pptx"), str(demo / "toan-5-dien-tich-hinh-tam-giac.mp4")],
        )
        page.click("#upload button[type=submit]")
        page.wait_for_function(
            "() => document.querySelectorAll('#uploads a.uploaded').length === 2", timeout=60000
        )
        assert page.evaluate(
            "() => [...document.querySelectorAll('#uploads progress')].every(p => p.value === 100)"
        )
        ids = page.eval_on_selector_all("#uploads a.uploaded", "els => els.map(e => e.dataset.material)")
        titles = {}
        for n, mid in enumerate(ids):
            page.goto(f"{base}/teach/m/{mid}")
            # Live status: the page polls until the file is ready.
            page.wait_for_selector(".files .status.st-ready", timeout=120000)
            if n == 0:
                check_page(page, "teach-material")
            titles[mid] = f"Bài dạy thử nghiệm số {n + 1} về số thập phân"
            page.fill("#f-title", titles[mid])
            page.check("input[name=grades][value='5']")
            page.select_option("#f-subjects", ["toan"])
            page.select_option("#f-license", "CC-BY-4.0")
            with page.expect_navigation():
                page.click(".meta-form button[type=submit]")
            assert "Đã lưu" in page.inner_text("main")
            with page.expect_navigation():
                page.click("text=Gửi kiểm duyệt")
            assert "Chờ kiểm duyệt" in page.inner_text("#state")
        page.goto(base + "/teach")
        check_page(page, "teach-list")
        context.close()

        context = browser.new_context(viewport=SIZES["desktop"])
        page = context.new_page()
        sign_in(page, base, "thay_minh")
        page.goto(base + "/review")
        check_page(page, "review-queue")
        page.goto(f"{base}/review/{ids[0]}")
        check_page(page, "review-item")
        page.goto(base + "/review")
        for mid in ids:
            page.check(f"input[name=ids][value='{mid}']")
        for key in ("curriculum_alignment", "license_clear", "content_accurate", "quality_accessibility"):
            page.check(f"form input[name='rubric.{key}']")
        page.check("form input[name=decision][value=approve]")  # no decision is preselected
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        assert "Đã ghi nhận quyết định" in page.inner_text("main")
        context.close()

        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        page.goto(base + "/")
        page.fill("#q", "bai day thu nghiem so thap phan")
        with page.expect_navigation():
            page.press("#q", "Enter")
        # The index is a projection applied by a job right after the approval commits: a search
        # sent in the same instant may precede it, so search again until it shows (or 30 s pass).
        deadline = time.monotonic() + 30
        while not all(page.query_selector(f".card a[href='/m/{mid}']") for mid in ids):
            assert time.monotonic() < deadline, "approved materials never appeared in search"
            time.sleep(0.5)
            page.reload()
        with page.expect_navigation():
            page.click(f".card a[href='/m/{ids[0]}']")
        assert "Đã được phê duyệt" in page.inner_text(".signature")
        context.close()

    def test_admin_pages_are_accessible(self, browser: Any, portal: Portal) -> None:
        context = browser.new_context(viewport=SIZES["desktop"])
        page = context.new_page()
        sign_in(page, portal.base_url, "quan_tri")
        for path, name in (
            ("/admin/users", "admin-users"),
            ("/admin/audit", "admin-audit"),
            ("/admin/integrity", "admin-integrity"),
            ("/signin", "signin"),
        ):
            page.goto(portal.base_url + path)
            check_page(page, name)
        context.close()


# --- the installable portal (issue 14) ------------------------------------------------------

OFFLINE_VIDEO = "toan-5-dien-tich-hinh-tam-giac.mp4"
OFFLINE_PDF = "toan-5-phan-so-thap-phan.pdf"
OFFLINE_AUDIO = "am-nhac-2-bai-hat-luyen-nhip-2-4.mp3"
PAGE_IMAGE_SHOWN = (
    "() => { const i = document.querySelector('figure.doc img'); return i && i.naturalWidth > 0; }"
)


def _cached(page: Any, cache: str) -> list[str]:
    return page.evaluate(
        f"() => caches.open('{cache}').then(c => c.keys()).then(ks => ks.map(k => new URL(k.url).pathname))"
    )


class TestInstalledPortalOffline:
    """A lesson opened once is shown again with the network off and the server gone (a second
    ``hoclieu serve`` on the portal's data, stopped mid-test); a kept video plays offline."""

    def test_opened_lesson_is_shown_with_the_network_off(self, browser: Any, portal: Portal) -> None:
        port, proc = start_server(SimpleNamespace(settings=portal.settings))
        base = f"http://127.0.0.1:{port}"
        context = browser.new_context(viewport=SIZES["phone"])
        try:
            page = context.new_page()
            page.goto(base + "/")
            page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            cdp = context.new_cdp_session(page)
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            # Chromium would offer to install it (test contexts are incognito, where it never does;
            # a missing manifest, icon or service worker would be listed beside that).
            assert [e["errorId"] for e in errors] == ["in-incognito"], errors

            pdf = portal.materials[OFFLINE_PDF]
            page.goto(f"{base}/m/{pdf}")
            page.wait_for_function(PAGE_IMAGE_SHOWN)
            page.wait_for_function(
                f"() => caches.open('hoclieu-pages').then(c => c.match('/m/{pdf}')).then(r => !!r)"
            )
            # A video, kept on request (videos are never kept just by opening them).
            video = portal.materials[OFFLINE_VIDEO]
            page.goto(f"{base}/m/{video}")
            assert _cached(page, "hoclieu-videos") == []
            page.click("button.keep-video")
            page.wait_for_function(
                "() => document.querySelector('button.keep-video').disabled && "
                "document.querySelector('button.keep-video').textContent.includes('Đã lưu')"
            )
            kept_videos = _cached(page, "hoclieu-videos")
            assert len(kept_videos) == 2  # the 360p MP4 and the listen-only audio
        finally:
            stop_server(proc)
        with pytest.raises(httpx.HTTPError):
            httpx.get(base + "/", timeout=2)
        context.set_offline(True)

        page.goto(f"{base}/m/{pdf}")
        assert "Phân số thập phân" in page.inner_text("main h1")
        page.wait_for_function(PAGE_IMAGE_SHOWN)
        page.goto(f"{base}/m/{video}")
        # The page shows the video as kept (offline.js found it on the device and plays that copy).
        page.wait_for_function("() => document.querySelector('button.keep-video').disabled")
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.2", timeout=15000)
        # The kept list, and a lesson never opened falls back to it, saying so.
        page.goto(f"{base}/offline")
        page.wait_for_selector("#kept-list li a")
        titles = page.locator("#kept-list li a").all_inner_texts()
        assert "Phân số thập phân" in titles
        assert "Diện tích hình tam giác" in titles
        page.goto(f"{base}/m/{portal.materials[OFFLINE_AUDIO]}")
        assert page.inner_text("main h1") == "Bài đã lưu"
        assert page.is_visible("#offline-notice")
        context.close()


class TestSearchOnAPhone:
    def test_results_come_first_and_filters_fold_away(self, browser: Any, portal: Portal) -> None:
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        page.goto(portal.base_url + "/search?q=toan+lop+5")
        first_hit = page.locator(".hits .cards li").first
        assert first_hit.is_visible()
        # The filters are folded: a one-line summary below the results, the checkboxes hidden.
        summary = page.locator("#filters > summary")
        assert page.evaluate("() => document.getElementById('filters').open") is False
        assert not page.locator(".facets input[name=grade]").first.is_visible()
        assert first_hit.bounding_box()["y"] < summary.bounding_box()["y"]
        assert first_hit.bounding_box()["y"] < SIZES["phone"]["height"]  # a result without scrolling
        check_page(page, "search-phone")
        # Unfolded on demand; a filter then works as before.
        summary.click()
        page.locator(".facets input[name=grade][value='5']").check()
        with page.expect_navigation():
            page.click(".facets button[type=submit]")
        assert "grade=5" in page.url
        assert "đang lọc" in page.inner_text("#filters > summary")
        # On a wide screen the filters are open, in the left column beside the results.
        page.set_viewport_size(SIZES["desktop"])
        page.goto(portal.base_url + "/search?q=toan+lop+5")
        assert page.evaluate("() => document.getElementById('filters').open") is True
        facets = page.locator(".facets").bounding_box()
        hits = page.locator(".hits").bounding_box()
        assert facets["x"] + facets["width"] <= hits["x"]
        context.close()
