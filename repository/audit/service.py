"""Append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from repository.audit.store import AuditStore
from repository.errors import PermissionDenied
from repository.models import AuditEvent, Role, User, utcnow
from repository.policy.roles import has_role

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data": event.data,
        "ip": event.ip,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(event)).hexdigest()


class AuditService:
    def record(
        self,
        session: Session,
        *,
        actor: User | None,
        action: str,
        subject_type: str = "",
        subject_id: str = "",
        data: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> AuditEvent:
        if session.get_bind().dialect.name == "postgresql":
            # Serialise appends so two transactions never chain onto the same predecessor.
            session.execute(text("SELECT pg_advisory_xact_lock(7202601)"))
        prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
        event = AuditEvent(
            at=utcnow(),
            actor_id=actor.id if actor else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            data=data or {},
            ip=ip,
            prev_hash=prev,
        )
        event.hash = chain_hash(prev, event)
        session.add(event)
        session.flush()
        return event

    def page(
        self,
        session: Session,
        actor: User,
        *,
        page: int,
        size: int,
        action: str | None = None,
        subject_id: str | None = None,
        since: datetime | None = None,
    ) -> tuple[list[AuditEvent], int]:
        """One page of the log, newest first, and the total (admins only).

        ``action`` is an exact action, or a family when it ends in a dot (``material.``).

        Raises:
            PermissionDenied: the actor is not an admin.
        """
        if not has_role(actor, Role.admin):
            raise PermissionDenied("only admins can do this")
        return AuditStore.from_session(session).page(
            offset=(page - 1) * size, limit=size, action=action, subject_id=subject_id, since=since
        )

    def verify_chain(self, session: Session) -> list[int]:
        """Ids of events whose hash or link does not match (empty when the log is intact)."""
        bad: list[int] = []
        prev = GENESIS
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            if event.prev_hash != prev or chain_hash(prev, event) != event.hash:
                bad.append(event.id)
            prev = event.hash
        return bad


audit = AuditService()
