from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base
from repository.models.base import JSONType, created_column


class AuditEvent(Base):
    """Append-only record of who did what, when, from where.

    ``hash`` chains each event to the previous one (sha256 over prev_hash + canonical event), so
    editing or deleting a row breaks the chain and shows.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = created_column()
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(50), default="", nullable=False)
    subject_id: Mapped[str] = mapped_column(String(100), default="", nullable=False, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
