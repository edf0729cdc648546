from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import JSONType, UTCDateTime, created_column, id_column, utcnow
from repository.models.organisation import Organisation
from repository.models.user import User


class WorkflowState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    changes_requested = "changes_requested"
    rejected = "rejected"
    withdrawn = "withdrawn"


class IngestStatus(enum.StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


def _in(values: type[enum.StrEnum]) -> str:
    return "(" + ",".join(f"'{v.value}'" for v in values) + ")"


class Material(Base):
    """A learning resource: a metadata document plus the files uploaded for it."""

    __tablename__ = "materials"
    __table_args__ = (
        CheckConstraint(f"state in {_in(WorkflowState)}", name="state_known"),
        Index("ix_materials_state_created_at", "state", "created_at"),
    )

    id: Mapped[str] = id_column()
    # The metadata document (validated against its `$schema`). "metadata" is reserved by
    # SQLAlchemy's declarative base, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, nullable=False)
    schema: Mapped[str] = mapped_column(String(200), nullable=False)
    # Denormalised from meta for listings and sorting.
    title: Mapped[str] = mapped_column(String(1000), nullable=False)
    state: Mapped[str] = mapped_column(String(32), default=WorkflowState.draft, nullable=False)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # The contributing organisation (its publisher in LRMI and OAI, the search facet
    # ``organisation``); NULL for an individual's material.
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    view_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    owner: Mapped[User] = relationship(lazy="raise")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
    files: Mapped[list[MaterialFile]] = relationship(
        back_populates="material",
        lazy="raise",
        order_by="MaterialFile.position",
        cascade="all, delete-orphan",
    )


class MaterialFile(Base):
    """An original upload. Its bytes live in the blob store under ``storage_key``."""

    __tablename__ = "material_files"
    __table_args__ = (
        CheckConstraint(f"status in {_in(IngestStatus)}", name="status_known"),
        Index("ix_material_files_sha256", "sha256"),
    )

    id: Mapped[str] = id_column()
    material_id: Mapped[str] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    filename: Mapped[str] = mapped_column(String(1000), nullable=False)
    declared_media_type: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=IngestStatus.queued, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float | None] = mapped_column(Float)
    # What extraction learnt (document title, author, page count, language...).
    info: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    # Auto-tagging suggestions, kept apart from the metadata a person confirmed.
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    material: Mapped[Material] = relationship(back_populates="files", lazy="raise")
    derivatives: Mapped[list[Derivative]] = relationship(
        back_populates="file",
        lazy="raise",
        order_by="(Derivative.kind, Derivative.page, Derivative.label)",
        cascade="all, delete-orphan",
    )


class Derivative(Base):
    """Something made from an original: text, thumbnail, page preview, rendition, poster, HLS."""

    __tablename__ = "derivatives"
    __table_args__ = (
        # Idempotency: re-running a step replaces, never duplicates.
        UniqueConstraint("file_id", "kind", "label", "page", name="uq_derivatives_slot"),
    )

    id: Mapped[str] = id_column()
    file_id: Mapped[str] = mapped_column(ForeignKey("material_files.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    # Distinguishes several derivatives of one kind: "360p", "720p", "small", "large", or a path
    # inside an HLS ladder or an e-lecture package (hence the length).
    label: Mapped[str] = mapped_column(String(512), default="", nullable=False)
    page: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    media_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(300), nullable=False)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_column()

    file: Mapped[MaterialFile] = relationship(back_populates="derivatives", lazy="raise")
