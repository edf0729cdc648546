from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base
from repository.models.base import UTCDateTime, utcnow


class StudyProgress(Base):
    """A student account's progress in one material: opened, video watched to the end (and where
    it was left), worksheet downloaded. Kept only for student accounts, on their own choice of
    signing in; anonymous study is remembered by the browser alone."""

    __tablename__ = "study_progress"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    material_id: Mapped[str] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    watched: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    downloaded: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    position: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
