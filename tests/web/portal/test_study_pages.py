
"""Portal pages of issue 17 through the real app (TestClient): refused forms explained in
Vietnamese with what was typed kept, admins finding accounts and editing a curator's scope, the
audit log in labels, error pages with a way back."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.web.portal.conftest import Portal, csrf_of, sign_in
from tests.web.portal.test_pages import assert_vietnamese


def _draft(client: TestClient, name: str) -> str:
    token = csrf_of(client.get("/teach/upload").text)
    r = client.post(
        "/teach/upload",
        data={"csrf_token": token},
        files={"files": (name, f"# {name}\n\nPhiếu luyện tập.".encode(), "text/markdown")},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()[0]["id"])


class TestTeacherForm:
    def test_a_refused_submit_keeps_what_was_typed_and_says_why_in_vietnamese(
        self, client: TestClient
    ) -> None:
        sign_in(client, "co_lan")
        mid = _draft(client, f"phieu-{time.monotonic_ns()}.md")
        page = client.get(f"/teach/m/{mid}")
        typed = {
            "csrf_token": csrf_of(page.text),
            "title": "Phiếu ôn tập hình thang",
            "license": "CC-BY-4.0",
            "volume": "tập hai",
            "chapter": "Chủ đề 5",
        }
        r = client.post(f"/teach/m/{mid}/submit", data=typed)
        assert r.status_code == 422
        text = assert_vietnamese(r.text)
        assert "Tập sách là một số từ 1 đến 10" in text
        assert 'value="Phiếu ôn tập hình thang"' in r.text and 'value="tập hai"' in r.text
        assert "Bản nháp" in text  # nothing was submitted
        # Without a title: the reason names it.
        r = client.post(f"/teach/m/{mid}", data=typed | {"title": "", "volume": "2"})
        assert r.status_code == 422 and "Hãy nhập tiêu đề học liệu" in r.text
        assert 'value="Chủ đề 5"' in r.text

    def test_hints_show_labels_not_codes(self, client: TestClient, portal: Portal) -> None:
        sign_in(client, "co_lan")
        mid = _draft(client, f"phieu-hoc-tap-toan-lop-5-{time.monotonic_ns()}.md")
        deadline = time.monotonic() + 60
        while client.get(f"/teach/m/{mid}/status").json()["files"][0]["status"] not in ("ready", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        page = client.get(f"/teach/m/{mid}").text
        hints = [h.split("</small>", 1)[0] for h in page.split('<small class="sugg">')[1:]]
        assert "Gợi ý tự động: Phiếu học tập" in hints  # the type read from the file name, by its label
        for shown in hints:
            assert "phieu-hoc-tap" not in shown, shown


class TestAdmin:
    def test_find_accounts_and_edit_a_curators_scope(self, client: TestClient) -> None:
        sign_in(client, "quan_tri")
        found = client.get("/admin/users", params={"q": "THAY"})
        assert_vietnamese(found.text)
        table = found.text.split("<tbody>", 1)[1]
        assert "thay_minh" in table and "co_lan" not in table
        curator_id = table.split('action="/admin/users/', 1)[1].split('"', 1)[0]
        token = csrf_of(found.text)
        try:
            r = client.post(
                f"/admin/users/{curator_id}",
                data={
                    "csrf_token": token,
                    "what": "scope",
                    "subjects": ["toan", "tieng-viet"],
                    "grades": ["5"],
                },
                follow_redirects=False,
            )
            assert r.status_code == 303
            again = client.get("/admin/users", params={"q": "thay_minh"}).text
            scope = again.split('data-label="Phạm vi"', 1)[1].split("</td>", 1)[0]
            assert "Toán" in scope and "Tiếng Việt" in scope and "Lớp 5" in scope
        finally:  # the session's other tests expect the curator's scope of the fixture
            client.post(
                f"/admin/users/{curator_id}",
                data={"csrf_token": token, "what": "scope", "subjects": ["toan"]},
            )

    def test_the_audit_log_reads_in_labels(self, client: TestClient) -> None:
        sign_in(client, "quan_tri")
        audit = client.get("/admin/audit").text
        assert "Đăng nhập cổng" in audit and "auth.portal_signed_in" not in audit
        assert "Người thực hiện" in audit and ">quan_tri" in audit


class TestErrorPage:
    def test_a_way_back_to_the_page_the_visitor_came_from(self, client: TestClient, portal: Portal) -> None:
        pdf = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        r = client.get(f"/m/{pdf}?page=", headers={"Referer": f"https://testserver/m/{pdf}?page=2"})
        assert r.status_code == 422
        assert_vietnamese(r.text)
        assert f'href="/m/{pdf}?page=2">Quay lại trang trước' in r.text
        other = client.get(f"/m/{pdf}?page=", headers={"Referer": "https://elsewhere.example/x"})
        assert "Quay lại trang trước" not in other.text


class TestCurriculumNames:
    def test_primary_grades_name_hoat_dong_trai_nghiem_without_huong_nghiep(self, client: TestClient) -> None:
        from repository.vocabularies import get_vocabulary

        term = get_vocabulary("subject").term("hoat-dong-trai-nghiem")
        assert term.label("vi", grade=3) == "Hoạt động trải nghiệm"
        assert term.label("vi", grade=7) == term.label("vi") == "Hoạt động trải nghiệm, hướng nghiệp"
        primary = client.get("/grades/3").text
        assert "Hoạt động trải nghiệm<" in primary and "hướng nghiệp" not in primary
        assert "Hoạt động trải nghiệm, hướng nghiệp" in client.get("/grades/7").text
        tree = client.get("/api/v1/browse", params={"grade": 4}).json()
        labels = {s["value"]: s["label"] for s in tree["grades"][0]["children"]}
        assert labels["hoat-dong-trai-nghiem"] == "Hoạt động trải nghiệm"


class TestReadingView:
    def test_paragraphs_reflow_lines_and_keep_items_apart(self) -> None:
        from repository.material.reading import paragraphs

        text = (
            "3. Bài tập\n• Bài 1. Đọc các phân số\nthập phân: 9/10.\n• Bài 2. Viết\nphân số\n\n"
            "Đoạn mới\ntiếp theo"
        )
        assert paragraphs(text) == [
            "3. Bài tập",
            "• Bài 1. Đọc các phân số thập phân: 9/10.",
            "• Bài 2. Viết phân số",
            "Đoạn mới tiếp theo",
        ]

    def test_a_pdf_reads_as_text_page_by_page(self, client: TestClient, portal: Portal) -> None:
        pdf = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        material = client.get(f"/m/{pdf}").text
        assert f'<a href="/m/{pdf}/text">Đọc dạng văn bản</a>' in material
        r = client.get(f"/m/{pdf}/text", params={"page": 2})
        assert r.status_code == 200
        text = assert_vietnamese(r.text)
        assert "Trang 2 / 3" in text
        assert "<p>• Bài 1. Đọc các phân số thập phân" in r.text  # one item per paragraph
        assert 'rel="prev" href="?page=1"' in r.text and 'rel="next" href="?page=3"' in r.text
        assert "Trang 3 / 3" in client.get(f"/m/{pdf}/text", params={"page": 99}).text
        assert client.get("/m/khong-co/text").status_code == 404


class TestNoResults:
    def test_nothing_found_offers_the_grade_and_subject_and_what_is_used_there(
        self, client: TestClient, portal: Portal
    ) -> None:
        r = client.get("/search", params={"q": '"qwzx vbnm" toan lop 5'})
        text = assert_vietnamese(r.text)
        assert "Không tìm thấy học liệu phù hợp" in text
        assert '<a href="/grades/5/toan">Toán lớp 5</a>' in r.text
        popular = r.text.split('class="no-results"', 1)[1]
        video = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        assert f'href="/m/{video}"' in popular  # grade 5 maths, most used first
        assert 'href="/m/' + portal.materials["sinh-hoc-11-so-do-quang-hop.jpg"] not in popular
        # Words that name nothing: the most used materials overall, and the way to browse.
        other = client.get("/search", params={"q": '"qwzx vbnm"'}).text
        assert "Học liệu được dùng nhiều" in other and 'href="/">Xem học liệu theo lớp' in other


class TestStudentProgress:
    def test_a_student_accounts_progress_per_book(self, client: TestClient, portal: Portal) -> None:
        from repository import runtime as runtime_module
        from repository.curation.accounts import accounts
        from repository.curation.schemas import UserAdminCreate
        from repository.models import StudyProgress
        from repository.uow import UnitOfWork
        from tests.web.portal.conftest import PASSWORD

        rt = runtime_module.configure(portal.settings)  # type: ignore[arg-type]
        name = f"hoc_sinh_{time.monotonic_ns() % 10**9}"
        with UnitOfWork(rt.db) as uow:
            student = accounts.create_user(
                uow.session, None, UserAdminCreate(username=name, role="student", password=PASSWORD)
            )
            student_id = student.id
        pdf = portal.materials["toan-5-phan-so-thap-phan.pdf"]
        video = portal.materials["toan-5-dien-tich-hinh-tam-giac.mp4"]
        anonymous = client.post(f"/progress/{video}", data={"event": "watched"}, follow_redirects=False)
        assert anonymous.status_code == 303  # sign in first
        sign_in(client, name)
        before = client.get("/grades/5/toan").text
        assert "Đã học 0/" in before
        page = client.get(f"/m/{pdf}")  # opened
        assert 'data-progress-post="/progress/' in page.text
        token = csrf_of(page.text)
        r = client.post(f"/progress/{video}", data={"event": "watched"}, headers={"X-CSRF-Token": token})
        assert r.status_code == 204
        refused = client.post(f"/progress/{video}", data={"event": "watched"})
        assert refused.status_code == 403  # no CSRF token
        bad = client.post(f"/progress/{video}", data={"event": "x"}, headers={"X-CSRF-Token": token})
        assert bad.status_code == 422
        after = client.get("/grades/5/toan").text
        assert "Đã học 2/" in after and "<progress" in after
        with rt.db.read() as session:
            rows = {p.material_id: p for p in session.query(StudyProgress).filter_by(user_id=student_id)}
        assert set(rows) == {pdf, video}
        assert rows[video].watched and not rows[pdf].watched
        # Nobody else's pages carry it.
        client.cookies.clear()
        sign_in(client, "co_lan")
        assert "data-progress-post" not in client.get(f"/m/{pdf}").text
        assert "Đã học" not in client.get("/grades/5/toan").text


class TestMarkdownWorksheet:
    def test_a_markdown_worksheet_is_shown_rendered(self, client: TestClient) -> None:
        sign_in(client, "co_lan")
        token = csrf_of(client.get("/teach/upload").text)
        body = f"# Phiếu {time.monotonic_ns()}\n\n1. Câu một\n2. Câu hai\n\n<script>alert(1)</script>\n"
        r = client.post(
            "/teach/upload",
            data={"csrf_token": token},
            files={"files": ("phieu-markdown.md", body.encode(), "text/markdown")},
            headers={"Accept": "application/json"},
        )
        mid = r.json()[0]["id"]
        deadline = time.monotonic() + 60
        while client.get(f"/teach/m/{mid}/status").json()["files"][0]["status"] not in ("ready", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        page = client.get(f"/m/{mid}").text
        sheet = page.split('<div class="worksheet">', 1)[1].split("</div>", 1)[0]
        assert "<h1>Phiếu" in sheet and "<li>Câu một</li>" in sheet
        assert "&lt;script&gt;" in sheet and "<script>alert" not in page
