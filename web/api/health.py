"""Health: ``/health/live`` (the process answers), ``/health/ready`` (it can do its work),
``/health`` (every component's state, as before).

Liveness checks nothing outside the process, so an orchestrator restarts a web process only when
it is stuck, never because the database is down. Readiness also needs every job queue to have a
live worker (``job_workers`` heartbeats): with no ingest worker, uploads would never be
processed; with no indexer, search would silently never show new or approved material.
"""

from __future__ import annotations

import logging
import shutil
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from repository import jobs
from repository.runtime import Runtime
from repository.workers.service import how_to_serve, queue_report
from search.service import search as search_service
from web.deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

# Components whose failure makes the legacy ``/health`` answer 503 (queues are reported there
# but only ``/health/ready`` fails on them).
_CORE = ("database", "storage", "search")


def _components(runtime: Runtime) -> dict[str, Any]:
    components: dict[str, Any] = {}
    try:
        with runtime.db.read() as session:  # counting the jobs is the database check
            components["jobs"] = {"status": "ok", **jobs.counts(session)}
        components["database"] = {"status": "ok", "backend": runtime.db.engine.dialect.name}
        report = queue_report(runtime.db, stale_after_s=runtime.settings.job_stale_after_s)
        # Counts only: worker names carry host names and pids, which anonymous callers need not see.
        components["queues"] = {
            "status": report["status"],
            "workers": {q: len(names) for q, names in report["queues"].items()},
            "unserved": report["unserved"],
        }
    except Exception as exc:
        components["database"] = {"status": "error", "error": type(exc).__name__}
        components["queues"] = {"status": "error", "error": "database unavailable"}
    try:
        usage = shutil.disk_usage(runtime.settings.data_dir)
        components["storage"] = {"status": "ok", "backend": "local", "free_bytes": usage.free}
    except OSError as exc:
        # The OS message names the server's folders: the log gets it, the public the kind.
        log.error("health.storage_failed error=%s", exc)
        components["storage"] = {"status": "error", "error": type(exc).__name__}
    components["search"] = search_service.health(runtime.settings)
    return components


@router.get("/health", summary="Every component's state (503 when the database, storage or search fails)")
def health(runtime: RuntimeDep) -> JSONResponse:
    components = _components(runtime)
    ok = all(components[name]["status"] == "ok" for name in _CORE)
    body = {"status": "ok" if ok else "degraded", "components": components}
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/health/live", summary="Liveness: the process answers requests")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    summary="Readiness: database, storage and search work and every job queue has a live worker",
    responses={503: {"description": "A component failed or a queue has no live worker"}},
)
def ready(runtime: RuntimeDep) -> JSONResponse:
    components = _components(runtime)
    ok = all(c["status"] == "ok" for c in components.values())
    body = {"status": "ready" if ok else "not ready", "components": components}
    if not ok:
        unserved = components["queues"].get("unserved") or []
        if unserved:
            body["fix"] = how_to_serve(runtime.settings, unserved)
    return JSONResponse(body, status_code=200 if ok else 503)
