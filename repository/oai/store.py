"""SQL for harvesting: public materials and the tombstones of materials that were public once.

Everything a harvester sees is ordered by ``(updated_at, id)``: the keyset the resumption tokens
carry. ``updated_at`` changes on every write of the ``materials`` row (``onupdate``), so a record
edited while a harvest is running moves behind the cursor and is delivered again, never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import selectinload

from repository.json_sql import json_array_has
from repository.models import Material, MaterialVersion, Organisation, WorkflowState
from repository.policy.visibility import visible_to
from repository.store import StoreBase


@dataclass(frozen=True)
class SetFilter:
    """One OAI set as a condition on the metadata document.

    ``axis`` is ``subjects`` / ``grades`` (JSON arrays), ``type`` (a string) or ``organisation``
    (the contributing organisation's slug); ``value`` None means "has any value on that axis" (the
    parent sets ``subject``, ``grade``, ``type``, ``org``).
    """

    axis: str
    value: str | None


@dataclass(frozen=True)
class Window:
    """Which records a list request covers: ``from <= updated_at < until`` and an optional set."""

    since: datetime | None = None
    before: datetime | None = None
    set: SetFilter | None = None


@dataclass(frozen=True)
class Row:
    """One harvestable material and whether it is public now (False: a deleted record)."""

    material: Material
    public: bool


def _array_has(axis: str, value: str | None) -> ColumnElement[bool]:
    """SQL: the JSON array ``meta[axis]`` contains ``value`` (compared as text), or any element."""
    return json_array_has(Material.meta, axis, None if value is None else [value])


def _set_clause(set_filter: SetFilter | None) -> ColumnElement[bool]:
    if set_filter is None:
        return true()
    if set_filter.axis == "type":
        typ: ColumnElement[str] = Material.meta["type"].as_string()
        return typ.is_not(None) if set_filter.value is None else typ == set_filter.value
    if set_filter.axis in ("subjects", "grades"):
        return _array_has(set_filter.axis, set_filter.value)
    if set_filter.axis == "organisation":
        if set_filter.value is None:
            return Material.organisation_id.is_not(None)
        return Material.organisation_id.in_(
            select(Organisation.id).where(Organisation.slug == set_filter.value).scalar_subquery()
        )
    return false()


def _public() -> ColumnElement[bool]:
    # The one visibility rule, as an anonymous visitor: harvesters never sign in.
    return visible_to(None)


def _was_public() -> ColumnElement[bool]:
    """Not public now, but some version of it was approved (a signed approval survives withdrawal)."""
    approved_once = exists(
        select(literal(1)).where(
            MaterialVersion.material_id == Material.id,
            or_(MaterialVersion.state == WorkflowState.approved, MaterialVersion.signature.is_not(None)),
        )
    )
    return and_(~_public(), approved_once)


class OaiStore(StoreBase[Material]):
    model = Material

    def _where(self, window: Window) -> ColumnElement[bool]:
        cond = or_(_public(), _was_public()) & _set_clause(window.set)
        if window.since is not None:
            cond = cond & (Material.updated_at >= window.since)
        if window.before is not None:
            cond = cond & (Material.updated_at < window.before)
        return cond

    def page(self, window: Window, *, after: tuple[datetime, str] | None, limit: int) -> list[Row]:
        """Up to ``limit`` records of ``window`` strictly after the keyset cursor ``after``."""
        cond = self._where(window)
        if after is not None:
            at, last_id = after
            cond = cond & or_(
                Material.updated_at > at, and_(Material.updated_at == at, Material.id > last_id)
            )
        stmt = (
            select(Material, _public().label("public"))
            .options(selectinload(Material.files), selectinload(Material.organisation))
            .where(cond)
            .order_by(Material.updated_at, Material.id)
            .limit(limit)
        )
        return [Row(material=m, public=bool(p)) for m, p in self.session.execute(stmt)]

    def count(self, window: Window) -> int:
        """How many records ``window`` holds (``completeListSize``)."""
        return int(
            self.session.scalar(select(func.count()).select_from(Material).where(self._where(window))) or 0
        )

    def record(self, material_id: str) -> Row | None:
        """One harvestable material (public or deleted); None when harvesters may not know of it."""
        stmt = (
            select(Material, _public().label("public"))
            .options(selectinload(Material.files), selectinload(Material.organisation))
            .where(Material.id == material_id, or_(_public(), _was_public()))
        )
        found = self.session.execute(stmt).first()
        return Row(material=found[0], public=bool(found[1])) if found is not None else None

    def earliest(self) -> datetime | None:
        """The oldest datestamp a harvester can meet (``earliestDatestamp`` of Identify)."""
        return self.session.scalar(select(func.min(Material.updated_at)).where(or_(_public(), _was_public())))
