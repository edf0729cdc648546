"""Prometheus metrics that the domain core records (the web layer exposes them at ``/metrics``).

Only metrics whose events happen below the web boundary live here, so ``repository`` and
``ingest`` can count without importing ``web``. In several processes (uvicorn ``--workers``,
gunicorn) set ``PROMETHEUS_MULTIPROC_DIR`` so each process writes its samples to that folder and
``/metrics`` sums them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

BLOB_STORE_ERRORS = Counter(
    "hoclieu_blob_store_errors_total",
    "Blob store operations that failed for a reason other than a missing blob.",
    ["store", "operation"],
)

INGEST_DURATION = Histogram(
    "hoclieu_ingest_duration_seconds",
    "Wall time of one ingest run, by the processor that handled the file and its outcome.",
    ["processor", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800),
)
