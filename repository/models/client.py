"""API clients of other vendors' software, their webhooks, and the LTI platforms that launch Hoclieu.

An :class:`ApiClient` is a machine, not a person: it authenticates with OAuth 2.0 client
credentials and gets bearer tokens limited to its scopes. Each client acts through its own
service account (a ``users`` row without a password), so every write it makes has an owner and
an audit trail like a person's, and disabling the client disables the account and its tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import JSONType, UTCDateTime, created_column, id_column, utcnow
from repository.models.user import User


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Free text until organisations exist as records (a later issue).
    organisation: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    # SHA-256 of the secret: secrets are 256 random bits, so a slow hash adds nothing but cost.
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    secret_created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True, nullable=False)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = created_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")


class WebhookSubscription(Base):
    """A URL of a client that receives signed JSON events (``material.published`` ...)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = id_column()
    client_id: Mapped[str] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    # The HMAC key: kept readable because every delivery is signed with it (shown once, like a
    # client secret; rotating it means a new subscription).
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = created_column()

    client: Mapped[ApiClient] = relationship(lazy="raise")


class WebhookDelivery(Base):
    """One event for one subscription: its attempts, last answer and state (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_subscription_created", "subscription_id", "created_at"),)

    id: Mapped[str] = id_column()
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    event: Mapped[str] = mapped_column(String(60), nullable=False)
    # The event's id, the same in every attempt and re-send: receivers de-duplicate on it.
    event_id: Mapped[str] = mapped_column(String(36), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscription: Mapped[WebhookSubscription] = relationship(lazy="raise")
