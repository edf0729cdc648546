"""Who a material is for: the one audience rule that search, browse and related lists apply.

A material declares its audience (``hoc-sinh``, ``giao-vien``, ``phu-huynh``) or not; its
*effective* audience is what it declares, everyone when it declares nothing, and never students
for a teacher-only type (a lesson plan is a teacher's tool whatever its form says). Students and
anonymous visitors see material whose effective audience includes students (or parents-only
material, which a parent reading anonymously may want); teachers, curators and admins see
everything; anyone who asks for an audience (the ``audience`` filter) gets what they ask for.

Example::

    >>> effective_audience({"type": "ke-hoach-bai-day"})
    ['giao-vien']
    >>> effective_audience({"type": "phieu-hoc-tap"})
    ['hoc-sinh', 'giao-vien', 'phu-huynh']
    >>> sees_teacher_material(None)
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repository.models import Role, User
from repository.policy.roles import has_role

STUDENT = "hoc-sinh"
TEACHER = "giao-vien"
PARENT = "phu-huynh"
EVERYONE = (STUDENT, TEACHER, PARENT)
#: Resource types made for teaching, not for studying: never shown to students by default.
#: (An exam *matrix* is a ``de-kiem-tra`` declared for ``giao-vien``; a test paper itself may be
#: practice for students, so the type alone does not hide it.)
TEACHER_ONLY_TYPES: frozenset[str] = frozenset({"ke-hoach-bai-day"})


def effective_audience(meta: Mapping[str, Any]) -> list[str]:
    """The audiences a material is for, in vocabulary order (see the module docstring)."""
    declared = [a for a in EVERYONE if a in set(meta.get("audience") or ())]
    audience = declared or list(EVERYONE)
    if meta.get("type") in TEACHER_ONLY_TYPES:
        audience = [a for a in audience if a != STUDENT] or [TEACHER]
    return audience


def is_for_students(meta: Mapping[str, Any]) -> bool:
    """Whether a student or an anonymous visitor gets this material without asking for it."""
    audience = effective_audience(meta)
    return STUDENT in audience or TEACHER not in audience


def sees_teacher_material(actor: User | None) -> bool:
    """Teachers, curators and admins get teacher-only material without asking for it."""
    return has_role(actor, Role.teacher)
