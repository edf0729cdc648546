from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import JSONType, UTCDateTime, created_column, id_column


class Role(enum.StrEnum):
    admin = "admin"
    curator = "curator"
    teacher = "teacher"
    student = "student"

    @property
    def rank(self) -> int:
        return {"student": 0, "teacher": 1, "curator": 2, "admin": 3}[self.value]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role in ('admin','curator','teacher','student')", name="role_known"),)

    id: Mapped[str] = id_column()
    username: Mapped[str] = mapped_column(String(150), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    # Argon2id hash; NULL for system accounts that cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Curator scope (subject codes / grade numbers); empty means no restriction on that axis.
    scope: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    created_at: Mapped[datetime] = created_column()

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", lazy="raise")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set for tokens issued to an API client (OAuth client credentials): the client and the
    # scopes the token carries. NULL for a person's token, which is limited by its role only.
    client_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[list[str] | None] = mapped_column(JSONType)

    user: Mapped[User] = relationship(back_populates="tokens", lazy="raise")


class SignInThrottle(Base):
    """Failed sign-in counter for one key: a normalised username's digest or a client address.

    One row per key, changed only by a single ``UPDATE ... RETURNING`` (see
    ``SignInThrottleStore.reserve``), so concurrent guesses are counted exactly: each attempt
    takes its slot before the password is checked, and at most the limit get one.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures_not_negative"),)

    # "user:<sha256 of the normalised username>" or "addr:<client address>".
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
