"""SQL for worker presence rows (``job_workers``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update

from repository.models import JobWorker, utcnow
from repository.store import StoreBase


class WorkerStore(StoreBase[JobWorker]):
    model = JobWorker

    def register(self, *, name: str, queues: Sequence[str], role: str, host: str, pid: int) -> None:
        """Write (or replace) this process's row with a fresh heartbeat."""
        now = utcnow()
        row = self.session.get(JobWorker, name)
        if row is None:
            self.session.add(
                JobWorker(
                    name=name,
                    queues=",".join(queues),
                    role=role,
                    host=host,
                    pid=pid,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        else:
            row.queues, row.role, row.host, row.pid, row.heartbeat_at = ",".join(queues), role, host, pid, now
        self.session.flush()

    def beat(self, name: str) -> int:
        """Refresh the heartbeat; returns 0 when the row is gone (then register again)."""
        result = self.session.execute(
            update(JobWorker).where(JobWorker.name == name).values(heartbeat_at=utcnow())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def remove(self, name: str) -> None:
        self.session.execute(delete(JobWorker).where(JobWorker.name == name))

    def live(self, since: datetime) -> Sequence[JobWorker]:
        """Rows whose heartbeat is newer than ``since``."""
        return self.session.scalars(
            select(JobWorker).where(JobWorker.heartbeat_at >= since).order_by(JobWorker.name)
        ).all()

    def prune(self, before: datetime) -> int:
        """Delete rows of processes that stopped beating before ``before`` (died without a goodbye)."""
        result = self.session.execute(delete(JobWorker).where(JobWorker.heartbeat_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
