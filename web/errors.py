"""One place that turns exceptions into responses: JSON under /api, an HTML page elsewhere.

JSON shape (stable): ``{"error": {"code": "...", "message": "...", "details": [...]}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from repository.errors import RepositoryError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_failed",
    429: "too_many_attempts",
    507: "insufficient_storage",
}


def _render(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    html = (
        "<!doctype html><html lang='vi'><meta charset='utf-8'><title>Lỗi</title>"
        f"<h1>{status}</h1><p>{escape(body['message'])}</p><p><a href='/'>Trang chủ</a></p></html>"
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    """The error shape for middleware that answers before any route (``web.input_guard``)."""
    return _render(request, status, body)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(RepositoryError)
    async def repository_error(request: Request, exc: RepositoryError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return _render(request, exc.status_code, exc.to_dict(), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details) or "invalid request"
        return _render(request, 422, {"code": "validation_failed", "message": message, "details": details})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return _render(
            request,
            exc.status_code,
            {"code": _CODES.get(exc.status_code, "error"), "message": message},
            dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _exc: Exception) -> Response:
        log.exception("web.unhandled_error path=%s", request.url.path)
        return _render(
            request,
            500,
            {"code": "internal_error", "message": "an internal error occurred; it has been logged"},
        )
