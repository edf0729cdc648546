from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from repository import jobs
from search.service import search as search_service
from web.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health with each component's state")
def health(runtime: RuntimeDep) -> JSONResponse:
    components: dict[str, Any] = {}
    ok = True
    try:
        with runtime.db.read() as session:
            session.execute(text("SELECT 1"))
            components["jobs"] = {"status": "ok", **jobs.counts(session)}
        components["database"] = {"status": "ok", "backend": runtime.db.engine.dialect.name}
    except Exception as exc:
        ok = False
        components["database"] = {"status": "error", "error": type(exc).__name__}
    try:
        usage = shutil.disk_usage(runtime.settings.data_dir)
        components["storage"] = {"status": "ok", "backend": "local", "free_bytes": usage.free}
    except OSError as exc:
        ok = False
        components["storage"] = {"status": "error", "error": str(exc)}
    components["search"] = search_service.health(runtime.settings)
    if components["search"]["status"] != "ok":
        ok = False
    body = {"status": "ok" if ok else "degraded", "components": components}
    return JSONResponse(body, status_code=200 if ok else 503)
