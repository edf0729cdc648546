"""Recording usage events without slowing requests and without keeping personal data.

A request calls :meth:`UsageRecorder.record`, which only appends a small tuple to an in-memory
buffer (microseconds; no database, no hashing). A thread of the process writes the buffer every
``HOCLIEU_STATS_FLUSH_S`` in one transaction: it turns who asked (the signed-in account's id, or
the address and user agent) into a 64-bit keyed BLAKE2b hash under the day's random salt, and
inserts the events; a visitor's repeat of the same event on the same day is not inserted. The
address, user agent and account id are never written anywhere; the salt is deleted once its day
is over, after which nobody can tell whose hash a row holds.

Counting is best effort by design: a crash loses at most the last flush interval's events, and
when the database cannot be reached the buffer keeps at most :data:`MAX_BUFFERED` events (oldest
dropped, counted in the log) rather than growing without bound.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import unicodedata
from collections import deque
from datetime import UTC, date, datetime, timedelta, timezone
from typing import NamedTuple

from repository import jobs
from repository.db import Database
from repository.models.stats import QUERY_CHARS, VISITOR_CHARS, UsageKind
from repository.stats.store import StatsStore

log = logging.getLogger(__name__)

# Vietnam's time zone (UTC+7, no daylight saving): the statistics day.
STATS_TZ = timezone(timedelta(hours=7))
MAX_BUFFERED = 200_000
AGGREGATE_JOB = "repository.stats.tasks.aggregate_usage"


def stats_day(now: datetime | None = None) -> date:
    """The statistics day of ``now`` (default: now), the calendar day in Vietnam."""
    return (now or datetime.now(UTC)).astimezone(STATS_TZ).date()


def normalise_query(text: str) -> str:
    """A search text as counted: NFC, lowercase, single spaces, at most ``QUERY_CHARS`` long."""
    folded = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return folded[:QUERY_CHARS].strip()


class Pending(NamedTuple):
    day: date
    kind: str
    material_id: str
    query: str
    results: int | None
    who: str  # in memory only, until the flush hashes it


class UsageRecorder:
    """One per process: ``web.app`` creates it, and its lifespan starts the writer thread
    (:meth:`start`) and stops it, writing what is left (:meth:`stop`). Thread-safe; ``flush()``
    may be called by anyone (tests and benchmarks call it instead of starting the thread)."""

    def __init__(
        self,
        db: Database,
        *,
        enabled: bool = True,
        flush_s: float = 1.0,
        aggregate_every_s: float = 600.0,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self.db = db
        self.enabled = enabled
        self.flush_s = flush_s
        self.aggregate_every_s = aggregate_every_s
        self._buffer: deque[Pending] = deque(maxlen=max_buffered)
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._salts: dict[date, bytes] = {}
        # The first aggregation request waits a full interval (a restart does not queue one).
        self._last_aggregate_request = time.monotonic()
        self.dropped = 0

    # --- the request path ---------------------------------------------------------------------

    def record(
        self,
        kind: UsageKind,
        who: str,
        *,
        material_id: str = "",
        query: str = "",
        results: int | None = None,
        now: datetime | None = None,
    ) -> None:
        """Buffer one event. ``who`` identifies the visitor for today's de-duplication only."""
        if not self.enabled:
            return
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
        self._buffer.append(Pending(stats_day(now), kind.value, material_id, query, results, who))

    # --- the writer thread --------------------------------------------------------------------

    def start(self) -> UsageRecorder:
        with self._start_lock:
            if self._thread is None and self.enabled:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="hoclieu-usage-stats", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """Write what is buffered and stop the thread (the app's shutdown)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=30)
        self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except Exception:  # the database is away: keep the buffer, try again next round
                log.exception("stats.flush_failed")

    def flush(self) -> int:
        """Write the buffered events now; returns how many were taken from the buffer."""
        with self._flush_lock:
            taken: list[Pending] = []
            while self._buffer:
                try:
                    taken.append(self._buffer.popleft())
                except IndexError:
                    break
            if self.dropped:
                log.warning("stats.events_dropped", extra={"dropped": self.dropped})
                self.dropped = 0
            aggregate = time.monotonic() - self._last_aggregate_request >= self.aggregate_every_s
            if not taken and not aggregate:
                return 0
            try:
                self._write(taken, aggregate=aggregate)
            except Exception:
                for item in reversed(taken):  # back to the front, to be written next time
                    self._buffer.appendleft(item)
                raise
            return len(taken)

    def _write(self, taken: list[Pending], *, aggregate: bool) -> None:
        from repository.uow import UnitOfWork

        with UnitOfWork(self.db) as uow:
            store = StatsStore.from_session(uow.session)
            rows: dict[tuple[date, str, str, str, str], dict[str, object]] = {}
            for p in taken:
                salt = self._salts.get(p.day)
                if salt is None:
                    salt = self._salts[p.day] = bytes.fromhex(store.salt_for(p.day))
                    for old in [d for d in self._salts if d < p.day - timedelta(days=1)]:
                        del self._salts[old]
                visitor = hashlib.blake2b(
                    p.who.encode("utf-8", "surrogatepass"), key=salt[:64], digest_size=VISITOR_CHARS // 2
                ).hexdigest()
                key = (p.day, p.kind, p.material_id, p.query, visitor)
                rows.setdefault(
                    key,
                    {
                        "day": p.day,
                        "kind": p.kind,
                        "material_id": p.material_id,
                        "query": p.query,
                        "results": p.results,
                        "visitor": visitor,
                    },
                )
            store.insert_events(list(rows.values()))
            if aggregate:
                # Key-deduplicated: however many processes ask, one aggregation job is queued.
                jobs.enqueue(uow.session, AGGREGATE_JOB, key="stats:aggregate")
        if aggregate:
            self._last_aggregate_request = time.monotonic()
