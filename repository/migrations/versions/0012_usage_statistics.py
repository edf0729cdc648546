"""usage statistics: raw usage events, daily salts, daily aggregates

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import repository.models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KINDS = "kind in ('view','play','download','search')"


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("material_id", sa.String(length=36), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("visitor", sa.String(length=16), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_usage_events_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    op.create_index(
        "uq_usage_events_once",
        "usage_events",
        ["day", "kind", "material_id", "query", "visitor"],
        unique=True,
    )
    op.create_table(
        "stats_salts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_stats_salts")),
    )
    op.create_table(
        "stats_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("material_id", sa.String(length=36), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_stats_daily_kind_known")),
        sa.PrimaryKeyConstraint("day", "kind", "material_id", name=op.f("pk_stats_daily")),
    )
    op.create_index("ix_stats_daily_material_day", "stats_daily", ["material_id", "day"])
    op.create_table(
        "stats_daily_facets",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("facet in ('grade','subject')", name=op.f("ck_stats_daily_facets_facet_known")),
        sa.PrimaryKeyConstraint("day", "kind", "facet", "value", name=op.f("pk_stats_daily_facets")),
    )
    op.create_table(
        "stats_search_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("zero_results", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "query", name=op.f("pk_stats_search_daily")),
    )
    op.create_table(
        "stats_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("aggregated_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_stats_days")),
    )


def downgrade() -> None:
    op.drop_table("stats_days")
    op.drop_table("stats_search_daily")
    op.drop_table("stats_daily_facets")
    op.drop_index("ix_stats_daily_material_day", table_name="stats_daily")
    op.drop_table("stats_daily")
    op.drop_table("stats_salts")
    op.drop_index("uq_usage_events_once", table_name="usage_events")
    op.drop_table("usage_events")
