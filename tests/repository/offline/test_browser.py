"""The offline package in Debian's Chromium, opened from ``file://`` with the network off.

A school copies the unpacked package to a USB stick and opens ``index.html``: the student
browses grade 5 → Toán → a lesson, plays the 360p video and the listen-only audio, and searches
"phan so" without accents. Every request the pages make is recorded: none may leave the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repository.offline.package import Selection, build, extract
from repository.signing import signer_for
from tests.repository.offline.conftest import PDF, VIDEO, Library

pytestmark = pytest.mark.slow


@pytest.fixture
def usb(library: Library, tmp_path: Path) -> Path:
    """The package unpacked onto a "USB stick" folder (the video has Vietnamese captions)."""
    from repository.material.captions import captions
    from repository.material.store import MaterialStore
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    rt = library.runtime
    with UnitOfWork(rt.db) as uow:
        video = MaterialStore.from_session(uow.session).get_full(library.ids[VIDEO])
        assert video is not None
        captions.set(
            uow.session,
            rt.blobs,
            user_service.system_user(uow.session),
            video.id,
            video.files[0].id,
            lang="vi",
            raw="1\n00:00:00,000 --> 00:00:09,000\nDiện tích hình tam giác\n".encode(),
        )
    with rt.db.read() as session:
        build(
            session,
            rt.blobs,
            signer_for(rt.settings),
            Selection(grade=5, subject="toan"),
            tmp_path / "toan5.zip",
            source="https://hoclieu.test",
        )
    extract(tmp_path / "toan5.zip", tmp_path / "usb")
    return tmp_path / "usb"


def _plays(page: Any, selector: str) -> None:
    page.evaluate(
        f"() => {{ const m = document.querySelector('{selector}'); m.muted = true; return m.play(); }}"
    )
    page.wait_for_function(f"() => document.querySelector('{selector}').currentTime > 0.2", timeout=15000)
    assert page.evaluate(f"() => document.querySelector('{selector}').error") is None


class TestFromUsbStick:
    def test_browse_search_and_play_offline(self, browser: Any, library: Library, usb: Path) -> None:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.set_offline(True)
        outside: list[str] = []
        requests: list[str] = []

        def record(request: Any) -> None:
            requests.append(request.url)
            if not request.url.startswith(usb.resolve().as_uri()):
                outside.append(request.url)

        context.on("request", record)
        page = context.new_page()
        page.goto((usb / "index.html").resolve().as_uri())
        assert page.get_attribute("html", "lang") == "vi"
        with page.expect_navigation():
            page.click("text=Lớp 5")
        with page.expect_navigation():
            page.click("a:has-text('Toán')")
        assert "Toán · Lớp 5" in page.inner_text("h1")
        with page.expect_navigation():
            page.click("text=Bài 19: Diện tích hình tam giác")
        with page.expect_navigation():
            page.click("text=Diện tích hình tam giác >> nth=-1")
        assert page.url.endswith(f"/m/{library.ids[VIDEO]}.html")
        _plays(page, "video")
        # The Vietnamese captions load from the package too.
        page.wait_for_function(
            "() => { const t = document.querySelector('video track'); return t && t.readyState === 2; }"
        )
        assert page.evaluate("() => document.querySelector('video').textTracks[0].cues.length") == 1
        assert page.evaluate("() => document.querySelector('video').currentSrc").endswith(".mp4")
        assert page.is_visible("text=Chỉ nghe")
        _plays(page, "audio.listen-player")
        assert page.evaluate("() => document.querySelector('audio.listen-player').currentSrc").endswith(
            ".webm"
        )

        # Search without accents from the box on any page.
        page.fill("#q", "phan so")
        with page.expect_navigation():
            page.press("#q", "Enter")
        assert "search.html?q=phan+so" in page.url
        page.wait_for_selector("#results li")
        titles = page.locator("#results li a").all_inner_texts()
        assert titles[0] == "Phân số thập phân", titles
        assert "Tìm thấy" in page.inner_text("#search-status")
        with page.expect_navigation():
            page.click("#results li a >> nth=0")
        assert page.url.endswith(f"/m/{library.ids[PDF]}.html")
        loaded = "() => { const i = document.querySelector('.pages img'); return i && i.naturalWidth > 0; }"
        page.wait_for_function(loaded)
        # A search with no match says so in Vietnamese.
        page.goto((usb / "search.html").resolve().as_uri() + "?q=khong+co+bai+nay")
        page.wait_for_function(
            "() => document.getElementById('search-status').textContent.includes('Không tìm thấy')"
        )
        assert outside == [], outside
        assert len(requests) > 10
        context.close()
