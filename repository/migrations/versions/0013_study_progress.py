"""study_progress: a student account's progress per material (opened, watched, downloaded)

Revision ID: 0013
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import repository.models.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "study_progress",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("material_id", sa.String(length=36), nullable=False),
        sa.Column("opened_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.Column("downloaded", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("updated_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["materials.id"],
            name=op.f("fk_study_progress_material_id_materials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_study_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "material_id", name=op.f("pk_study_progress")),
    )
    op.create_index(op.f("ix_study_progress_material_id"), "study_progress", ["material_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_study_progress_material_id"), table_name="study_progress")
    op.drop_table("study_progress")
