"""SQL for the audit log's listing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from repository.models import AuditEvent
from repository.store import StoreBase


class AuditStore(StoreBase[AuditEvent]):
    model = AuditEvent

    def page(
        self, *, offset: int, limit: int, action: str | None, subject_id: str | None, since: datetime | None
    ) -> tuple[list[AuditEvent], int]:
        """Events newest first, filtered; with the total of the filtered log."""
        stmt = select(AuditEvent)
        if action:
            # A trailing dot selects a family: "material." matches every material event.
            stmt = stmt.where(
                AuditEvent.action.startswith(action, autoescape=True)
                if action.endswith(".")
                else AuditEvent.action == action
            )
        if subject_id:
            stmt = stmt.where(AuditEvent.subject_id == subject_id)
        if since is not None:
            stmt = stmt.where(AuditEvent.at >= since)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(stmt.order_by(AuditEvent.id.desc()).offset(offset).limit(limit))
        return list(rows), int(total)
