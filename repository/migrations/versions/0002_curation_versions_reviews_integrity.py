"""curation: material versions (with signed approvals), review comments, integrity issues

Existing materials get their version rows lazily, the first time the workflow touches them
(repository.curation.versions), so no data migration is needed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repository.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integrity_issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("material_id", sa.String(length=36), nullable=True),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("problem", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detected_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "problem in ('missing','mismatch','signature')", name=op.f("ck_integrity_issues_problem_known")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["materials.id"],
            name=op.f("fk_integrity_issues_material_id_materials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_issues")),
    )
    with op.batch_alter_table("integrity_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrity_issues_material_id"), ["material_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_integrity_issues_storage_key"), ["storage_key"], unique=False)

    op.create_table(
        "material_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("material_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column(
            "file_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_id", sa.String(length=36), nullable=True),
        sa.Column("submitted_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accept_failed_reason", sa.Text(), nullable=True),
        sa.Column("claimed_by_id", sa.String(length=36), nullable=True),
        sa.Column("claimed_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.String(length=36), nullable=True),
        sa.Column("decided_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column(
            "rubric",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "manifest",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("signature", sa.String(length=200), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "state in ('draft','submitted','approved','changes_requested','rejected','withdrawn')",
            name=op.f("ck_material_versions_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"], ["users.id"], name=op.f("fk_material_versions_claimed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_material_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_material_versions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["materials.id"],
            name=op.f("fk_material_versions_material_id_materials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_material_versions_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_versions")),
        sa.UniqueConstraint("material_id", "number", name="uq_material_versions_number"),
    )
    with op.batch_alter_table("material_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_versions_material_id"), ["material_id"], unique=False)
        batch_op.create_index("ix_material_versions_state", ["state"], unique=False)

    op.create_table(
        "review_comments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("material_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=True),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_review_comments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["materials.id"],
            name=op.f("fk_review_comments_material_id_materials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["material_versions.id"],
            name=op.f("fk_review_comments_version_id_material_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_comments")),
    )
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_comments_material_id"), ["material_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_comments_material_id"))

    op.drop_table("review_comments")
    with op.batch_alter_table("material_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_material_versions_state")
        batch_op.drop_index(batch_op.f("ix_material_versions_material_id"))

    op.drop_table("material_versions")
    with op.batch_alter_table("integrity_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integrity_issues_storage_key"))
        batch_op.drop_index(batch_op.f("ix_integrity_issues_material_id"))

    op.drop_table("integrity_issues")
