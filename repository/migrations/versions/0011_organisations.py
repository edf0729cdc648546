"""organisations, their members and roles, and each material's contributing organisation

Existing materials keep ``organisation_id`` NULL (an individual's material) and existing accounts
keep their scope (a new ``organisations`` axis is absent, which means unrestricted), so every
material and account stays valid.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import repository.models.base

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('university','department','school','publisher','other')",
            name=op.f("ck_organisations_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    op.create_table(
        "organisation_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role in ('member','curator','manager')", name=op.f("ck_organisation_members_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_organisation_members_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_members_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_organisation_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_members")),
        sa.UniqueConstraint("organisation_id", "user_id", name="uq_organisation_members_pair"),
    )
    op.create_index(
        op.f("ix_organisation_members_organisation_id"), "organisation_members", ["organisation_id"]
    )
    op.create_index(op.f("ix_organisation_members_user_id"), "organisation_members", ["user_id"])
    with op.batch_alter_table("materials") as batch:
        batch.add_column(sa.Column("organisation_id", sa.String(length=36), nullable=True))
        batch.create_index(batch.f("ix_materials_organisation_id"), ["organisation_id"])
        batch.create_foreign_key(
            batch.f("fk_materials_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("materials") as batch:
        batch.drop_constraint(batch.f("fk_materials_organisation_id_organisations"), type_="foreignkey")
        batch.drop_index(batch.f("ix_materials_organisation_id"))
        batch.drop_column("organisation_id")
    op.drop_index(op.f("ix_organisation_members_user_id"), table_name="organisation_members")
    op.drop_index(op.f("ix_organisation_members_organisation_id"), table_name="organisation_members")
    op.drop_table("organisation_members")
    op.drop_table("organisations")
