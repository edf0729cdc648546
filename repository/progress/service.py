"""Study progress for student accounts: what they opened, watched to the end and downloaded.

Only student accounts have it (a teacher opening a lesson is not studying it), only on approved
material they may see; anonymous visitors have the browser's own memory ("Học tiếp") instead.
A book's progress is the share of its lessons with at least one material opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy.orm import Session

from repository.errors import ValidationFailed
from repository.material.lessons import book_of
from repository.material.service import material as material_service
from repository.models import Role, StudyProgress, User, WorkflowState, utcnow
from repository.progress.store import ProgressStore

Event = Literal["opened", "watched", "downloaded"]
EVENTS: tuple[str, ...] = ("opened", "watched", "downloaded")


def keeps_progress(actor: User | None) -> bool:
    """Progress is kept for signed-in students only."""
    return actor is not None and not actor.disabled and actor.role == Role.student


class ProgressService:
    def record(
        self,
        session: Session,
        actor: User | None,
        material_id: str,
        event: str,
        *,
        position: float | None = None,
    ) -> StudyProgress | None:
        """Note ``event`` for the actor on a material; None (nothing kept) for anyone but a student.

        Raises:
            NotFound: no such material visible to the actor.
            ValidationFailed: an unknown event or an impossible position.
        """
        if event not in EVENTS:
            raise ValidationFailed(f"event must be one of {', '.join(EVENTS)}")
        if position is not None and not 0 <= position < 86_400:
            raise ValidationFailed("position is a number of seconds within a day")
        if not keeps_progress(actor):
            return None
        assert actor is not None
        found = material_service.get(session, actor, material_id)
        if found.state != WorkflowState.approved:
            return None
        store = ProgressStore.from_session(session)
        row = store.find(actor.id, found.id)
        if row is None:
            row = store.add(
                StudyProgress(
                    user_id=actor.id, material_id=found.id, watched=False, downloaded=False, position=0.0
                )
            )
        row.updated_at = utcnow()
        if event == "watched":
            row.watched = True
        elif event == "downloaded":
            row.downloaded = True
        if position is not None:
            row.position = position
        return row

    def book(
        self,
        session: Session,
        actor: User | None,
        book: tuple[int, str, str, int],
        lessons: Sequence[tuple[str, str]],
    ) -> tuple[int, int]:
        """``(lessons opened, lessons in the book)`` for a student; ``(0, n)`` for anyone else."""
        if not keeps_progress(actor) or not lessons:
            return 0, len(lessons)
        assert actor is not None
        wanted = set(lessons)
        opened = {
            (str(m.meta.get("chapter", "")), str(m.meta.get("lesson", "")))
            for _, m in ProgressStore.from_session(session).in_series(actor.id, book[2])
            if book_of(m.meta) == book
        }
        return len(opened & wanted), len(wanted)


progress = ProgressService()
