"""Webhooks: API clients' subscribers get signed JSON events when public materials change.

Events: ``material.published`` (first approval), ``material.updated`` (a later version
approved), ``material.taken_down``. ``emit`` runs inside the transaction that made the change
and writes one delivery row per subscription plus its job (a transactional outbox), so an event
is sent only if the change committed and is never lost to a crash.

Each attempt is an HTTP POST of the JSON body with::

    Hoclieu-Webhook-Id: <event id, the same in every attempt and re-send>
    Hoclieu-Webhook-Timestamp: <unix seconds>
    Hoclieu-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
time and refuses stale timestamps (replays). A 2xx answer ends the delivery; anything else
(or no answer within ``HOCLIEU_WEBHOOK_TIMEOUT_S``) is retried with exponential backoff from
``HOCLIEU_WEBHOOK_BACKOFF_S`` until ``HOCLIEU_WEBHOOK_MAX_ATTEMPTS``; then it is ``failed``
and an admin can re-send it (a new delivery of the same event).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from sqlalchemy.orm import Session

from repository import jobs
from repository.audit.service import audit
from repository.client.schemas import EVENTS, WebhookCreate
from repository.client.service import api_clients
from repository.client.store import WebhookStore
from repository.errors import NotFound, ValidationFailed
from repository.models import Material, User, WebhookDelivery, WebhookSubscription, utcnow

DELIVER_JOB = "repository.client.tasks.deliver_webhook"
SIGNATURE_HEADER = "Hoclieu-Webhook-Signature"
TIMESTAMP_HEADER = "Hoclieu-Webhook-Timestamp"
ID_HEADER = "Hoclieu-Webhook-Id"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def body_of(delivery: WebhookDelivery, base_url: str) -> bytes:
    """The JSON sent for a delivery: the stored event plus links under this site's base URL."""
    payload: dict[str, Any] = dict(delivery.payload)
    data = dict(payload.get("data", {}))
    material_id = data.get("material_id")
    if material_id:
        base = base_url.rstrip("/")
        data["url"] = f"{base}/m/{material_id}"
        data["api_url"] = f"{base}/api/v1/materials/{material_id}"
    payload["data"] = data
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class WebhookService:
    # --- administration -----------------------------------------------------------------------

    def list(self, session: Session, actor: User, client_id: str) -> list[WebhookSubscription]:
        api_clients.get(session, actor, client_id)  # admins only; 404 for an unknown client
        return WebhookStore.from_session(session).for_client(client_id)

    def subscribe(
        self, session: Session, actor: User, client_id: str, data: WebhookCreate, *, ip: str | None = None
    ) -> tuple[WebhookSubscription, str]:
        """Add a receiver URL; returns it and its HMAC key (shown once)."""
        client = api_clients.get(session, actor, client_id)
        unknown = [e for e in data.events if e not in EVENTS]
        if unknown:
            raise ValidationFailed(
                f"unknown event {unknown[0]!r}",
                details=[
                    {"field": "events", "message": f"unknown event {e!r}", "allowed": list(EVENTS)}
                    for e in unknown
                ],
            )
        secret = "whsec_" + secrets.token_urlsafe(32)
        subscription = WebhookStore.from_session(session).add(
            WebhookSubscription(
                client_id=client.id, url=data.url, secret=secret, events=sorted(set(data.events))
            )
        )
        audit.record(
            session,
            actor=actor,
            action="webhook.subscribed",
            subject_type="client",
            subject_id=client.id,
            data={"subscription": subscription.id, "url": data.url, "events": subscription.events},
            ip=ip,
        )
        return subscription, secret

    def deliveries(
        self, session: Session, actor: User, client_id: str, *, limit: int = 100
    ) -> builtins.list[WebhookDelivery]:
        """The client's delivery log, newest first."""
        subscriptions = self.list(session, actor, client_id)
        return WebhookStore.from_session(session).deliveries([s.id for s in subscriptions], limit=limit)

    def resend(
        self, session: Session, actor: User, delivery_id: str, *, ip: str | None = None
    ) -> WebhookDelivery:
        """Send an event again: a new delivery (attempts from zero) with the same event id."""
        store = WebhookStore.from_session(session)
        original = store.delivery(delivery_id) if "\x00" not in delivery_id else None
        if original is None:
            raise NotFound(f"no webhook delivery with id {delivery_id!r}")
        api_clients.get(session, actor, original.subscription.client_id)  # admins only
        again = self._deliver(
            session, original.subscription, original.event, original.event_id, original.payload
        )
        audit.record(
            session,
            actor=actor,
            action="webhook.resent",
            subject_type="webhook_delivery",
            subject_id=original.id,
            data={"new_delivery": again.id, "event": original.event},
            ip=ip,
        )
        return again

    # --- events ----------------------------------------------------------------------------------

    def emit(self, session: Session, event: str, material: Material) -> int:
        """Queue ``event`` about ``material`` for every subscription that wants it (in the
        caller's transaction). Returns the number of deliveries queued."""
        if event not in EVENTS:
            raise ValueError(f"unknown webhook event {event!r}")
        subscriptions = WebhookStore.from_session(session).listening(event)
        if not subscriptions:
            return 0
        event_id = str(uuid.uuid4())
        payload = {
            "id": event_id,
            "type": event,
            "created_at": utcnow().isoformat(),
            "data": {
                "material_id": material.id,
                "title": material.title,
                "version": material.version,
                "state": material.state,
            },
        }
        for subscription in subscriptions:
            self._deliver(session, subscription, event, event_id, payload)
        return len(subscriptions)

    def _deliver(
        self,
        session: Session,
        subscription: WebhookSubscription,
        event: str,
        event_id: str,
        payload: dict[str, Any],
    ) -> WebhookDelivery:
        delivery = WebhookStore.from_session(session).add_delivery(
            WebhookDelivery(subscription=subscription, event=event, event_id=event_id, payload=payload)
        )
        jobs.enqueue(
            session, DELIVER_JOB, key=f"webhook:{delivery.id}", max_attempts=1, delivery_id=delivery.id
        )
        return delivery


webhooks = WebhookService()
