"""Usage statistics: raw events (kept a few days) and the daily aggregates made from them.

Nothing here identifies a person: no user id, no IP address, no user agent, no time of day.
``visitor`` is a keyed hash (BLAKE2b) of who asked, under a salt that exists for one statistics
day only (``stats_salts``; deleted once the day is over), so it can de-duplicate one visitor's
repeat views within that day and cannot be linked to anyone, or to the next day, afterwards.

The statistics day is the calendar day in Vietnam (UTC+7, no daylight saving).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base
from repository.models.base import UTCDateTime


class UsageKind(enum.StrEnum):
    view = "view"  # a material's page was shown to a person
    play = "play"  # a video or audio started playing
    download = "download"  # an original file was downloaded
    search = "search"  # a search (first page of results) was run


KINDS_SQL = "(" + ",".join(f"'{k.value}'" for k in UsageKind) + ")"
# Longest search text kept (normalised); longer queries are cut here.
QUERY_CHARS = 200
# Hex characters of the visitor hash kept (64 bits: collisions within one day are negligible).
VISITOR_CHARS = 16

# A BIGINT identity on PostgreSQL (10 M+ rows); SQLite's rowid wants INTEGER PRIMARY KEY.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class UsageEvent(Base):
    """One counted event. At most one row per (day, kind, material, query, visitor): a repeat
    by the same visitor on the same day is not inserted (``ON CONFLICT DO NOTHING``), so the raw
    table already holds what is counted and the aggregates are plain counts of it."""

    __tablename__ = "usage_events"
    __table_args__ = (
        CheckConstraint(f"kind in {KINDS_SQL}", name="kind_known"),
        Index("uq_usage_events_once", "day", "kind", "material_id", "query", "visitor", unique=True),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # "" for searches (a unique index treats NULLs as distinct, so no NULLs here).
    material_id: Mapped[str] = mapped_column(String(36), nullable=False, default="")
    # The normalised search text; "" for the other kinds.
    query: Mapped[str] = mapped_column(String(QUERY_CHARS), nullable=False, default="")
    # How many results the search found (searches only).
    results: Mapped[int | None] = mapped_column(Integer)
    visitor: Mapped[str] = mapped_column(String(VISITOR_CHARS), nullable=False)


class StatsSalt(Base):
    """The random salt of one statistics day; deleted when the day is over."""

    __tablename__ = "stats_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64), nullable=False)


class StatsDaily(Base):
    """Counts per day, kind and material (rebuilt from the raw events of that day)."""

    __tablename__ = "stats_daily"
    __table_args__ = (
        CheckConstraint(f"kind in {KINDS_SQL}", name="kind_known"),
        Index("ix_stats_daily_material_day", "material_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    material_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class StatsDailyFacet(Base):
    """Counts per day, kind and curriculum value (``facet`` "grade" or "subject"): each counted
    event of a material adds one to every grade and subject the material had when aggregated."""

    __tablename__ = "stats_daily_facets"
    __table_args__ = (CheckConstraint("facet in ('grade','subject')", name="facet_known"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class StatsSearchDaily(Base):
    """Searches per day and normalised query, and how many of them found nothing."""

    __tablename__ = "stats_search_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    query: Mapped[str] = mapped_column(String(QUERY_CHARS), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, nullable=False)
    zero_results: Mapped[int] = mapped_column(Integer, nullable=False)


class StatsDay(Base):
    """Which days are aggregated, and when. A day aggregated after it ended is final: only then
    may retention delete its raw events."""

    __tablename__ = "stats_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger, nullable=False)
    aggregated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
