"""Worker presence: every process that serves a job queue says so, and keeps saying so.

``Presence(db, name, queues=..., role=...)`` writes a ``job_workers`` row when it starts and
refreshes its heartbeat every ``heartbeat_s`` from its own thread, so a worker busy with a
two-hour transcode is still seen as serving. A clean stop deletes the row; a killed process
stops beating and, after ``stale_after_s``, counts as gone. :func:`queue_report` is what
``/api/v1/health/ready`` and ``hoclieu search-check`` show: which queue has a live server and
which has none (its jobs would wait forever).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from repository.config import Settings
from repository.db import Database
from repository.models import utcnow
from repository.workers.store import WorkerStore

log = logging.getLogger(__name__)

# Every queue the repository enqueues on (``repository.jobs.enqueue(queue=...)``): ingest steps
# on "default", search index updates on "index".
QUEUES = ("default", "index")


def process_name(label: str) -> str:
    """A worker name unique on this machine: ``host:pid:label``."""
    return f"{socket.gethostname()}:{os.getpid()}:{label}"


class Presence:
    """One process's (or runner's) presence row, kept fresh by a daemon thread."""

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        queues: Sequence[str],
        role: str,
        heartbeat_s: float = 10.0,
    ) -> None:
        self.db = db
        self.name = name
        self.queues = tuple(queues)
        self.role = role
        self.heartbeat_s = heartbeat_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _register(self) -> None:
        with self.db.session(write=True) as session, session.begin():
            WorkerStore.from_session(session).register(
                name=self.name, queues=self.queues, role=self.role, host=socket.gethostname(), pid=os.getpid()
            )

    def start(self) -> Presence:
        self._register()
        self._thread = threading.Thread(target=self._beat, name=f"presence-{self.role}", daemon=True)
        self._thread.start()
        log.info("workers.serving name=%s queues=%s role=%s", self.name, ",".join(self.queues), self.role)
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                with self.db.session(write=True) as session, session.begin():
                    found = WorkerStore.from_session(session).beat(self.name)
                if not found:  # pruned while this process was paused (or the table was reset)
                    self._register()
            except Exception:  # a database hiccup must not end the thread; the next beat retries
                log.exception("workers.heartbeat_failed name=%s", self.name)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.db.session(write=True) as session, session.begin():
                WorkerStore.from_session(session).remove(self.name)
        except Exception:
            log.exception("workers.unregister_failed name=%s", self.name)

    def __enter__(self) -> Presence:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def queue_report(db: Database, *, stale_after_s: float, queues: Sequence[str] = QUEUES) -> dict[str, Any]:
    """``{"status": "ok"|"error", "queues": {name: [worker, ...]}, "unserved": [name, ...]}``.

    A queue is served when a process with a heartbeat newer than ``stale_after_s`` lists it.
    """
    since = utcnow() - timedelta(seconds=stale_after_s)
    with db.read() as session:
        rows = WorkerStore.from_session(session).live(since)
    served: dict[str, list[str]] = {q: [] for q in queues}
    for row in rows:
        for q in row.queues.split(","):
            if q in served:
                served[q].append(row.name)
    unserved = [q for q, names in served.items() if not names]
    return {"status": "error" if unserved else "ok", "queues": served, "unserved": unserved}


def prune_dead(db: Database, *, stale_after_s: float) -> int:
    """Delete the rows of processes that died (no heartbeat for ``stale_after_s``)."""
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    with db.session(write=True) as session, session.begin():
        return WorkerStore.from_session(session).prune(cutoff)


def how_to_serve(settings: Settings, unserved: Sequence[str]) -> str:
    """What an operator should start so that the ``unserved`` queues get a worker."""
    hints = []
    if "index" in unserved:
        hints.append(
            "queue 'index': start `hoclieu worker --queue index`"
            if settings.opensearch_url
            else "queue 'index': run `hoclieu serve`, the embedded index's single indexer (if it runs, "
            "another process holds the index writer, e.g. a `hoclieu reindex`)"
        )
    if "default" in unserved:
        hints.append(
            "queue 'default': start `hoclieu worker`"
            if settings.redis_url or not settings.in_process_worker
            else "queue 'default': start `hoclieu serve` or `hoclieu worker`"
        )
    return "; ".join(hints)
