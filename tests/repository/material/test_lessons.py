"""Lesson navigation (``repository.material.lessons``) on the real database (SQLite, PostgreSQL):
the JSON lookups of a lesson's materials and the choice of the one a reader opens."""

from __future__ import annotations

from typing import Any

from repository.material import lessons
from repository.models import Role, WorkflowState
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user

BOOK = {"grades": [5], "subjects": ["toan"], "series": "canh-dieu", "volume": 2, "chapter": "Chủ đề 5"}
ORDER = [("Chủ đề 5", "Bài 1"), ("Chủ đề 5", "Bài 2"), ("Chủ đề 5", "Bài 3"), ("Chủ đề 5", "Bài 10")]


def _book(runtime: Any) -> dict[str, str]:
    made = {
        "b1-sheet": ("Bài 1", "phieu-hoc-tap", WorkflowState.approved, BOOK),
        "b1-video": ("Bài 1", "video-bai-giang", WorkflowState.approved, BOOK),
        "b2": ("Bài 2", "phieu-hoc-tap", WorkflowState.approved, BOOK),
        "b3-plan": ("Bài 3", "ke-hoach-bai-day", WorkflowState.approved, BOOK),
        "b10-draft": ("Bài 10", "phieu-hoc-tap", WorkflowState.draft, BOOK),
        "other-volume": ("Bài 3", "phieu-hoc-tap", WorkflowState.approved, BOOK | {"volume": 1}),
        "other-grade": ("Bài 3", "phieu-hoc-tap", WorkflowState.approved, BOOK | {"grades": [4]}),
    }
    ids: dict[str, str] = {}
    with UnitOfWork(runtime.db) as uow:
        admin = create_user(uow.session, username="quan_tri", role=Role.admin)
        for n, (key, (lesson, kind, state, book)) in enumerate(made.items()):
            m = create_material(
                uow.session,
                runtime,
                admin,
                title=key,
                state=state,
                content=f"%PDF-1.4 {key} {n}".encode(),
                filename=f"{key}.pdf",
                metadata=book | {"lesson": lesson, "type": kind},
            )
            ids[key] = m.id
    return ids


class TestNeighbours:
    def test_previous_and_next_skip_what_the_reader_may_not_open(self, runtime: Any) -> None:
        ids = _book(runtime)
        with runtime.db.read() as session:
            teacher = create_user(session, username="co_lan", role=Role.teacher)
            here = BOOK | {"lesson": "Bài 2"}
            before, after = lessons.neighbours(session, None, here, ORDER)
            # The lecture video before the worksheet; a lesson plan is no student's next lesson,
            # and neither is a draft, another volume or another grade.
            assert before is not None
            assert before.material_id == ids["b1-video"]
            assert after is None
            _, after = lessons.neighbours(session, teacher, here, ORDER)
            assert after is not None
            assert (after.lesson, after.material_id) == ("Bài 3", ids["b3-plan"])
            session.rollback()

    def test_no_links_outside_a_book(self, runtime: Any) -> None:
        _book(runtime)
        with runtime.db.read() as session:
            assert lessons.neighbours(session, None, {"lesson": "Bài 2"}, ORDER) == (None, None)
            assert lessons.neighbours(session, None, BOOK | {"lesson": "Bài 99"}, ORDER) == (None, None)
