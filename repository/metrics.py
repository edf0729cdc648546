"""Prometheus metrics that the domain core records (the web layer exposes them at ``/metrics``).

Only metrics whose events happen below the web boundary live here, so ``repository`` and
``ingest`` can count without importing ``web``. In several processes (uvicorn ``--workers``,
gunicorn) set ``PROMETHEUS_MULTIPROC_DIR`` so each process writes its samples to that folder and
``/metrics`` sums them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

BLOB_STORE_ERRORS = Counter(
    "hoclieu_blob_store_errors_total",
    "Blob store operations that failed for a reason other than a missing blob.",
    ["store", "operation"],
)

INGEST_DURATION = Histogram(
    "hoclieu_ingest_duration_seconds",
    "Wall time of ingest steps: each processor step (detect, text, thumbnails, media, package...) "
    "and the whole run (processor=total), by outcome (ready, failed).",
    ["processor", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800),
)


class JobQueueCollector:
    """Read at scrape time from the durable job table (shared by every process, so the numbers
    are the cluster's, not one process's): depth and running jobs per queue, the age of the
    oldest waiting job per queue, and the index lag (the oldest waiting ``index`` job: how stale
    search is)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from repository.jobs import queue_stats

        per_queue = ["queue"]
        depth = GaugeMetricFamily(
            "hoclieu_job_queue_depth", "Jobs waiting to run, per queue.", labels=per_queue
        )
        running = GaugeMetricFamily("hoclieu_job_running", "Jobs running now, per queue.", labels=per_queue)
        oldest = GaugeMetricFamily(
            "hoclieu_job_oldest_age_seconds",
            "Age of the oldest waiting job, per queue (0: none).",
            labels=per_queue,
        )
        lag = GaugeMetricFamily(
            "hoclieu_index_lag_seconds",
            "Age of the oldest change not yet applied to the search index (0: none).",
        )
        now = time.time()
        with self.db.read() as session:
            stats = queue_stats(session)
        index_lag = 0.0
        for queue, waiting, busy, created in stats:
            age = max(0.0, now - created) if created is not None else 0.0
            depth.add_metric([queue], waiting)
            running.add_metric([queue], busy)
            oldest.add_metric([queue], age)
            if queue == "index":
                index_lag = age
        lag.add_metric([], index_lag)
        yield from (depth, running, oldest, lag)
