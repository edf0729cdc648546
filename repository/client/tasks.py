"""Job: send one webhook delivery (see ``repository.client.webhooks``).

The job owns its retries (not the job runner's generic ones): each failed attempt is written to
the delivery log and the next attempt is queued with exponential backoff, so the log shows every
answer and a receiver that is down for an hour gets the event when it comes back.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from repository import jobs
from repository.client.store import WebhookStore
from repository.client.webhooks import (
    DELIVER_JOB,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    body_of,
    sign,
)
from repository.models import utcnow
from repository.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A receiver answers; it does not send the signed event somewhere else.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def deliver_webhook(delivery_id: str) -> None:
    """Make one attempt at a delivery; on failure queue the next one (or mark it failed)."""
    from repository.runtime import get_runtime

    runtime = get_runtime()
    settings = runtime.settings
    with runtime.db.read() as session:
        delivery = WebhookStore.from_session(session).delivery(delivery_id)
        if delivery is None or delivery.status != "pending":
            return  # delivered by an earlier run, or deleted with its client
        url = delivery.subscription.url
        secret = delivery.subscription.secret
        event_id = delivery.event_id
        body = body_of(delivery, settings.base_url)
    timestamp = int(time.time())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Hoclieu-Webhooks/1",
            ID_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
    )
    status: int | None = None
    error: str | None = None
    try:
        with _opener.open(request, timeout=settings.webhook_timeout_s) as response:
            status = response.status
            response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    ok = status is not None and 200 <= status < 300
    with UnitOfWork(runtime.db) as uow:
        delivery = WebhookStore.from_session(uow.session).delivery(delivery_id)
        if delivery is None or delivery.status != "pending":
            return
        delivery.attempts += 1
        delivery.response_status = status
        delivery.updated_at = utcnow()
        if ok:
            delivery.status = "delivered"
            delivery.delivered_at = delivery.updated_at
            delivery.last_error = None
            log.info("webhook.delivered delivery_id=%s attempts=%s", delivery_id, delivery.attempts)
            return
        delivery.last_error = (error or f"HTTP {status}")[:MAX_ERROR_CHARS]
        if delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = "failed"
            log.warning("webhook.failed delivery_id=%s attempts=%s", delivery_id, delivery.attempts)
            return
        delay = settings.webhook_backoff_s * 2 ** (delivery.attempts - 1)
        job = jobs.enqueue(uow.session, DELIVER_JOB, max_attempts=1, delivery_id=delivery_id)
        if job is not None:
            job.run_after = utcnow() + timedelta(seconds=delay)
        log.info("webhook.retry delivery_id=%s attempts=%s delay_s=%s", delivery_id, delivery.attempts, delay)
