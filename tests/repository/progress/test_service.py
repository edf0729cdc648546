"""Study progress of student accounts on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from repository.errors import NotFound, ValidationFailed
from repository.models import Role, WorkflowState
from repository.progress.service import progress
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user

BOOK = {"grades": [5], "subjects": ["toan"], "series": "canh-dieu", "volume": 2, "chapter": "Chủ đề 5"}
BOOK_KEY = (5, "toan", "canh-dieu", 2)
LESSONS = [("Chủ đề 5", "Bài 1"), ("Chủ đề 5", "Bài 2"), ("Chủ đề 5", "Bài 3")]


def _world(uow: UnitOfWork, runtime: Any) -> dict[str, Any]:
    s = uow.session
    admin = create_user(s, username="quan_tri", role=Role.admin)
    made: dict[str, Any] = {
        "student": create_user(s, username="hoc_sinh", role=Role.student),
        "teacher": create_user(s, username="co_lan", role=Role.teacher),
    }
    for n, lesson in enumerate(("Bài 1", "Bài 2", "Bài 3")):
        made[lesson] = create_material(
            s,
            runtime,
            admin,
            title=lesson,
            state=WorkflowState.approved,
            content=f"%PDF-1.4 {n}".encode(),
            filename=f"b{n}.pdf",
            metadata=BOOK | {"lesson": lesson},
        )
    made["draft"] = create_material(
        s, runtime, admin, title="Nháp", content=b"%PDF-1.4 draft", metadata=BOOK | {"lesson": "Bài 3"}
    )
    s.flush()
    return made


class TestProgress:
    def test_a_students_opened_watched_and_downloaded_per_book(self, runtime: Any) -> None:
        with UnitOfWork(runtime.db) as uow:
            w = _world(uow, runtime)
            student = w["student"]
            assert progress.book(uow.session, student, BOOK_KEY, LESSONS) == (0, 3)
            progress.record(uow.session, student, w["Bài 1"].id, "opened")
            row = progress.record(uow.session, student, w["Bài 1"].id, "watched", position=12.5)
            assert row is not None
            assert (row.watched, row.downloaded, row.position) == (True, False, 12.5)
            progress.record(uow.session, student, w["Bài 3"].id, "downloaded")
            uow.session.flush()
            assert progress.book(uow.session, student, BOOK_KEY, LESSONS) == (2, 3)
            # Another book (volume 1) is another book.
            assert progress.book(uow.session, student, (5, "toan", "canh-dieu", 1), LESSONS) == (0, 3)

    def test_only_student_accounts_on_material_they_may_see(self, runtime: Any) -> None:
        with UnitOfWork(runtime.db) as uow:
            w = _world(uow, runtime)
            assert progress.record(uow.session, w["teacher"], w["Bài 1"].id, "opened") is None
            assert progress.record(uow.session, None, w["Bài 1"].id, "opened") is None
            with pytest.raises(NotFound):  # a draft does not exist for a student
                progress.record(uow.session, w["student"], w["draft"].id, "opened")
            with pytest.raises(ValidationFailed):
                progress.record(uow.session, w["student"], w["Bài 1"].id, "hacked")
            with pytest.raises(ValidationFailed):
                progress.record(uow.session, w["student"], w["Bài 1"].id, "watched", position=-1)
            uow.session.flush()
            assert progress.book(uow.session, w["teacher"], BOOK_KEY, LESSONS) == (0, 3)
