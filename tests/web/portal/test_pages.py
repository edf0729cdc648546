
"""Every portal page through the real app (TestClient): status, language, key content, CSRF."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from repository.text import has_marks
from tests.web.portal.conftest import Portal, csrf_of, sign_in
from web.portal.i18n import MESSAGES


class _Text(HTMLParser):
    """Visible text of a page, minus elements explicitly marked lang="en" and script/style."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.stack: list[bool] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("br", "img", "input", "meta", "link", "hr", "source"):
            return
        skipping = tag in ("script", "style") or (tag != "html" and dict(attrs).get("lang") == "en")
        self.stack.append(skipping)
        self.skip += skipping

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "source"):
            return
        if self.stack:
            self.skip -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def text_of(html: str) -> tuple[str | None, str]:
    parser = _Text()
    parser.feed(html)
    return parser.lang, " ".join(" ".join(parser.parts).split())


# English catalogue strings that differ from the Vietnamese ones and would be conspicuous.
# ("Tiếng Việt", the English UI's switch back, is Vietnamese itself.)
ENGLISH = sorted(
    {en for vi, en in MESSAGES.values() if en != vi and len(en) > 5 and "{" not in en and not has_marks(en)},
    key=len,
)


def assert_vietnamese(html: str) -> str:
    lang, text = text_of(html)
    assert lang == "vi"
    leaked = [en for en in ENGLISH if en in text]
    assert not leaked, f"untranslated strings in the Vietnamese page: {leaked}"
    return text


PUBLIC_PAGES = ("/", "/grades/5", "/grades/5/toan", "/search?q=toan+lop+5", "/search", "/signin")


class TestStudentPages:
    @pytest.mark.parametrize("path", PUBLIC_PAGES)
    def test_page_renders_in_vietnamese_and_english(self, client: TestClient, path: str) -> None:
        r = client.get(path)
        assert r.status_code == 200, r.text
        assert_vietnamese(r.text)
        en = client.get(path + ("&" if "?" in path else "?") + "lang=en")
        lang, text = text_of(en.text)
        assert lang == "en"
        assert "Tìm học liệu" not in text and "Search materials" in text

    def test_language_choice_is_remembered(self, client: TestClient) -> None:
        client.get("/?lang=en")
        assert 'lang="en"' in client.get("/grades/5").text
        client.get("/?lang=vi")
        assert 'lang="vi"' in client.get("/grades/5").text

    def test_home_lists_twelve_grades_with_counts(self, client: TestClient) -> None:
        text = assert_vietnamese(client.get("/").text)
        for g in range(1, 13):
            assert f"Lớp {g}" in text
        tree = client.get("/api/v1/browse").json()  # the JSON twin: same numbers
        assert f"Hiện có {tree['total']} học liệu" in text
        grade5 = next(n for n in tree["grades"] if n["value"] == "5")
        assert grade5["count"] >= 4 and f"Lớp 5 {grade5['count']} học liệu" in text

    def test_grade_lists_subjects(self, client: TestClient) -> None:
        r = client.get("/grades/5")
        assert 'href="/grades/5/toan"' in r.text
        assert "Tiếng Việt" in r.text and "Toán" in r.text
        assert client.get("/grades/13").status_code == 404

    def test_subject_page_shows_books_chapters_lessons_and_materials(
        self, client: TestClient, portal: Portal
    ) -> None:
        r = client.get("/grades/5/toan")
        text = assert_vietnamese(r.text)
        assert "Toán lớp 5" in text
        video = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        assert f'href="/m/{video}"' in r.text
        assert "<details" in r.text and "<summary>" in r.text  # chapters fold without JS

    def test_search_without_accents_finds_the_grade_5_video(self, client: TestClient, portal: Portal) -> None:
        r = client.get("/search", params={"q": "dien tich hinh tam giac"})
        video = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        assert f'href="/m/{video}"' in r.text
        assert "<mark>" in r.text
        assert 'name="grade" value="5"' in r.text  # facets rendered as a plain form

    def test_search_facet_filter_narrows(self, client: TestClient) -> None:
        params = {"q": "toan", "grade": "5", "type": "video-bai-giang"}
        everything = client.get("/search", params={"q": "toan"}).text
        only = client.get("/search", params=params).text
        twin = client.get("/api/v1/search", params=params).json()
        assert twin["total"] >= 1 and f"{twin['total']} học liệu" in only and " checked" in only
        assert only.count('class="card"') == twin["total"] < everything.count('class="card"')

    def test_page_hits_link_into_the_document_viewer(self, client: TestClient, portal: Portal) -> None:
        pdf = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        r = client.get("/search", params={"q": "phân số thập phân"})
        assert re.search(rf'href="/m/{pdf}\?page=\d+#viewer"', r.text)

    def test_bad_filter_is_a_translated_error_page(self, client: TestClient) -> None:
        r = client.get("/search", params={"subject": "khong-co"})
        assert r.status_code == 400
        assert "Có lỗi xảy ra" in r.text and 'lang="en"' in r.text

    def test_unknown_page_is_404_in_vietnamese(self, client: TestClient) -> None:
        r = client.get("/khong-co-trang-nay")
        assert r.status_code == 404 and "Không tìm thấy" in r.text


class TestMaterialPage:
    def test_video_has_poster_no_preload_360p_and_quality(self, client: TestClient, portal: Portal) -> None:
        mid = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        r = client.get(f"/m/{mid}")
        assert r.status_code == 200
        assert_vietnamese(r.text)
        video = re.search(r"<video[^>]*>", r.text, re.S)
        assert video and 'preload="none"' in video.group(0) and "poster=" in video.group(0)
        # The adaptive HLS ladder is the student's choice ("Tự động"), never the default.
        assert re.search(r'<option value="auto" data-src="/api/v1/materials/[^"]+/hls/master.m3u8"', r.text)
        assert "data-hls" not in video.group(0)
        source = re.search(r'<source src="([^"]+)" type="video/mp4">', r.text)
        assert source
        body = client.get(f"/api/v1/materials/{mid}").json()
        r360 = next(
            d for d in body["files"][0]["derivatives"] if d["kind"] == "rendition" and d["label"] == "360p"
        )
        assert source.group(1) == r360["url"]
        assert "Tải tệp gốc" in r.text
        assert f'<link rel="alternate" type="application/json" href="/api/v1/materials/{mid}">' in r.text

    def test_video_offers_its_listen_only_rendition(self, client: TestClient, portal: Portal) -> None:
        mid = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        body = client.get(f"/api/v1/materials/{mid}").json()
        speech = next(d for d in body["files"][0]["derivatives"] if d["label"] == "speech")
        assert speech["kind"] == "rendition" and speech["media_type"] == "audio/webm"
        r360 = next(d for d in body["files"][0]["derivatives"] if d["label"] == "360p")
        assert speech["size"] < r360["size"]  # (a still-slide demo video: the bench measures a lecture)
        page = client.get(f"/m/{mid}").text
        listen = re.search(r'<details class="listen"[^>]*>\s*<summary>Chỉ nghe \(([^)]+)\)</summary>', page)
        assert listen, "no 'chỉ nghe' player under the video"
        assert f'<audio controls preload="none" src="{speech["url"]}"' in page

    def test_document_viewer_jumps_to_page(self, client: TestClient, portal: Portal) -> None:
        mid = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        r = client.get(f"/m/{mid}", params={"page": 2})
        assert "Trang 2 / " in r.text
        assert 'rel="prev" href="?page=1#viewer"' in r.text
        assert re.search(r'<img src="/api/v1/materials/[^"]+" alt="Trang 2 của', r.text)

    def test_audio_image_and_text_viewers(self, client: TestClient, portal: Portal) -> None:
        audio = client.get(f"/m/{portal.materials['am-nhac-2-bai-hat-luyen-nhip-2-4.mp3']}").text
        assert re.search(r'<audio controls preload="none"', audio)
        image = client.get(f"/m/{portal.materials['sinh-hoc-11-so-do-quang-hop.jpg']}").text
        assert 'class="picture"' in image and "Hình ảnh: Sơ đồ quá trình quang hợp" in image
        html = client.get(f"/m/{portal.materials['toan-5-phieu-on-tap-phan-so.html']}").text
        assert "Nội dung dạng chữ" in html and "phân số" in html

    def test_related_materials_listed(self, client: TestClient, portal: Portal) -> None:
        r = client.get(f"/m/{portal.materials['toan-5-so-thap-phan.pptx']}")
        assert "Học liệu liên quan" in r.text

    def test_missing_material_is_404(self, client: TestClient) -> None:
        assert client.get("/m/khong-ton-tai").status_code == 404


class TestStaticAndBudget:
    def test_static_assets_are_hashed_and_cached_for_a_year(self, client: TestClient) -> None:
        html = client.get("/").text
        css = re.search(r'href="(/static/portal\.css\?v=[0-9a-f]{10})"', html)
        js = re.search(r'src="(/static/portal\.js\?v=[0-9a-f]{10})"', html)
        assert css and js
        r = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
        assert r.headers["content-encoding"] == "gzip"

    def test_pages_are_gzipped_but_downloads_are_not(self, client: TestClient, portal: Portal) -> None:
        r = client.get("/search?q=toan", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        mid = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        f = client.get(f"/api/v1/materials/{mid}").json()["files"][0]
        d = client.get(f["url"], headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
        assert d.status_code == 206 and "content-encoding" not in d.headers and len(d.content) == 100

    def test_no_third_party_urls(self, client: TestClient) -> None:
        for path in PUBLIC_PAGES:
            html = client.get(path).text
            assert not re.search(r'(src|href)="(https?:)?//', html), path


class TestSessionsAndCsrf:
    def test_teacher_pages_need_sign_in(self, client: TestClient) -> None:
        r = client.get("/teach", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fteach"

    def test_sign_in_sets_secure_httponly_samesite_cookie(self, client: TestClient) -> None:
        page = client.get("/signin")
        r = client.post(
            "/signin",
            data={
                "username": "co_lan",
                "password": "mat-khau-rat-dai-1",
                "csrf_token": csrf_of(page.text),
                "next": "/teach",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/teach"
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("hl_session="))
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
        assert "Học liệu của tôi" in client.get("/teach").text

    def test_wrong_password_is_refused_in_vietnamese(self, client: TestClient) -> None:
        page = client.get("/signin")
        r = client.post(
            "/signin",
            data={"username": "co_lan", "password": "sai-mat-khau-123", "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in r.text

    def test_forms_without_csrf_token_are_refused(self, client: TestClient) -> None:
        r = client.post("/signin", data={"username": "co_lan", "password": "mat-khau-rat-dai-1"})
        assert r.status_code == 403 and "Biểu mẫu đã hết hạn" in r.text
        sign_in(client, "co_lan")
        assert client.post("/signout", data={"csrf_token": "0" * 64}).status_code == 403
        up = client.post("/teach/upload", files={"file": ("a.txt", b"bai hoc", "text/plain")})
        assert up.status_code == 403
        assert client.get("/teach").status_code == 200  # still signed in

    def test_open_redirect_is_refused(self, client: TestClient) -> None:
        page = client.get("/signin")
        r = client.post(
            "/signin",
            data={
                "username": "co_lan",
                "password": "mat-khau-rat-dai-1",
                "csrf_token": csrf_of(page.text),
                "next": "//evil.example/",
            },
            follow_redirects=False,
        )
        assert r.headers["location"] == "/"

    def test_sign_out_revokes_the_session_token(self, client: TestClient) -> None:
        sign_in(client, "co_lan")
        stolen = client.cookies.get("hl_session")
        token = csrf_of(client.get("/teach").text)
        assert client.post("/signout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        bearer = {"Authorization": f"Bearer {stolen.partition(':')[2]}"}
        assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401

    def test_student_cannot_open_review_or_admin(self, client: TestClient) -> None:
        sign_in(client, "co_lan")
        assert client.get("/review").status_code == 403
        assert client.get("/admin/users").status_code == 403


class TestTeacherCuratorAdmin:
    def test_upload_fill_in_submit_approve(self, client: TestClient, portal: Portal) -> None:
        import time

        sign_in(client, "co_lan")
        token = csrf_of(client.get("/teach/upload").text)
        text = "Bài 12: Cộng hai phân số khác mẫu số. Toán lớp 4. Quy đồng mẫu số rồi cộng tử số.".encode()
        r = client.post(
            "/teach/upload",
            files={"file": ("cong-phan-so-lop-4.txt", text, "text/plain")},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert r.status_code == 201, r.text
        mid = r.json()[0]["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(f"/teach/m/{mid}/status").json()
            if status["files"][0]["status"] in ("ready", "failed"):
                break
            time.sleep(0.3)
        assert status["files"][0]["status"] == "ready"
        page = client.get(f"/teach/m/{mid}")
        assert_vietnamese(page.text)
        assert "Gợi ý tự động" in page.text  # subject/grade pre-filled from auto-tagging
        token = csrf_of(page.text)
        saved = client.post(
            f"/teach/m/{mid}",
            data={
                "csrf_token": token,
                "title": "Cộng hai phân số khác mẫu số",
                "grades": "4",
                "subjects": "toan",
                "type": "phieu-hoc-tap",
                "language": "vi",
                "license": "CC-BY-4.0",
                "keywords": "phân số, cộng",
            },
        )
        assert saved.status_code == 200 and "Đã lưu" in saved.text
        submitted = client.post(f"/teach/m/{mid}/submit", data={"csrf_token": token})
        assert "Đã gửi kiểm duyệt" in submitted.text and "Chờ kiểm duyệt" in submitted.text

        client.cookies.clear()
        sign_in(client, "thay_minh")
        queue = client.get("/review")
        assert queue.status_code == 200 and f'href="/review/{mid}"' in queue.text
        item = client.get(f"/review/{mid}")
        assert "Tiêu chí kiểm duyệt" in item.text
        decided = client.post(
            f"/review/{mid}",
            data={
                "csrf_token": csrf_of(item.text),
                "decision": "approve",
                "rubric.curriculum_alignment": "on",
                "rubric.license_clear": "on",
                "rubric.content_accurate": "on",
                "rubric.quality_accessibility": "on",
            },
        )
        assert decided.status_code == 200 and "Đã ghi nhận quyết định" in decided.text
        public = client.get(f"/m/{mid}")
        assert "Đã được phê duyệt (phiên bản 1) và ký số" in public.text

    def test_admin_pages(self, client: TestClient) -> None:
        sign_in(client, "quan_tri")
        users = client.get("/admin/users")
        assert users.status_code == 200 and "thay_minh" in users.text
        assert_vietnamese(users.text)
        audit = client.get("/admin/audit")
        assert "Chuỗi băm nhật ký nguyên vẹn" in audit.text
        assert client.get("/admin/integrity").status_code == 200
