
"""In Chromium, phone (360 by 740) and desktop: the traps of issue 17 and studying from the portal.

The module adds to the session's portal, through the real server's ingest:

* a book (grade 5 maths, Cánh Diều, volume 2) of three lessons: two worksheets and a 720p video;
* a lesson plan (teachers only) that "toan lop 5" matches;
* drafts of the teacher ``co_lan`` (a worksheet per viewport for the direct submit), and two
  submissions (a video and a PDF) for the curator.

Screenshots go to ``test-artifacts/screenshots/`` (gitignored), like the other browser tests.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import ffmpeg
import httpx
import pytest

from tests.broken_tools import BUNDLED_FFMPEG
from tests.web.portal.conftest import Portal
from tests.web.portal.test_browser import SIZES, check_page, sign_in

pytestmark = pytest.mark.slow

BOOK = {"grades": [5], "subjects": ["toan"], "series": "canh-dieu", "volume": 2, "level": "tieu-hoc"}
CHAPTER = "Chủ đề 5: Hình học và đo lường"
LESSONS = ("Bài 1: Hình thang", "Bài 2: Diện tích hình thang", "Bài 3: Hình tròn, đường tròn")
OUTCOME = "Tính được diện tích hình thang khi biết hai đáy và chiều cao."
NO_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _video(path: Path, *, width: int, height: int, seconds: int, tone: int) -> Path:
    picture = ffmpeg.input(f"testsrc2=size={width}x{height}:rate=15:duration={seconds}", f="lavfi")
    sound = ffmpeg.input(f"sine=frequency={tone}:duration={seconds}", f="lavfi")
    ffmpeg.output(
        picture, sound, str(path), vcodec="libx264", pix_fmt="yuv420p", acodec="aac", preset="ultrafast"
    ).overwrite_output().run(cmd=BUNDLED_FFMPEG, quiet=True)
    return path


def _text(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def _wait_ready(portal: Portal, ids: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        statuses = []
        for mid in ids:
            r = httpx.get(f"{portal.base_url}/api/v1/materials/{mid}", timeout=5)
            statuses += [f["status"] for f in r.json()["files"]] if r.status_code == 200 else ["queued"]
        if all(s in ("ready", "failed") for s in statuses):
            return
        assert time.monotonic() < deadline, f"not processed in {timeout} s: {statuses}"
        time.sleep(0.5)


def _wait_ready_private(portal: Portal, ids: list[str], timeout: float = 300) -> None:
    """Drafts are not public: read their files' status from the database."""
    from repository import runtime as runtime_module
    from repository.material.store import MaterialStore

    rt = runtime_module.configure(portal.settings)  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout
    while True:
        with rt.db.read() as session:
            store = MaterialStore.from_session(session)
            statuses = [f.status for mid in ids for f in store.get_full(mid).files]  # type: ignore[union-attr]
        if all(s in ("ready", "failed") for s in statuses):
            return
        assert time.monotonic() < deadline, f"drafts not processed in {timeout} s: {statuses}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def study(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from repository import runtime as runtime_module
    from repository.curation.workflow import workflow
    from repository.material.service import create_from_path
    from repository.models import WorkflowState
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    folder = tmp_path_factory.mktemp("study")
    demo = portal.workdir / "demo"
    rt = runtime_module.configure(portal.settings)  # type: ignore[arg-type]
    ids: dict[str, str] = {}
    public: list[tuple[str, Path, dict[str, Any]]] = [
        (
            "lesson1",
            _text(folder / "bai-1-hinh-thang.md", "# Hình thang\n\nHình thang có hai cạnh đáy song song."),
            BOOK | {"title": "Hình thang", "chapter": CHAPTER, "lesson": LESSONS[0], "type": "phieu-hoc-tap"},
        ),
        (
            "lesson2",
            _text(folder / "bai-2-dien-tich.md", "# Diện tích hình thang\n\nS = (a + b) x h : 2."),
            BOOK
            | {
                "title": "Diện tích hình thang",
                "chapter": CHAPTER,
                "lesson": LESSONS[1],
                "type": "phieu-hoc-tap",
                "outcomes": [OUTCOME],
            },
        ),
        (
            "lesson3",
            _video(folder / "bai-3-hinh-tron.mp4", width=1280, height=720, seconds=8, tone=440),
            BOOK
            | {"title": "Hình tròn, đường tròn", "chapter": CHAPTER, "lesson": LESSONS[2]}
            | {"type": "video-bai-giang"},
        ),
        (
            "plan",
            _text(folder / "ke-hoach-bai-day.md", "# Kế hoạch bài dạy Toán lớp 5\n\nMục tiêu, tiến trình."),
            {
                "title": "Kế hoạch bài dạy: Toán lớp 5, diện tích hình thang",
                "grades": [5],
                "subjects": ["toan"],
                "type": "ke-hoach-bai-day",
                "audience": ["giao-vien"],
            },
        ),
    ]
    pdf = folder / "phan-so-ban-nop.pdf"
    pdf.write_bytes((demo / "toan-5-phan-so-thap-phan.pdf").read_bytes() + b"\n% ban nop\n")
    reviewed: dict[str, Any] = {"grades": [5], "subjects": ["toan"], "license": "CC-BY-4.0"}
    drafts: list[tuple[str, Path, dict[str, Any]]] = [
        ("submit-phone", _text(folder / "phieu-phone.md", "# Phiếu\n\nBài tập phone."), {}),
        ("submit-desktop", _text(folder / "phieu-desktop.md", "# Phiếu\n\nBài tập desktop."), {}),
        (
            "review-video",
            _video(folder / "ban-nop.mp4", width=640, height=360, seconds=3, tone=660),
            reviewed,
        ),
        ("review-pdf", pdf, reviewed),
    ]
    with UnitOfWork(rt.db) as uow:
        system = user_service.system_user(uow.session)
        teacher = user_service.get_by_username(uow.session, "co_lan")
        for key, path, meta in public:
            material, _ = create_from_path(
                rt.blobs, uow.session, system, path, metadata=meta, state=WorkflowState.approved
            )
            ids[key] = material.id
        assert teacher is not None
        for key, path, meta in drafts:
            material, _ = create_from_path(
                rt.blobs, uow.session, teacher, path, metadata={"title": f"Bài nộp {key}"} | meta
            )
            ids[key] = material.id
    _wait_ready(portal, [ids[k] for k, _, _ in public])
    _wait_ready_private(portal, [ids[k] for k, _, _ in drafts])
    with UnitOfWork(rt.db) as uow:
        teacher = user_service.get_by_username(uow.session, "co_lan")
        assert teacher is not None
        for key in ("review-video", "review-pdf"):
            workflow.submit(uow.session, teacher, ids[key])
    # The index shows the approved ones (search/browse/related/lesson navigation use it).
    deadline = time.monotonic() + 60
    while True:
        found = httpx.get(
            f"{portal.base_url}/api/v1/search", params={"audience": "giao-vien", "size": 100}, timeout=5
        ).json()
        if {ids[k] for k, _, _ in public} <= {h["id"] for h in found["hits"]}:
            return ids
        assert time.monotonic() < deadline, "the study materials never reached the index"
        time.sleep(0.5)


class TestTeacherForm:
    @pytest.mark.parametrize("size", ["phone", "desktop"])
    def test_typed_title_and_licence_survive_a_direct_submit(
        self, browser: Any, portal: Portal, study: dict[str, str], size: str
    ) -> None:
        mid = study[f"submit-{size}"]
        context = browser.new_context(viewport=SIZES[size])
        page = context.new_page()
        sign_in(page, portal.base_url, "co_lan")
        page.goto(f"{portal.base_url}/teach/m/{mid}")
        assert page.evaluate(NO_SCROLL), "the teacher's form scrolls sideways"
        check_page(page, f"teach-form-{size}")
        title = f"Phiếu luyện tập hình thang ({size})"
        page.fill("#f-title", title)
        page.select_option("#f-license", "CC-BY-4.0")
        page.fill("#f-volume", "2")
        page.fill("#f-outcomes", OUTCOME)
        # Straight to "Gửi kiểm duyệt", without "Lưu thông tin" first.
        with page.expect_navigation():
            page.click("button:has-text('Gửi kiểm duyệt')")
        assert page.inner_text("#state") == "Chờ kiểm duyệt"
        assert "Đã gửi kiểm duyệt" in page.inner_text("main")
        # The form now shows what is stored: what was typed.
        assert page.input_value("#f-title") == title
        assert page.input_value("#f-license") == "CC-BY-4.0"
        assert page.input_value("#f-volume") == "2"
        assert page.evaluate(NO_SCROLL)
        context.close()

        from repository import runtime as runtime_module
        from repository.curation.versions import version_history
        from repository.user.service import user as user_service

        rt = runtime_module.configure(portal.settings)  # type: ignore[arg-type]
        with rt.db.read() as session:
            owner = user_service.get_by_username(session, "co_lan")
            _, versions = version_history.history(session, owner, mid)
            version = versions[-1][0]
            assert version.state == "submitted"
            assert (version.meta["title"], version.meta["license"], version.meta["volume"]) == (
                title,
                "CC-BY-4.0",
                2,
            )
            assert version.meta["outcomes"] == [OUTCOME]

    def test_a_submission_under_review_is_locked(
        self, browser: Any, portal: Portal, study: dict[str, str]
    ) -> None:
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        sign_in(page, portal.base_url, "co_lan")
        page.goto(f"{portal.base_url}/teach/m/{study['review-pdf']}")
        # Under review: the form is locked and offers no submit.
        assert page.locator("#f-title").is_disabled()
        assert page.locator("button:has-text('Gửi kiểm duyệt')").count() == 0
        context.close()


class TestCurator:
    @pytest.mark.parametrize("size", ["phone", "desktop"])
    def test_curator_plays_the_video_and_pages_through_the_pdf(
        self, browser: Any, portal: Portal, study: dict[str, str], size: str
    ) -> None:
        context = browser.new_context(viewport=SIZES[size])
        page = context.new_page()
        refused: list[tuple[int, str]] = []
        page.on("response", lambda r: refused.append((r.status, r.url)) if r.status >= 400 else None)
        sign_in(page, portal.base_url, "thay_minh")
        page.goto(f"{portal.base_url}/review/{study['review-video']}")
        assert page.evaluate(NO_SCROLL)
        assert page.get_attribute("video", "poster")
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=30000)
        # The rubric starts unticked, no decision chosen.
        assert page.locator("input[name^='rubric.']:checked").count() == 0
        assert page.locator("input[name=decision]:checked").count() == 0
        check_page(page, f"review-video-{size}")

        page.goto(f"{portal.base_url}/review/{study['review-pdf']}")
        page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert "Trang 1 /" in page.inner_text("figure.doc figcaption")
        with page.expect_navigation():
            page.click("nav.pager a[rel=next]")
        assert "Trang 2 /" in page.inner_text("figure.doc figcaption")
        page.wait_for_function("() => document.querySelector('figure.doc img').naturalWidth > 0")
        assert page.evaluate(NO_SCROLL)
        assert not refused, refused

        # Approving without ticking the rubric is refused on the same page, in Vietnamese, with
        # the comment kept; nothing is decided.
        comment = "Nội dung tốt, cần kiểm tra lại giấy phép."
        page.check("input[name=decision][value=approve]")
        page.fill("#one-comment", comment)
        with page.expect_navigation():
            page.click("form.stack button.primary")
        assert page.url.endswith(f"/review/{study['review-pdf']}")
        alert = page.inner_text("#form-error")
        assert "Chưa thể phê duyệt" in alert and "Giấy phép rõ ràng" in alert
        assert page.input_value("#one-comment") == comment
        assert page.is_checked("input[name=decision][value=approve]")
        assert "Chờ kiểm duyệt" in page.inner_text("main")
        check_page(page, f"review-refused-{size}")
        context.close()


class TestAudience:
    def test_anonymous_gets_no_lesson_plan_a_teacher_with_the_filter_does(
        self, browser: Any, portal: Portal, study: dict[str, str]
    ) -> None:
        plan = f".card a[href='/m/{study['plan']}']"
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        page.goto(portal.base_url + "/search?q=toan+lop+5")
        assert page.locator(".card").count() >= 3
        assert page.locator(plan).count() == 0
        assert page.evaluate(NO_SCROLL)
        context.close()

        context = browser.new_context(viewport=SIZES["desktop"])
        page = context.new_page()
        sign_in(page, portal.base_url, "co_lan")
        page.goto(portal.base_url + "/search?q=toan+lop+5")
        page.check("input[name=audience][value=giao-vien]")
        with page.expect_navigation():
            page.click(".facets button[type=submit]")
        assert "audience=giao-vien" in page.url
        assert page.locator(plan).count() == 1
        check_page(page, "search-teacher-filter")
        context.close()


class TestVideoQuality:
    def test_the_360p_choice_stays_360p(self, browser: Any, portal: Portal, study: dict[str, str]) -> None:
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        page.goto(f"{portal.base_url}/m/{study['lesson3']}")
        select = page.locator("select[name=quality]")
        assert select.is_visible()
        assert select.input_value() == "360p"
        assert "360p tiết kiệm dữ liệu" in page.inner_text("main")
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 2", timeout=30000)
        played = page.evaluate(
            "() => { const v = document.querySelector('video'); return [v.currentSrc, v.videoHeight]; }"
        )
        assert played[1] == 360, played
        assert "/hls/" not in played[0] and played[0].endswith(
            page.get_attribute("select[name=quality] option[value='360p']", "data-src")
        )
        assert select.is_visible()  # the choice never disappears, HLS or not
        # Another choice is remembered on this device, for the next video too.
        select.select_option("720p")
        page.wait_for_function("() => document.querySelector('video').videoHeight === 720", timeout=30000)
        page.reload()
        assert page.locator("select[name=quality]").input_value() == "720p"
        page.locator("select[name=quality]").select_option("360p")
        page.reload()
        assert page.locator("select[name=quality]").input_value() == "360p"
        # Renditions can be kept for later, their size shown.
        downloads = page.inner_text("ul.downloads")
        assert "Tải video 360p để xem sau" in downloads and "Tải video 720p để xem sau" in downloads
        check_page(page, "material-video-quality")
        context.close()


class TestStudying:
    def test_next_lesson_then_hoc_tiep_at_the_saved_position(
        self, browser: Any, portal: Portal, study: dict[str, str]
    ) -> None:
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        page.goto(f"{portal.base_url}/m/{study['lesson2']}")
        assert OUTCOME in page.inner_text("section.outcomes")
        assert page.get_attribute(".lesson-nav a[rel=prev]", "href") == f"/m/{study['lesson1']}"
        check_page(page, "material-lesson-nav")
        with page.expect_navigation():
            page.click(".lesson-nav a[rel=next]")
        assert page.url.endswith(f"/m/{study['lesson3']}")
        assert page.get_attribute(".lesson-nav a[rel=prev]", "href") == f"/m/{study['lesson2']}"
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 3", timeout=30000)
        position = page.evaluate(
            "() => { const v = document.querySelector('video'); v.pause(); return v.currentTime; }"
        )
        page.close()

        page = context.new_page()
        page.goto(portal.base_url + "/")
        link = page.locator("#continue-link")
        assert link.is_visible()
        assert "Học tiếp: Hình tròn, đường tròn" in page.inner_text("#continue")
        saved = int(position)
        assert link.get_attribute("href") == f"/m/{study['lesson3']}?t={saved}#viewer"
        check_page(page, "home-continue")
        with page.expect_navigation():
            link.click()
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function(f"() => document.querySelector('video').currentTime >= {saved}", timeout=30000)
        context.close()

    def test_a_lesson_reads_without_javascript(
        self, browser: Any, portal: Portal, study: dict[str, str]
    ) -> None:
        context = browser.new_context(viewport=SIZES["phone"], java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{portal.base_url}/m/{study['lesson2']}")
        assert OUTCOME in page.inner_text("main")
        assert page.get_attribute(".lesson-nav a[rel=next]", "href") == f"/m/{study['lesson3']}"
        page.goto(portal.base_url + "/")
        assert not page.locator("#continue").is_visible()  # nothing remembered, nothing shown
        context.close()


class TestNoSidewaysScroll:
    @pytest.mark.parametrize(
        ("user", "paths"),
        [
            (
                None,
                ["/", "/grades/5", "/grades/5/toan", "/search?q=toan+lop+5", "/search?q=khong+co+gi+ca+xyz"],
            ),
            ("co_lan", ["/teach", "/teach/upload"]),
            ("thay_minh", ["/review"]),
            ("quan_tri", ["/admin/users", "/admin/audit"]),
        ],
    )
    def test_no_page_scrolls_sideways_at_360(
        self, browser: Any, portal: Portal, study: dict[str, str], user: str | None, paths: list[str]
    ) -> None:
        context = browser.new_context(viewport=SIZES["phone"])
        page = context.new_page()
        if user:
            sign_in(page, portal.base_url, user)
        pdf = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        student = [f"/m/{study['lesson3']}", f"/m/{study['lesson2']}", f"/m/{pdf}/text?page=2"]
        for path in paths + (student if user is None else []):
            page.goto(portal.base_url + path)
            assert page.evaluate(NO_SCROLL), path
            if path.endswith("/text?page=2"):  # the reading view: text a phone reads without zooming
                size = page.evaluate(
                    "() => getComputedStyle(document.querySelector('.reading-text p')).fontSize"
                )
                assert float(size.removesuffix("px")) >= 16
                check_page(page, "reading-view")
        context.close()
