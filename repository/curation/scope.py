"""Curator scope: which materials a curator may see and decide.

``User.scope`` is ``{"subjects": ["toan", ...], "grades": [5, ...]}``. A material is inside the
scope when it shares at least one subject with ``subjects`` and at least one grade with
``grades``; an empty (or absent) axis does not restrict. The rule exists twice, once as SQL for
queries (:func:`in_scope_clause`) and once in Python for a loaded document (:func:`in_scope`);
``tests/repository/curation/test_scope.py`` checks that they agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from repository.json_sql import json_array_has
from repository.models import User

AXES = (("subjects", str), ("grades", int))


def scope_of(user: User) -> dict[str, list[Any]]:
    """The user's scope, normalised: both axes present, values of the right type."""
    raw = user.scope if isinstance(user.scope, dict) else {}
    out: dict[str, list[Any]] = {}
    for axis, kind in AXES:
        values = raw.get(axis) or []
        out[axis] = [v for v in values if isinstance(v, kind) and not isinstance(v, bool)]
    return out


def is_unrestricted(user: User) -> bool:
    scope = scope_of(user)
    return not scope["subjects"] and not scope["grades"]


def in_scope(user: User, meta: dict[str, Any]) -> bool:
    """Whether a metadata document lies inside ``user``'s scope (Python twin of the SQL rule)."""
    scope = scope_of(user)
    for axis, _kind in AXES:
        wanted = scope[axis]
        if not wanted:
            continue
        have = meta.get(axis) or []
        if not isinstance(have, list) or not set(map(str, have)) & set(map(str, wanted)):
            return False
    return True


def _array_overlaps(column: Any, axis: str, values: list[Any]) -> ColumnElement[bool]:
    """SQL: the JSON array ``column[axis]`` shares an element with ``values`` (compared as text)."""
    return json_array_has(column, axis, [str(v) for v in values])


def in_scope_clause(user: User, column: Any) -> ColumnElement[bool]:
    """SQL twin of :func:`in_scope` over a JSON metadata column (``Material.meta`` or a version's)."""
    scope = scope_of(user)
    clause: ColumnElement[bool] = true()
    for axis, _kind in AXES:
        if scope[axis]:
            clause = clause & _array_overlaps(column, axis, scope[axis])
    return clause
