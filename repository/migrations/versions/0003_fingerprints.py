"""fingerprints for near-duplicate detection

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "fingerprints",
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("b0", sa.Integer(), nullable=False),
        sa.Column("b1", sa.Integer(), nullable=False),
        sa.Column("b2", sa.Integer(), nullable=False),
        sa.Column("b3", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["material_files.id"],
            name=op.f("fk_fingerprints_file_id_material_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "kind", name=op.f("pk_fingerprints")),
    )
    with op.batch_alter_table("fingerprints", schema=None) as batch_op:
        batch_op.create_index("ix_fingerprints_kind_b0", ["kind", "b0"], unique=False)
        batch_op.create_index("ix_fingerprints_kind_b1", ["kind", "b1"], unique=False)
        batch_op.create_index("ix_fingerprints_kind_b2", ["kind", "b2"], unique=False)
        batch_op.create_index("ix_fingerprints_kind_b3", ["kind", "b3"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("fingerprints", schema=None) as batch_op:
        batch_op.drop_index("ix_fingerprints_kind_b3")
        batch_op.drop_index("ix_fingerprints_kind_b2")
        batch_op.drop_index("ix_fingerprints_kind_b1")
        batch_op.drop_index("ix_fingerprints_kind_b0")

    op.drop_table("fingerprints")
