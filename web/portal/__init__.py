"""The portal: server-rendered pages for students, teachers, curators and admins.

``install(app)`` is the one call ``create_app`` makes: it mounts the static assets, adds the
portal routers, compresses text responses and renders portal errors as translated pages.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from repository.errors import RepositoryError

log = logging.getLogger(__name__)


class TextGZip:
    """GZip for pages, JSON, CSS and JS; never for file downloads or ranged requests.

    Compressing a 206 slice of a PDF or video would break byte ranges, and media is compressed
    already, so ``/files/`` URLs and requests with ``Range`` pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=500, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "")
            ranged = any(name == b"range" for name, _ in scope.get("headers", []))
            if not ranged and "/files/" not in path:
                await self.gzip(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get(
        "accept", ""
    )


def install(app: FastAPI) -> None:
    """Mount the portal on ``app`` (after ``web.errors.install``)."""
    from web.portal import (
        admin,
        browse,
        captions,
        clients,
        material,
        offline,
        organisations,
        render,
        review,
        signin,
        stats,
        teach,
    )
    from web.portal.errors import error_page
    from web.portal.session import CsrfRefused, SignInRequired

    app.mount("/static", render.CachedStatic(directory=render.STATIC_DIR), name="static")
    modules = (browse, material, signin, teach, review, admin, offline, captions, clients)
    for module in (*modules, organisations, stats):
        app.include_router(module.router)
    app.add_middleware(TextGZip)

    api_repository_error: Any = app.exception_handlers.get(RepositoryError)
    api_http_error: Any = app.exception_handlers.get(StarletteHTTPException)
    api_validation_error: Any = app.exception_handlers.get(RequestValidationError)
    api_unexpected_error: Any = app.exception_handlers.get(Exception)

    @app.exception_handler(RepositoryError)
    async def portal_repository_error(request: Request, exc: RepositoryError) -> Response:
        if isinstance(exc, SignInRequired) and _is_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/signin?{_next(target)}", status_code=303)
        if _is_page(request):
            return error_page(request, exc.status_code, exc.message, csrf=isinstance(exc, CsrfRefused))
        return await api_repository_error(request, exc)  # type: ignore[no-any-return]

    @app.exception_handler(StarletteHTTPException)
    async def portal_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_page(request) and exc.status_code >= 400:
            detail = exc.detail if isinstance(exc.detail, str) and exc.status_code not in (404, 405) else None
            page = error_page(request, exc.status_code, detail)
            for name, value in (exc.headers or {}).items():
                page.headers.setdefault(name, value)
            return page
        return await api_http_error(request, exc)  # type: ignore[no-any-return]

    @app.exception_handler(RequestValidationError)
    async def portal_validation_error(request: Request, exc: RequestValidationError) -> Response:
        # e.g. /m/ID?page=0 or an empty "Đến trang" box: a page in the portal's language.
        if _is_page(request):
            fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
            return error_page(request, 422, "invalid value for: " + ", ".join(fields))
        return await api_validation_error(request, exc)  # type: ignore[no-any-return]

    @app.exception_handler(Exception)
    async def portal_unexpected_error(request: Request, exc: Exception) -> Response:
        if _is_page(request):
            log.exception("web.unhandled_error path=%s", request.url.path)
            try:
                return error_page(request, 500, None)
            except Exception:  # rendering itself failed: fall back to the plain handler
                log.exception("web.error_page_failed path=%s", request.url.path)
        return await api_unexpected_error(request, exc)  # type: ignore[no-any-return]


def _next(target: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": target})
