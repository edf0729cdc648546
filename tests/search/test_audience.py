"""The audience rule (``repository.material.audience``) in search, browse and related lists.

Real database rows, the real outbox and the embedded index: a student or an anonymous visitor
gets material for students; a teacher gets everything; anyone asking for ``audience=giao-vien``
gets teachers' material. Through the API too (anonymous, and with a teacher's token).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.material.audience import effective_audience, is_for_students
from repository.models import Role
from repository.uow import UnitOfWork
from search.query import SearchQuery
from search.service import close_backend
from search.service import search as search_service
from tests.factories import create_user
from tests.search.helpers import Spec, populate

BOOK = {"grades": [5], "subjects": ["toan"], "series": "ket-noi-tri-thuc", "volume": 1}
SPECS = (
    Spec(
        "video",
        "Diện tích hình tam giác",
        meta=BOOK | {"type": "video-bai-giang", "audience": ["hoc-sinh"], "lesson": "Bài 19: Diện tích"},
        text="Diện tích hình tam giác bằng đáy nhân chiều cao chia hai.",
    ),
    Spec(
        "plan",
        "Kế hoạch bài dạy: Diện tích hình tam giác",
        # Declared for students by mistake: the type still makes it a teacher's tool.
        meta=BOOK | {"type": "ke-hoach-bai-day", "audience": ["hoc-sinh"], "lesson": "Bài 19: Diện tích"},
        text="Mục tiêu bài dạy: diện tích hình tam giác. Tiến trình dạy học.",
    ),
    Spec(
        "matrix",
        "Ma trận đề kiểm tra: Diện tích hình tam giác",
        meta=BOOK | {"type": "de-kiem-tra", "audience": ["giao-vien"], "lesson": "Kiểm tra giữa kì"},
        text="Ma trận và bản đặc tả đề kiểm tra diện tích hình tam giác.",
    ),
    Spec(
        "undeclared",
        "Phiếu bài tập: Diện tích hình tam giác",
        meta=BOOK | {"type": "phieu-hoc-tap", "lesson": "Bài 19: Diện tích"},
        text="Tính diện tích hình tam giác có đáy 6 cm và chiều cao 4 cm.",
    ),
)
TEACHER_ONLY = {"plan", "matrix"}


@pytest.fixture
def ids(runtime: Any) -> Iterator[dict[str, str]]:
    yield populate(runtime, SPECS)
    close_backend(runtime.settings)


def _user(runtime: Any, role: Role) -> Any:
    with UnitOfWork(runtime.db) as uow:
        user = create_user(uow.session, username=f"u_{role.value}", role=role)
        uow.session.flush()
        uow.session.expunge(user)
    return user


def _found(runtime: Any, actor: Any, **kw: Any) -> set[str]:
    result = search_service.search(runtime.settings, actor, SearchQuery("dien tich hinh tam giac", **kw))
    assert result.total == len(result.hits)
    return {h.id for h in result.hits}


class TestRule:
    def test_effective_audience(self) -> None:
        assert effective_audience({}) == ["hoc-sinh", "giao-vien", "phu-huynh"]
        assert effective_audience({"type": "ke-hoach-bai-day", "audience": ["hoc-sinh"]}) == ["giao-vien"]
        assert effective_audience({"audience": ["giao-vien", "hoc-sinh"]}) == ["hoc-sinh", "giao-vien"]
        assert not is_for_students({"audience": ["giao-vien"]})
        assert is_for_students({"audience": ["phu-huynh"]})  # parents read anonymously too


class TestSearch:
    def test_anonymous_and_students_get_material_for_students(
        self, runtime: Any, ids: dict[str, str]
    ) -> None:
        student = _user(runtime, Role.student)
        expected = {ids["video"], ids["undeclared"]}
        assert _found(runtime, None) == expected
        assert _found(runtime, student) == expected
        facets = search_service.search(runtime.settings, None, SearchQuery("")).facets
        assert "ke-hoach-bai-day" not in {f.value for f in facets["type"]}

    def test_teachers_get_everything(self, runtime: Any, ids: dict[str, str]) -> None:
        teacher = _user(runtime, Role.teacher)
        assert _found(runtime, teacher) == set(ids.values())

    def test_asking_for_teachers_material_gets_it_whoever_asks(
        self, runtime: Any, ids: dict[str, str]
    ) -> None:
        # An undeclared audience is everyone's, so it is teachers' material too.
        for actor in (None, _user(runtime, Role.student)):
            assert _found(runtime, actor, audiences=["giao-vien"]) == {
                ids["plan"],
                ids["matrix"],
                ids["undeclared"],
            }
        assert ids["plan"] not in _found(runtime, None, audiences=["hoc-sinh"])

    def test_browse_counts_follow_the_rule(self, runtime: Any, ids: dict[str, str]) -> None:
        teacher = _user(runtime, Role.teacher)
        anonymous = search_service.browse(runtime.settings, grade=5, subject="toan")
        teachers = search_service.browse(runtime.settings, grade=5, subject="toan", actor=teacher)
        assert anonymous.total == 2
        assert teachers.total == 4
        book = anonymous.grades[0].children[0].children[0]
        lessons = {lesson.value for chapter in book.children for lesson in chapter.children}
        assert "Kiểm tra giữa kì" not in lessons  # the exam matrix's lesson: teachers only

    def test_related_follow_the_rule(self, runtime: Any, ids: dict[str, str]) -> None:
        teacher = _user(runtime, Role.teacher)
        anonymous = {h.id for h in search_service.related(runtime.settings, ids["video"], size=10)}
        teachers = {
            h.id for h in search_service.related(runtime.settings, ids["video"], size=10, actor=teacher)
        }
        assert anonymous == {ids["undeclared"]}
        assert teachers == {ids["plan"], ids["matrix"], ids["undeclared"]}


class TestApi:
    def test_api_applies_the_rule_by_token(self, app: Any, runtime: Any, ids: dict[str, str]) -> None:
        from repository.user.service import user as user_service

        teacher = _user(runtime, Role.teacher)
        with UnitOfWork(runtime.db) as uow:
            token, _ = user_service.issue_token(
                uow.session, uow.session.merge(teacher), ttl=timedelta(hours=1)
            )
        client = TestClient(app)
        params = {"q": "dien tich hinh tam giac"}

        def hits(**headers: str) -> set[str]:
            body = client.get("/api/v1/search", params=params, headers=headers).json()
            return {h["id"] for h in body["hits"]}

        assert hits() == {ids["video"], ids["undeclared"]}
        assert hits(Authorization=f"Bearer {token}") == set(ids.values())
        params["audience"] = "giao-vien"
        assert {ids["plan"], ids["matrix"]} <= hits()
        related = client.get(f"/api/v1/materials/{ids['video']}/related").json()["hits"]
        assert {h["id"] for h in related} == {ids["undeclared"]}
        tree = client.get("/api/v1/browse", params={"grade": 5}).json()
        assert tree["total"] == 2


class TestBackends:
    """``students_only`` in both engines (embedded and the OpenSearch client against osmem), also
    for documents indexed before the index held the effective audience (declared codes only)."""

    def test_students_only_in_search_related_and_browse(self, backend: Any) -> None:
        from dataclasses import replace

        from search.documents import build_document

        def doc(ident: str, kind: str, audience: list[str] | None) -> Any:
            meta: dict[str, Any] = {"title": f"Diện tích {ident}", "grades": [5], "subjects": ["toan"]}
            meta |= {"type": kind} | ({"audience": audience} if audience else {})
            return build_document({"id": ident, "state": "approved", "metadata": meta})

        docs = [
            doc("video", "video-bai-giang", ["hoc-sinh"]),
            doc("plan", "ke-hoach-bai-day", None),
            doc("matrix", "de-kiem-tra", ["giao-vien"]),
            doc("parents", "tai-lieu-tham-khao", ["phu-huynh"]),
            # As an older release indexed a lesson plan: its declared audience, not the effective one.
            replace(doc("old-plan", "ke-hoach-bai-day", None), audience=[]),
        ]
        backend.index(docs)
        backend.refresh()
        everyone = {"video", "plan", "matrix", "parents", "old-plan"}
        students = {"video", "parents"}

        def found(**kw: Any) -> set[str]:
            return {h.id for h in backend.search(SearchQuery("dien tich", size=50, **kw)).hits}

        assert found() == everyone
        assert found(students_only=True) == students
        assert backend.search(SearchQuery("", students_only=True)).total == len(students)
        assert {h.id for h in backend.related("video", size=10)} == everyone - {"video"}
        assert {h.id for h in backend.related("video", size=10, students_only=True)} == {"parents"}
        assert backend.browse().total == len(everyone)
        assert backend.browse(students_only=True).total == len(students)
