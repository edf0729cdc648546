
"""In Chromium: honest media pages, no empty sections, proper counts, error pages in the portal's language.

Two materials join the session's portal for these tests, through the real server's ingest:
an MP4 that holds only sound (detected as ``video/mp4``; it must get an audio player, not a
black video box) and a video cut in half (its ingest fails: the page must say so in Vietnamese
without the tool's words, and offer no "360p" it does not have).
"""

from __future__ import annotations

import time
from typing import Any

import ffmpeg
import httpx
import pytest

from tests.broken_tools import BUNDLED_FFMPEG
from tests.web.portal.conftest import Portal
from tests.web.portal.test_browser import SIZES, check_page

pytestmark = pytest.mark.slow

VIDEO = "toan-5-dien-tich-hinh-tam-giac.mp4"
AUDIO = "am-nhac-2-bai-hat-luyen-nhip-2-4.mp3"
PDF = "toan-5-phan-so-thap-phan.pdf"


def _metadata(title: str, grade: int, subject: str, kind: str) -> dict[str, Any]:
    return {
        "title": title,
        "grades": [grade],
        "level": "tieu-hoc",
        "subjects": [subject],
        "type": kind,
        "language": "vi",
        "license": "CC-BY-4.0",
        "authors": [{"name": "Nhóm kiểm thử"}],
    }


@pytest.fixture(scope="module")
def extra(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An audio-only MP4 and a truncated video, approved, processed by the server's worker."""
    from repository import runtime as runtime_module
    from repository.material.service import create_from_path
    from repository.models import WorkflowState
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    folder = tmp_path_factory.mktemp("extra")
    sound = folder / "bai-hat-chi-co-tieng.mp4"
    ffmpeg.output(
        ffmpeg.input("sine=frequency=523:duration=4", f="lavfi"), str(sound), acodec="aac", vn=None
    ).overwrite_output().run(cmd=BUNDLED_FFMPEG, quiet=True)
    whole = (portal.workdir / "demo" / VIDEO).read_bytes()
    cut = folder / "bai-giang-bi-cat.mp4"
    cut.write_bytes(whole[: len(whole) // 2])  # faststart: the index survives, the pictures do not

    rt = runtime_module.configure(portal.settings)  # type: ignore[arg-type]
    ids: dict[str, str] = {}
    with UnitOfWork(rt.db) as uow:
        system = user_service.system_user(uow.session)
        for key, path, meta in (
            ("sound", sound, _metadata("Bài hát chỉ có tiếng", 4, "am-nhac", "hoc-lieu-am-thanh")),
            ("cut", cut, _metadata("Bài giảng bị cắt dở", 4, "khoa-hoc", "video-bai-giang")),
        ):
            material, _ = create_from_path(
                rt.blobs, uow.session, system, path, metadata=meta, state=WorkflowState.approved
            )
            ids[key] = material.id
    deadline = time.monotonic() + 120
    while True:
        statuses = [
            f["status"]
            for mid in ids.values()
            for f in httpx.get(f"{portal.base_url}/api/v1/materials/{mid}", timeout=5).json()["files"]
        ]
        if all(s in ("ready", "failed") for s in statuses):
            return ids
        assert time.monotonic() < deadline, f"extra materials not processed: {statuses}"
        time.sleep(0.5)


class TestMediaPages:
    def test_360p_hint_only_where_a_360p_rendition_exists(
        self, browser: Any, portal: Portal, extra: dict[str, str]
    ) -> None:
        page = browser.new_context(viewport=SIZES["phone"]).new_page()
        page.goto(f"{portal.base_url}/m/{portal.materials[VIDEO]}")
        assert page.locator(".viewer .hint", has_text="360p tiết kiệm dữ liệu").is_visible()
        assert page.get_attribute("video source", "src").endswith(
            next(
                d["url"]
                for d in httpx.get(f"{portal.base_url}/api/v1/materials/{portal.materials[VIDEO]}").json()[
                    "files"
                ][0]["derivatives"]
                if d["label"] == "360p"
            )
        )

        page.goto(f"{portal.base_url}/m/{extra['cut']}")
        body = page.inner_text("main")
        assert "360p" not in body  # no hint, no quality choice: there is no rendition at all
        assert page.locator(".viewer .notice.failed").is_visible()
        assert "Tệp bị hỏng hoặc không đầy đủ." in page.inner_text(".viewer .notice.failed")
        for word in ("truncated", "ffmpeg", "transcode", "/tmp/", "/usr/"):
            assert word not in body
        assert page.locator(".viewer .detail").count() == 0  # the uploader's reason is not public
        check_page(page, "material-failed-video")
        page.context.close()

    @pytest.mark.parametrize("which", ["demo-mp3", "audio-only-mp4"])
    def test_audio_page_shows_a_player_that_plays(
        self, browser: Any, portal: Portal, extra: dict[str, str], which: str
    ) -> None:
        mid = portal.materials[AUDIO] if which == "demo-mp3" else extra["sound"]
        page = browser.new_context(viewport=SIZES["phone"]).new_page()
        page.goto(f"{portal.base_url}/m/{mid}")
        assert page.locator("video").count() == 0
        player = page.locator(".viewer audio[controls]")
        assert player.is_visible()
        box = player.bounding_box()
        assert box is not None and box["width"] >= 200 and box["height"] >= 20
        page.evaluate("() => { const a = document.querySelector('audio'); a.muted = true; return a.play(); }")
        page.wait_for_function("() => document.querySelector('audio').currentTime > 0", timeout=15000)
        check_page(page, f"material-audio-{which}")
        page.context.close()


class TestHomeAndCounts:
    def test_no_empty_section_and_no_mam_non(self, browser: Any, portal: Portal) -> None:
        page = browser.new_context(viewport=SIZES["desktop"]).new_page()
        for path in ("/", "/grades/5", "/grades/5/toan", "/search?q=toan", "/search?q=khong+co+gi+ca+xyzw"):
            page.goto(portal.base_url + path)
            empty = page.evaluate(
                """() => [...document.querySelectorAll('main section, main ul')]
                     .filter(el => !el.querySelector('li, a, p, img, video, audio, article'))
                     .map(el => el.outerHTML.slice(0, 120))"""
            )
            assert not empty, f"{path}: empty sections {empty}"
        page.goto(portal.base_url + "/")
        assert "Mầm non" not in page.inner_text("main")
        page.context.close()

    def test_english_counts_are_singular_for_one_and_vietnamese_has_no_plural(
        self, browser: Any, portal: Portal
    ) -> None:
        tree = httpx.get(f"{portal.base_url}/api/v1/browse").json()
        counts = {int(n["value"]): n["count"] for n in tree["grades"]}
        one = next(g for g, c in counts.items() if c == 1)
        many = next(g for g, c in counts.items() if c > 1)
        page = browser.new_context(viewport=SIZES["desktop"]).new_page()
        page.goto(f"{portal.base_url}/?lang=en")
        assert page.inner_text(f"a[href='/grades/{one}'] small") == "1 material"
        assert page.inner_text(f"a[href='/grades/{many}'] small") == f"{counts[many]} materials"
        assert "1 materials" not in page.inner_text("main")
        page.goto(f"{portal.base_url}/?lang=vi")
        assert page.inner_text(f"a[href='/grades/{one}'] small") == "1 học liệu"
        assert page.inner_text(f"a[href='/grades/{many}'] small") == f"{counts[many]} học liệu"
        page.context.close()


class TestErrorPages:
    @pytest.mark.parametrize(
        ("path", "status", "vi", "en"),
        [
            ("/search?subject=khong-co", 400, "Yêu cầu không hợp lệ", "The request is not valid"),
            (
                "/search?q=" + "a" * 5000,
                422,
                "Thông tin đã nhập chưa hợp lệ",
                "Some of what you entered is not valid",
            ),
            ("/m/{pdf}?page=", 422, "Thông tin đã nhập chưa hợp lệ", "Some of what you entered is not valid"),
            (
                "/m/{pdf}?page=0",
                422,
                "Thông tin đã nhập chưa hợp lệ",
                "Some of what you entered is not valid",
            ),
            ("/khong-co-trang-nay", 404, "Không tìm thấy trang", "Page or material not found"),
        ],
    )
    def test_error_pages_speak_the_portals_language(
        self, browser: Any, portal: Portal, path: str, status: int, vi: str, en: str
    ) -> None:
        url = portal.base_url + path.format(pdf=portal.materials[PDF])
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        response = page.goto(url)
        assert response is not None and response.status == status
        assert page.get_attribute("html", "lang") == "vi"
        assert page.inner_text("h1") == "Có lỗi xảy ra"
        main = page.inner_text("main")
        assert vi in main
        assert en not in main
        assert page.locator("header a[href='/']").count() + page.locator("main a[href='/']").count() >= 1
        assert page.locator("link[rel=stylesheet]").count() >= 1  # the portal's styled page, not bare HTML
        # English detail, if any, is folded away and marked as English.
        for detail in page.locator("main [lang='en']").all():
            assert not detail.is_visible()
        check_page(page, f"error-{status}")
        page.goto(url.replace("?", "?lang=en&") if "?" in url else url + "?lang=en")
        assert page.get_attribute("html", "lang") == "en"
        assert en in page.inner_text("main")
        context.close()
