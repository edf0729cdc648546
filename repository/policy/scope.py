"""Curator scope: which materials a curator may see and decide.

``User.scope`` is ``{"subjects": ["toan", ...], "grades": [5, ...], "organisations": [id, ...],
"curates_for": [id, ...]}``. The first three are the scope an admin sets: a material is inside it
when it shares at least one subject with ``subjects``, at least one grade with ``grades`` and its
contributing organisation (``materials.organisation_id``) is one of ``organisations``; an empty
(or absent) axis does not restrict. ``curates_for`` only ever adds: the organisations whose
``curator`` the account is (kept equal to its memberships by ``repository.organisation``), whose
materials it reviews whatever the rest says. So an organisation's manager, who changes those
memberships, can neither narrow a curator's scope nor widen it beyond the organisation's own
materials. The rule exists twice, once as SQL for queries (:func:`in_scope_clause`) and once in
Python for a loaded material (:func:`in_scope`); the tests check that they agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, true

from repository.json_sql import json_array_has
from repository.models import User

AXES = (("subjects", str), ("grades", int))
# Not in the metadata document: a column of the material, so they have their own checks below.
ORGANISATIONS = "organisations"
CURATES_FOR = "curates_for"


def scope_of(user: User) -> dict[str, list[Any]]:
    """The user's scope, normalised: both axes present, values of the right type."""
    raw = user.scope if isinstance(user.scope, dict) else {}
    out: dict[str, list[Any]] = {}
    for axis, kind in AXES:
        values = raw.get(axis) or []
        out[axis] = [v for v in values if isinstance(v, kind) and not isinstance(v, bool)]
    for key in (ORGANISATIONS, CURATES_FOR):
        out[key] = [v for v in raw.get(key) or [] if isinstance(v, str)]
    return out


def is_unrestricted(user: User) -> bool:
    scope = scope_of(user)
    return not scope["subjects"] and not scope["grades"] and not scope[ORGANISATIONS]


def in_scope(user: User, meta: dict[str, Any], organisation_id: str | None = None) -> bool:
    """Whether a material lies inside ``user``'s scope (Python twin of the SQL rule).

    Args:
        user: the curator.
        meta: the metadata document (the material's or the version's under review).
        organisation_id: the material's contributing organisation (None: an individual's).
    """
    scope = scope_of(user)
    if organisation_id is not None and organisation_id in scope[CURATES_FOR]:
        return True
    if scope[ORGANISATIONS] and organisation_id not in scope[ORGANISATIONS]:
        return False
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


def in_scope_clause(user: User, column: Any, organisation_column: Any) -> ColumnElement[bool]:
    """SQL twin of :func:`in_scope` over a JSON metadata column (``Material.meta`` or a version's)
    and the material's ``organisation_id`` column."""
    scope = scope_of(user)
    clause: ColumnElement[bool] = true()
    if scope[ORGANISATIONS]:
        clause = clause & organisation_column.in_(scope[ORGANISATIONS])
    for axis, _kind in AXES:
        if scope[axis]:
            clause = clause & _array_overlaps(column, axis, scope[axis])
    if scope[CURATES_FOR]:
        clause = or_(organisation_column.in_(scope[CURATES_FOR]), clause)
    return clause
