"""Usage statistics: aggregation, retention, and the reports the API and the portal show.

Who may read what (one rule for the API and the portal):

* a material's own counts: whoever may see the material (its owner, curators in scope and admins
  for one not yet public) when they are its owner, a curator or an admin, or an API client with
  ``stats:read`` (approved materials only);
* the catalogue-wide reports (totals per day, grade and subject, most-used materials, search
  texts): curators, admins and API clients with ``stats:read``.

Search texts are shown only when at least ``HOCLIEU_STATS_MIN_QUERY_SEARCHES`` searches made them
in the period (a text typed once may be a pupil's name).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from repository.errors import InvalidQuery, NotAuthenticated, PermissionDenied
from repository.material.service import index_job
from repository.material.service import material as material_service
from repository.models import Material, Role, UsageKind, User, WorkflowState, utcnow
from repository.policy.roles import has_role
from repository.stats.recorder import STATS_TZ, stats_day
from repository.stats.schemas import (
    COUNTED_KINDS,
    DayCounts,
    FacetCounts,
    MaterialStats,
    OrganisationStats,
    SearchReport,
    SearchText,
    TopMaterial,
    TopMaterials,
    UsageSummary,
)
from repository.stats.store import StatsStore

log = logging.getLogger(__name__)

#: Longest period one report covers, in days.
MAX_PERIOD_DAYS = 366
#: A day's aggregates are final once rebuilt this long after the day ended (events buffered in a
#: web process at midnight are written within ``STATS_FLUSH_S``, far less than this).
FINAL_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Period:
    """Statistics days ``start`` to ``end``, both included."""

    start: date
    end: date

    @classmethod
    def of(
        cls, start: date | None, end: date | None, *, default_days: int, today: date | None = None
    ) -> Period:
        """The period asked for, defaulting to the last ``default_days`` days up to today.

        Raises:
            InvalidQuery: the end is before the start, or the period is longer than a year.
        """
        today = today or stats_day()
        span = timedelta(days=default_days - 1)
        try:
            end = end or (today if start is None else min(today, start + span))
            start = start or end - span
        except OverflowError:  # 9999-12-31 + 30 days, 0001-01-01 - 30 days
            raise InvalidQuery("the period is outside the calendar; give both from and to") from None
        if end < start:
            raise InvalidQuery(f"the period ends ({end}) before it starts ({start})")
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidQuery(f"a period covers at most {MAX_PERIOD_DAYS} days")
        return cls(start, end)

    @classmethod
    def iso_week(cls, week: str) -> Period:
        """``2026-W49`` → Monday to Sunday of that ISO week.

        Raises:
            InvalidQuery: not a week in that form.
        """
        try:
            year, _, number = week.partition("-W")
            start = date.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise InvalidQuery(f"a week is written like 2026-W49, got {week[:20]!r}") from None
        return cls(start, start + timedelta(days=6))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def day_end(day: date) -> datetime:
    """The UTC instant the statistics day ``day`` ends."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=STATS_TZ).astimezone(UTC)


def _may_read_reports(actor: User | None, *, client: bool) -> None:
    if actor is None:
        raise NotAuthenticated("sign in first: statistics are for curators and administrators")
    if client or has_role(actor, Role.curator):
        return
    raise PermissionDenied("usage statistics of the whole catalogue are for curators and administrators")


class StatsService:
    # --- aggregation and retention (the job) --------------------------------------------------

    def aggregate(
        self, session: Session, *, retention_days: int, now: datetime | None = None
    ) -> dict[str, int]:
        """Bring the daily aggregates up to date, keep view counts (``sort=popular``) current,
        and delete raw events older than ``retention_days`` of days already final.

        Rebuilds every day that has raw events and is not final yet (today, and a day that
        ended less than :data:`FINAL_AFTER` ago or was last aggregated before it ended).
        Idempotent: running it twice gives the same rows.
        """
        now = now or utcnow()
        store = StatsStore.from_session(session)
        today = stats_day(now)
        states = store.day_states()
        first = store.first_raw_day()
        todo: list[date] = []
        if first is not None:
            day = first
            while day <= today:
                done = states.get(day)
                if done is None or done < day_end(day) + FINAL_AFTER:
                    todo.append(day)
                day += timedelta(days=1)
        events = 0
        for day in todo:
            if day in states or store.has_raw_events(day):
                events += store.aggregate_day(day, now)
        # Popularity for search (sort=popular): once a day, when a day's counts become final, the
        # all-time views of the materials used that day are stored and their search documents
        # re-written; the aggregations in between (every few minutes) re-index nothing.
        final = [d for d in todo if now >= day_end(d) + FINAL_AFTER]
        changed = store.set_view_counts(store.views_of(store.materials_of_days(final)))
        with session.no_autoflush:  # one batched INSERT of the jobs, not one flush per material
            for material_id in changed:
                index_job(session, material_id)
        # Retention: raw events of final days older than the limit. The aggregates stay.
        cutoff = today - timedelta(days=retention_days)
        deleted = 0
        states = store.day_states()
        for day in store.raw_days_before(cutoff):
            if states[day] >= day_end(day) + FINAL_AFTER:
                deleted += store.delete_raw_day(day)
        # A salt lives for its own day (and the next, for events flushed just after midnight).
        salts = store.drop_salts_before(today - timedelta(days=1))
        result = {
            "days": len(todo),
            "events": events,
            "reindexed": len(changed),
            "deleted": deleted,
            "salts_deleted": salts,
        }
        log.info("stats.aggregated", extra=result)
        return result

    # --- reports ------------------------------------------------------------------------------

    def may_read_material(self, actor: User | None, material: Material, *, client: bool = False) -> bool:
        """Whether ``actor``, who may see ``material``, may also read its statistics."""
        return actor is not None and (
            material.owner_id == actor.id
            or has_role(actor, Role.curator)
            or (client and material.state == WorkflowState.approved.value)
        )

    def material(
        self, session: Session, actor: User | None, material_id: str, period: Period, *, client: bool = False
    ) -> MaterialStats:
        """A material's counts per day.

        Raises:
            NotFound: no such material, or one ``actor`` may not see.
            PermissionDenied: a student, another teacher, or a client asking about a material
                that is not public.
        """
        if actor is None:
            raise NotAuthenticated("sign in first: a material's statistics are for its owner and curators")
        found = material_service.get(session, actor, material_id)
        if not self.may_read_material(actor, found, client=client):
            raise PermissionDenied("a material's statistics are for its owner, curators and administrators")
        rows = StatsStore.from_session(session).material_daily(material_id, period.start, period.end)
        by_day: dict[date, dict[str, int]] = {d: {} for d in period.days()}
        for day, kind, count in rows:
            by_day.setdefault(day, {})[kind] = int(count)
        days = [DayCounts.of(d, counts) for d, counts in sorted(by_day.items())]
        return MaterialStats(
            material_id=found.id,
            title=found.title,
            start=period.start,
            end=period.end,
            days=days,
            total=DayCounts.total(days),
        )

    def organisation(
        self, session: Session, actor: User | None, slug: str, period: Period, *, client: bool = False
    ) -> OrganisationStats:
        """An organisation's dashboard: its materials' counts per day and its most-viewed ones.

        Raises:
            NotAuthenticated: signed out. NotFound: no such organisation.
            PermissionDenied: neither one of its members, a curator, an admin nor a stats client.
        """
        from repository.organisation.service import organisations  # builds on materials and users

        if actor is None:
            raise NotAuthenticated("sign in first: an organisation's statistics are for its members")
        org = organisations.get(session, slug)
        member = organisations.role_of(session, actor, org) is not None
        if not (client or member or has_role(actor, Role.curator)):
            raise PermissionDenied(
                "an organisation's statistics are for its members, curators and administrators"
            )
        store = StatsStore.from_session(session)
        by_day: dict[date, dict[str, int]] = {d: {} for d in period.days()}
        for day, kind, n in store.organisation_daily(org.id, period.start, period.end):
            by_day.setdefault(day, {})[kind] = int(n or 0)
        days = [DayCounts.of(d, counts) for d, counts in sorted(by_day.items())]
        rows = store.top_materials(
            period.start, period.end, kind="view", grade=None, subject=None, limit=20, organisation_id=org.id
        )
        return OrganisationStats(
            slug=org.slug,
            name=org.name,
            start=period.start,
            end=period.end,
            days=days,
            total=DayCounts.total(days),
            top=[_top(mid, title, meta, total) for mid, title, meta, total in rows],
        )

    def summary(
        self, session: Session, actor: User | None, period: Period, *, client: bool = False
    ) -> UsageSummary:
        """Totals per day, per grade and per subject."""
        _may_read_reports(actor, client=client)
        store = StatsStore.from_session(session)
        by_day: dict[date, dict[str, int]] = {d: {} for d in period.days()}
        for day, kind, n in store.totals_by_day(period.start, period.end):
            by_day.setdefault(day, {})[kind] = int(n or 0)
        days = [DayCounts.of(d, counts) for d, counts in sorted(by_day.items())]
        facets: dict[str, list[FacetCounts]] = {}
        for facet in ("grade", "subject"):
            values: dict[str, dict[str, int]] = {}
            for value, kind, n in store.facet_totals(facet, period.start, period.end):
                values.setdefault(value, {})[kind] = int(n or 0)
            facets[facet] = sorted(
                (FacetCounts.of(v, counts) for v, counts in values.items()),
                key=lambda f: (int(f.value) if facet == "grade" and f.value.isdigit() else 0, f.value),
            )
        return UsageSummary(
            start=period.start,
            end=period.end,
            days=days,
            total=DayCounts.total(days),
            grades=facets["grade"],
            subjects=facets["subject"],
        )

    def top_materials(
        self,
        session: Session,
        actor: User | None,
        period: Period,
        *,
        kind: UsageKind = UsageKind.view,
        grade: int | None = None,
        subject: str | None = None,
        limit: int = 20,
        client: bool = False,
    ) -> TopMaterials:
        """The approved materials most used (``kind``) in the period, optionally of one grade
        and/or subject."""
        _may_read_reports(actor, client=client)
        if kind.value not in COUNTED_KINDS:
            raise InvalidQuery(f"materials are counted by {', '.join(COUNTED_KINDS)}, not {kind.value!r}")
        rows = StatsStore.from_session(session).top_materials(
            period.start, period.end, kind=kind.value, grade=grade, subject=subject, limit=limit
        )
        return TopMaterials(
            start=period.start,
            end=period.end,
            kind=kind.value,
            grade=grade,
            subject=subject,
            items=[_top(mid, title, meta, total) for mid, title, meta, total in rows],
        )

    def searches(
        self,
        session: Session,
        actor: User | None,
        period: Period,
        *,
        min_searches: int,
        limit: int = 50,
        client: bool = False,
    ) -> SearchReport:
        """The most searched texts and the texts whose searches found nothing (content gaps)."""
        _may_read_reports(actor, client=client)
        store = StatsStore.from_session(session)

        def texts(zero_only: bool) -> list[SearchText]:
            return [
                SearchText(query=q, searches=int(n), zero_results=int(z or 0))
                for q, n, z in store.searches(
                    period.start, period.end, min_searches=min_searches, zero_only=zero_only, limit=limit
                )
            ]

        return SearchReport(
            start=period.start,
            end=period.end,
            min_searches=min_searches,
            top=texts(False),
            zero_results=texts(True),
        )


def _top(material_id: str, title: str, meta: dict[str, Any] | None, total: int) -> TopMaterial:
    return TopMaterial(
        id=material_id,
        title=title,
        grades=list((meta or {}).get("grades") or []),
        subjects=list((meta or {}).get("subjects") or []),
        count=int(total),
    )


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text (RFC 4180, CRLF), cells that a spreadsheet would run as a formula made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_inert(cell) for cell in row])
    return out.getvalue()


def _inert(cell: object) -> object:
    # CSV injection (OWASP): a search text "=HYPERLINK(...)" must stay text when a curator opens
    # the file in a spreadsheet.
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


stats = StatsService()
