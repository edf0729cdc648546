"""LTI 1.3: the learning platforms (LMSs) registered to launch Hoclieu, and their launches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import JSONType, UTCDateTime, created_column, id_column


class LtiPlatform(Base):
    """An LMS registration: who it is (issuer + the client id it gave Hoclieu), where its OIDC
    authorisation endpoint and keys are, and which deployments may launch."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="issuer_client"),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    issuer: Mapped[str] = mapped_column(String(500), nullable=False)
    client_id: Mapped[str] = mapped_column(String(200), nullable=False)
    deployment_ids: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    auth_login_url: Mapped[str] = mapped_column(String(2000), nullable=False)
    auth_token_url: Mapped[str] = mapped_column(String(2000), default="", nullable=False)
    jwks_url: Mapped[str] = mapped_column(String(2000), nullable=False)
    created_at: Mapped[datetime] = created_column()


class LtiLaunch(Base):
    """One OIDC login → launch exchange. ``id`` is the OIDC ``state``; the ``nonce`` must come
    back inside the platform's signed id_token, and ``used_at`` makes each state single-use
    (a replayed launch is refused). A deep-linking launch keeps what the response needs in
    ``context`` until the teacher has picked materials."""

    __tablename__ = "lti_launches"
    __table_args__ = (Index("ix_lti_launches_expires_at", "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), nullable=False)
    platform_id: Mapped[str] = mapped_column(
        ForeignKey("lti_platforms.id", ondelete="CASCADE"), nullable=False
    )
    target_link_uri: Mapped[str] = mapped_column(String(2000), default="", nullable=False)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    platform: Mapped[LtiPlatform] = relationship(lazy="raise")
