from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base
from repository.models.base import JSONType, UTCDateTime, created_column, utcnow


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(Base):
    """A durable job (transactional outbox).

    Written in the same transaction as the change that needs it, so a crash between commit and
    enqueue loses nothing. The embedded worker runs rows directly; at scale a dispatcher hands
    them to RQ. ``func`` is a dotted path ("search.tasks.index_material"), ``kwargs`` primitives.
    ``key`` de-duplicates: while one job with a key is queued, enqueueing the same key is a no-op.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status in ('queued','running','done','failed')", name="status_known"),
        Index("ix_jobs_status_run_after", "status", "run_after"),
        Index("ix_jobs_key_status", "key", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    func: Mapped[str] = mapped_column(String(200), nullable=False)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    queue: Mapped[str] = mapped_column(String(50), default="default", nullable=False)
    key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, nullable=False)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # A worker holding a job refreshes this; a stale heartbeat means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    worker: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobWorker(Base):
    """A live process that serves job queues (presence, for readiness and search-check).

    Each runner, RQ worker and the embedded index's indexer writes its row when it starts and
    refreshes ``heartbeat_at`` every heartbeat interval from a thread of its own (so a long job
    does not silence it); a clean stop deletes the row. A row whose heartbeat is older than the
    stale limit belongs to a process that died: it serves nothing.
    """

    __tablename__ = "job_workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Comma-separated queue names ("default,index").
    queues: Mapped[str] = mapped_column(String(200), nullable=False)
    # "runner" (job table), "rq" (RQ worker + dispatcher) or "indexer" (embedded index writer).
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
