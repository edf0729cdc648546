"""The single live indexer of the embedded (Tantivy) index, elected by its writer lock.

Tantivy allows one writer per index directory, across processes. Every ``hoclieu serve`` on a
data directory runs an :class:`IndexerElection`: it tries to take the writer; the process that
gets it runs the ``"index"`` job queue (and lists itself as serving it), the others stay
standby and try again every heartbeat. The lock is released when the holder exits or is killed,
so a standby takes over within one heartbeat: there is exactly one live indexer whatever the
queue backend (in-process runner or RQ) and however many web processes run. With OpenSearch
there is no election: any number of workers may index.
"""

from __future__ import annotations

import logging
import threading

from repository.config import Settings
from repository.db import Database
from repository.errors import Conflict
from repository.jobs import JobRunner
from repository.workers.service import process_name
from search.service import backend_for, close_backend

log = logging.getLogger(__name__)


class IndexerElection:
    """Run the index queue in this process as soon as it holds the embedded index writer."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._runner: JobRunner | None = None
        self._thread: threading.Thread | None = None
        self._held = False

    @property
    def is_indexer(self) -> bool:
        return self._runner is not None

    def start(self) -> IndexerElection:
        self._thread = threading.Thread(target=self.run, name="hoclieu-indexer", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        standby_logged = False
        while not self._stop.is_set():
            if self._take_writer():
                self._held = True
                with self._lock:
                    if self._stop.is_set():
                        break
                    self._runner = JobRunner(
                        self.db,
                        name=process_name("indexer"),
                        queues=("index",),
                        stale_after_s=self.settings.job_stale_after_s,
                        heartbeat_s=self.settings.job_heartbeat_s,
                    )
                log.info("search.indexer_elected name=%s", self._runner.name)
                self._runner.work(role="indexer")
                break
            if not standby_logged:
                log.warning(
                    "search.indexer_standby reason=another process holds the index writer; "
                    "retrying every %ss",
                    self.settings.job_heartbeat_s,
                )
                standby_logged = True
            self._stop.wait(self.settings.job_heartbeat_s)

    def _take_writer(self) -> bool:
        backend = backend_for(self.settings)
        open_writer = getattr(backend, "open_writer", None)
        if open_writer is None:  # OpenSearch: no single writer to elect
            return True
        try:
            open_writer()
        except Conflict:
            return False
        return True

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            runner = self._runner
        if runner is not None:
            runner.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._held:
            close_backend(self.settings)  # releases the writer lock for the next indexer
