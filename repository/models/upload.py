from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import UTCDateTime, created_column, id_column, utcnow
from repository.models.user import User


class Upload(Base):
    """A resumable upload session (tus 1.0 semantics, see ``repository.upload``).

    The bytes received so far live in the blob store's resumable area under the session's id;
    ``received`` is the acknowledged offset: every byte before it was fsync'd before the row was
    updated, so it survives a crash. ``sha256`` is set once the last byte arrived.
    """

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint("length > 0", name="length_positive"),
        CheckConstraint("received >= 0 AND received <= length", name="received_in_range"),
        Index("ix_uploads_expires_at", "expires_at"),
    )

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    # What the client declared (tus ``filetype``); the stored file is sniffed again on use.
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    length: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    owner: Mapped[User] = relationship(lazy="raise")

    @property
    def complete(self) -> bool:
        return self.received == self.length
