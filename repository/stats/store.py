"""All SQL of the usage statistics (house style: stores only).

Writes that must not fail on a repeat (an event already counted today, a salt another process
made first) use the dialect's ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL both
have it). Aggregation rebuilds one day at a time with ``INSERT ... SELECT ... GROUP BY`` inside
the database, so 10 M raw events never travel to Python.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from repository.models import (
    Material,
    StatsDaily,
    StatsDailyFacet,
    StatsDay,
    StatsSalt,
    StatsSearchDaily,
    UsageEvent,
    UsageKind,
    WorkflowState,
)


class StatsStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: Session) -> StatsStore:
        return cls(session)

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _insert_ignore(self, table: Any) -> Any:
        if self._dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    # --- recording ----------------------------------------------------------------------------

    def salt_for(self, day: date) -> str:
        """The salt of ``day``, made on first use (two processes racing agree on the first)."""
        found = self.session.scalar(select(StatsSalt.salt).where(StatsSalt.day == day))
        if found is not None:
            return found
        self.session.execute(self._insert_ignore(StatsSalt), [{"day": day, "salt": secrets.token_hex(32)}])
        salt = self.session.scalar(select(StatsSalt.salt).where(StatsSalt.day == day))
        assert salt is not None
        return salt

    def drop_salts_before(self, day: date) -> int:
        result = self.session.execute(delete(StatsSalt).where(StatsSalt.day < day))
        return int(getattr(result, "rowcount", 0) or 0)

    def insert_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert raw events; a row already there (same day, kind, material, query, visitor) is skipped."""
        if rows:
            self.session.execute(self._insert_ignore(UsageEvent), list(rows))

    # --- aggregation --------------------------------------------------------------------------

    def first_raw_day(self) -> date | None:
        return self.session.scalar(select(func.min(UsageEvent.day)))

    def day_states(self) -> dict[date, datetime]:
        return dict(self.session.execute(select(StatsDay.day, StatsDay.aggregated_at)).all())

    def aggregate_day(self, day: date, now: datetime) -> int:
        """Rebuild the aggregates of ``day`` from its raw events; returns how many there were."""
        s = self.session
        for table in (StatsDaily, StatsDailyFacet, StatsSearchDaily):
            s.execute(delete(table).where(table.day == day))
        e = UsageEvent
        s.execute(
            insert(StatsDaily).from_select(
                ["day", "kind", "material_id", "count"],
                select(literal(day, StatsDaily.day.type), e.kind, e.material_id, func.count())
                .where(e.day == day, e.kind != UsageKind.search.value)
                .group_by(e.kind, e.material_id),
            )
        )
        s.execute(
            insert(StatsSearchDaily).from_select(
                ["day", "query", "searches", "zero_results"],
                select(
                    literal(day, StatsSearchDaily.day.type),
                    e.query,
                    func.count(),
                    func.sum(case((e.results == 0, 1), else_=0)),
                )
                .where(e.day == day, e.kind == UsageKind.search.value)
                .group_by(e.query),
            )
        )
        self._facets_of_day(day)
        events = s.scalar(select(func.count()).select_from(e).where(e.day == day)) or 0
        state = s.get(StatsDay, day)
        if state is None:
            s.add(StatsDay(day=day, events=events, aggregated_at=now))
        else:
            state.events, state.aggregated_at = events, now
        s.flush()
        return int(events)

    def _facets_of_day(self, day: date) -> None:
        """Grade and subject counts of ``day``: each material's count goes to each of its grades
        and subjects (as the material says when aggregated). Per material, not per event, so
        this reads one row per material used that day."""
        rows = self.session.execute(
            select(StatsDaily.kind, StatsDaily.material_id, StatsDaily.count).where(StatsDaily.day == day)
        ).all()
        if not rows:
            return
        ids = sorted({r.material_id for r in rows})
        curriculum: dict[str, tuple[list[Any], list[Any]]] = {}
        for start in range(0, len(ids), 500):
            for mid, meta in self.session.execute(
                select(Material.id, Material.meta).where(Material.id.in_(ids[start : start + 500]))
            ):
                meta = meta or {}
                curriculum[mid] = (list(meta.get("grades") or []), list(meta.get("subjects") or []))
        totals: dict[tuple[str, str, str], int] = {}
        for kind, mid, count in rows:
            grades, subjects = curriculum.get(mid, ([], []))
            for facet, values in (("grade", grades), ("subject", subjects)):
                for value in {str(v) for v in values}:
                    key = (kind, facet, value[:64])
                    totals[key] = totals.get(key, 0) + count
        if totals:
            self.session.execute(
                insert(StatsDailyFacet),
                [
                    {"day": day, "kind": k, "facet": f, "value": v, "count": n}
                    for (k, f, v), n in sorted(totals.items())
                ],
            )

    def delete_raw_day(self, day: date) -> int:
        result = self.session.execute(delete(UsageEvent).where(UsageEvent.day == day))
        return int(getattr(result, "rowcount", 0) or 0)

    def raw_days_before(self, cutoff: date) -> list[date]:
        return list(
            self.session.scalars(select(StatsDay.day).where(StatsDay.day < cutoff).order_by(StatsDay.day))
        )

    def has_raw_events(self, day: date) -> bool:
        return self.session.scalar(select(UsageEvent.id).where(UsageEvent.day == day).limit(1)) is not None

    def views_of(self, ids: Iterable[str]) -> dict[str, int]:
        """All-time counted views per material (from the daily aggregates)."""
        wanted = sorted(set(ids))
        out: dict[str, int] = dict.fromkeys(wanted, 0)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for mid, total in self.session.execute(
                select(StatsDaily.material_id, func.sum(StatsDaily.count))
                .where(StatsDaily.kind == UsageKind.view.value, StatsDaily.material_id.in_(chunk))
                .group_by(StatsDaily.material_id)
            ):
                out[mid] = int(total or 0)
        return out

    def materials_of_days(self, days: Sequence[date]) -> list[str]:
        if not days:
            return []
        return list(
            self.session.scalars(select(StatsDaily.material_id).where(StatsDaily.day.in_(days)).distinct())
        )

    def set_view_counts(self, counts: dict[str, int]) -> list[str]:
        """Store each material's view count where it changed; returns the approved ones changed
        (their search documents carry it). ``updated_at`` is kept: a count is not a change of the
        material (harvesters and the index revision must not see one)."""
        if not counts:
            return []
        changed: list[str] = []
        updates: list[dict[str, Any]] = []
        ids = sorted(counts)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for mid, current, state in self.session.execute(
                select(Material.id, Material.view_count, Material.state).where(Material.id.in_(chunk))
            ):
                if current == counts[mid]:
                    continue
                updates.append({"mid": mid, "n": counts[mid]})
                if state == WorkflowState.approved.value:
                    changed.append(mid)
        if updates:
            table = Material.__table__
            self.session.execute(
                update(table)  # type: ignore[arg-type]
                .where(table.c.id == bindparam("mid"))
                .values(view_count=bindparam("n"), updated_at=table.c.updated_at),
                updates,
            )
        return changed

    # --- reading ------------------------------------------------------------------------------

    def material_daily(self, material_id: str, start: date, end: date) -> list[Any]:
        return list(
            self.session.execute(
                select(StatsDaily.day, StatsDaily.kind, StatsDaily.count)
                .where(StatsDaily.material_id == material_id, StatsDaily.day.between(start, end))
                .order_by(StatsDaily.day, StatsDaily.kind)
            )
        )

    def totals_by_day(self, start: date, end: date) -> list[Any]:
        daily = (
            select(StatsDaily.day, StatsDaily.kind, func.sum(StatsDaily.count).label("n"))
            .where(StatsDaily.day.between(start, end))
            .group_by(StatsDaily.day, StatsDaily.kind)
        )
        searches = (
            select(StatsSearchDaily.day, literal("search").label("kind"), func.sum(StatsSearchDaily.searches))
            .where(StatsSearchDaily.day.between(start, end))
            .group_by(StatsSearchDaily.day)
        )
        return list(self.session.execute(daily.union_all(searches)))

    def facet_totals(self, facet: str, start: date, end: date) -> list[Any]:
        f = StatsDailyFacet
        return list(
            self.session.execute(
                select(f.value, f.kind, func.sum(f.count))
                .where(f.facet == facet, f.day.between(start, end))
                .group_by(f.value, f.kind)
            )
        )

    def organisation_daily(self, organisation_id: str, start: date, end: date) -> list[Any]:
        """(day, kind, total) of the materials the organisation contributes (a join through them)."""
        total = func.sum(StatsDaily.count)
        return list(
            self.session.execute(
                select(StatsDaily.day, StatsDaily.kind, total)
                .join(Material, Material.id == StatsDaily.material_id)
                .where(Material.organisation_id == organisation_id, StatsDaily.day.between(start, end))
                .group_by(StatsDaily.day, StatsDaily.kind)
            )
        )

    def _curriculum_filter(self, name: str, value: Any) -> ColumnElement[bool]:
        if self._dialect == "postgresql":
            return text(f"materials.metadata -> '{name}' @> CAST(:{name}_json AS jsonb)").bindparams(
                **{f"{name}_json": json.dumps([value])}
            )  # type: ignore[return-value]
        return text(
            f"EXISTS (SELECT 1 FROM json_each(materials.metadata, '$.{name}') AS j WHERE j.value = :{name}_v)"
        ).bindparams(**{f"{name}_v": value})  # type: ignore[return-value]

    def top_materials(
        self,
        start: date,
        end: date,
        *,
        kind: str,
        grade: int | None,
        subject: str | None,
        limit: int,
        organisation_id: str | None = None,
    ) -> list[Any]:
        """The approved materials most used in the period: (id, title, meta, total)."""
        total = func.sum(StatsDaily.count).label("total")
        stmt = (
            select(Material.id, Material.title, Material.meta, total)
            .join(Material, Material.id == StatsDaily.material_id)
            .where(
                StatsDaily.day.between(start, end),
                StatsDaily.kind == kind,
                Material.state == WorkflowState.approved.value,
            )
            # Grouping by the primary key lets both databases select the material's other columns.
            .group_by(Material.id)
            .order_by(total.desc(), Material.id)
            .limit(limit)
        )
        if organisation_id is not None:
            stmt = stmt.where(Material.organisation_id == organisation_id)
        if grade is not None:
            stmt = stmt.where(self._curriculum_filter("grades", grade))
        if subject is not None:
            stmt = stmt.where(self._curriculum_filter("subjects", subject))
        return list(self.session.execute(stmt))

    def searches(
        self, start: date, end: date, *, min_searches: int, zero_only: bool, limit: int
    ) -> list[Any]:
        """(query, searches, zero_results) in the period, most searched first."""
        q = StatsSearchDaily
        searches = func.sum(q.searches).label("searches")
        zero = func.sum(q.zero_results).label("zero_results")
        stmt = (
            select(q.query, searches, zero)
            .where(q.day.between(start, end))
            .group_by(q.query)
            .having(func.sum(q.searches) >= min_searches)
        )
        if zero_only:
            stmt = stmt.having(func.sum(q.zero_results) > 0).order_by(zero.desc(), searches.desc(), q.query)
        else:
            stmt = stmt.order_by(searches.desc(), q.query)
        return list(self.session.execute(stmt.limit(limit)))

    def raw_counts(self) -> list[Any]:
        """(day, kind, events) of the raw table (tests and checks compare it with the aggregates)."""
        e = UsageEvent
        return list(self.session.execute(select(e.day, e.kind, func.count()).group_by(e.day, e.kind)))
