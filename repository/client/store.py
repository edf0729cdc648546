"""SQL for API clients, their tokens and webhooks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from repository.models import ApiClient, ApiToken, WebhookDelivery, WebhookSubscription, utcnow
from repository.store import StoreBase


class ClientStore(StoreBase[ApiClient]):
    model = ApiClient

    def list(self) -> list[ApiClient]:
        return list(self.session.scalars(select(ApiClient).order_by(ApiClient.created_at, ApiClient.id)))

    def with_user(self, client_id: str) -> ApiClient | None:
        return self.session.scalar(
            select(ApiClient).options(joinedload(ApiClient.user)).where(ApiClient.id == client_id)
        )

    def revoke_tokens(self, client_id: str) -> int:
        result = self.session.execute(
            update(ApiToken)
            .where(ApiToken.client_id == client_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def token_owner(self, token_hash: str) -> tuple[str | None, str] | None:
        """``(client_id, user_id)`` of a live token, for rate limiting (no joins, one index)."""
        row = self.session.execute(
            select(ApiToken.client_id, ApiToken.user_id, ApiToken.expires_at).where(
                ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None)
            )
        ).first()
        if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
            return None
        return row.client_id, row.user_id


class WebhookStore(StoreBase[WebhookSubscription]):
    model = WebhookSubscription

    def for_client(self, client_id: str) -> list[WebhookSubscription]:
        return list(
            self.session.scalars(
                select(WebhookSubscription)
                .where(WebhookSubscription.client_id == client_id)
                .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
            )
        )

    def listening(self, event: str) -> list[WebhookSubscription]:
        """Active subscriptions of enabled clients that want ``event``."""
        rows = self.session.scalars(
            select(WebhookSubscription)
            .join(ApiClient, ApiClient.id == WebhookSubscription.client_id)
            .where(WebhookSubscription.active.is_(True), ApiClient.disabled.is_(False))
        )
        # The events list is JSON; filtering in Python keeps one query for SQLite and PostgreSQL.
        return [s for s in rows if event in s.events]

    def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return self.session.scalar(
            select(WebhookDelivery)
            .options(joinedload(WebhookDelivery.subscription))
            .where(WebhookDelivery.id == delivery_id)
        )

    def add_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        self.session.add(delivery)
        self.session.flush()
        return delivery

    def deliveries(self, subscription_ids: Sequence[str], *, limit: int = 100) -> list[WebhookDelivery]:
        if not subscription_ids:
            return []
        return list(
            self.session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.subscription_id.in_(subscription_ids))
                .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
                .limit(limit)
            )
        )
