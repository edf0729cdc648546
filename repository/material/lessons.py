"""Lesson navigation: the previous and next lesson of the same book, and the material to open.

A book is (grade, subject, series, volume); its lessons are ordered as the browse tree orders
them (chapters, then lessons, numbers read as numbers: "Bài 2" before "Bài 10"). The order comes
from the caller (the search service's browse tree, counted under the audience rule); this module
picks, for a lesson, the material a reader opens: a lecture or video before a worksheet, never
one that the audience rule hides from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from repository.material.audience import is_for_students, sees_teacher_material
from repository.material.store import MaterialStore
from repository.models import User

#: What a reader opens first when a lesson has several materials.
PREFERRED_TYPES = (
    "video-bai-giang",
    "bai-giang-dien-tu",
    "bai-trinh-chieu",
    "sach-giao-khoa",
    "phieu-hoc-tap",
    "tai-lieu-tham-khao",
    "hoc-lieu-am-thanh",
    "hinh-anh",
    "mo-phong",
    "de-kiem-tra",
    "ke-hoach-bai-day",
)


@dataclass(frozen=True)
class LessonLink:
    """A lesson next to the current one: its heading and the material to open."""

    chapter: str
    lesson: str
    material_id: str
    title: str


def book_of(meta: Mapping[str, Any]) -> tuple[int, str, str, int] | None:
    """``(grade, subject, series, volume)`` of a material placed in a book, else None."""
    grades, subjects = meta.get("grades") or [], meta.get("subjects") or []
    if not (grades and subjects and meta.get("series") and meta.get("lesson")):
        return None
    return int(grades[0]), str(subjects[0]), str(meta["series"]), int(meta.get("volume") or 0)


def neighbours(
    session: Session,
    actor: User | None,
    meta: Mapping[str, Any],
    order: Sequence[tuple[str, str]],
) -> tuple[LessonLink | None, LessonLink | None]:
    """The previous and next lesson (with a material to open) around the material's own lesson.

    ``order`` is the book's ``(chapter, lesson)`` sequence. Lessons without a material the actor
    may open are skipped.
    """
    book = book_of(meta)
    here = (str(meta.get("chapter", "")), str(meta.get("lesson", "")))
    if book is None or here not in order:
        return None, None
    at = list(order).index(here)
    before = reversed(order[:at])
    after = order[at + 1 :]
    return _first(session, actor, book, before), _first(session, actor, book, after)


def _first(
    session: Session, actor: User | None, book: tuple[int, str, str, int], lessons: Any
) -> LessonLink | None:
    for chapter, lesson in lessons:
        found = material_for(session, actor, book, chapter, lesson)
        if found is not None:
            return found
    return None


def material_for(
    session: Session, actor: User | None, book: tuple[int, str, str, int], chapter: str, lesson: str
) -> LessonLink | None:
    """The material a reader opens for one lesson of a book (see :data:`PREFERRED_TYPES`)."""
    grade, subject, series, volume = book
    teacher = sees_teacher_material(actor)
    candidates = [
        m
        for m in MaterialStore.from_session(session).approved_in_lesson(series, lesson)
        if grade in (m.meta.get("grades") or [])
        and subject in (m.meta.get("subjects") or [])
        and int(m.meta.get("volume") or 0) == volume
        and str(m.meta.get("chapter", "")) == chapter
        and (teacher or is_for_students(m.meta))
    ]
    if not candidates:
        return None
    rank = {t: i for i, t in enumerate(PREFERRED_TYPES)}
    best = min(candidates, key=lambda m: rank.get(str(m.meta.get("type")), len(rank)))
    return LessonLink(chapter=chapter, lesson=lesson, material_id=best.id, title=best.title)
