"""Curation tables: material versions (with their signed approvals), review comments, integrity issues.

How versions relate to ``materials``: the ``materials`` row is what the public sees. Its ``meta``,
``title`` and ``version`` are those of the live version: the latest *approved* one, or, while a
material was never approved, its working version. ``materials.state`` is ``approved`` as soon as
one version was approved (editing it later does not take it offline); before that it follows the
working version. Each ``material_versions`` row keeps one version's metadata, file set and review
state, so an edit of an approved material is reviewed as version n+1 while version n stays public.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import JSONType, UTCDateTime, created_column, id_column
from repository.models.material import Material, WorkflowState, _in
from repository.models.user import User


class MaterialVersion(Base):
    """One version of a material: metadata + file set + review state (+ signed approval)."""

    __tablename__ = "material_versions"
    __table_args__ = (
        UniqueConstraint("material_id", "number", name="uq_material_versions_number"),
        CheckConstraint(f"state in {_in(WorkflowState)}", name="state_known"),
        Index("ix_material_versions_state", "state"),
    )

    id: Mapped[str] = id_column()
    material_id: Mapped[str] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, nullable=False)
    title: Mapped[str] = mapped_column(String(1000), nullable=False)
    # Ids of the material_files in this version, in order.
    file_ids: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    state: Mapped[str] = mapped_column(String(32), default=WorkflowState.draft, nullable=False)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the submitter accepted files whose ingest failed (None: every file was ready).
    accept_failed_reason: Mapped[str | None] = mapped_column(Text)
    claimed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str | None] = mapped_column(Text)
    rubric: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    # The signed approval: the canonical manifest, its Ed25519 signature (base64) and key id.
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    signature: Mapped[str | None] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(64))

    material: Mapped[Material] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="raise")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")


class ReviewComment(Base):
    """A comment in a material's review thread (curator remarks, owner replies, decisions)."""

    __tablename__ = "review_comments"

    id: Mapped[str] = id_column()
    material_id: Mapped[str] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[str | None] = mapped_column(ForeignKey("material_versions.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # "comment", "claim" or a decision ("approve", "request_changes", "reject").
    kind: Mapped[str] = mapped_column(String(32), default="comment", nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = created_column()

    author: Mapped[User] = relationship(lazy="raise")


class IntegrityIssue(Base):
    """A stored blob that failed the fixity check (missing, or content no longer matches its hash).

    Open while ``resolved_at`` is NULL; a later clean check of the same blob resolves it. Curators
    see open issues on the materials they review.
    """

    __tablename__ = "integrity_issues"
    __table_args__ = (CheckConstraint("problem in ('missing','mismatch','signature')", name="problem_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    material_id: Mapped[str | None] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    problem: Mapped[str] = mapped_column(String(16), nullable=False)
    detail: Mapped[str] = mapped_column(Text, default="", nullable=False)
    detected_at: Mapped[datetime] = created_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
