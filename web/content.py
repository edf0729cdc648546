"""The content origin: where e-lecture packages and HTML lessons play, apart from the portal.

A teacher's package is a web page with scripts. Run on the portal's origin, those scripts would
act with the session of whoever opens it (a curator, an admin). So they are served only here, on
another origin (``HOCLIEU_CONTENT_ORIGIN``; ``hoclieu serve`` listens on a second port for it), and
the portal shows them in an ``<iframe sandbox="allow-scripts">`` without ``allow-same-origin``:

* this app has no sessions: it deletes the ``Cookie`` header before routing and never sets one;
  it serves public (approved, live) files to anyone, and a submission's files only under a
  short-lived signed path (``/s/<token>/...``) the portal hands to people allowed to see them;
* every response carries ``Content-Security-Policy: sandbox allow-scripts`` (so a document opened
  directly also runs in an opaque origin), a ``default-src`` limited to this origin (a script
  cannot even send a request to the portal), and ``frame-ancestors`` the portal only.

| path                                         | what                                           |
|----------------------------------------------|------------------------------------------------|
| ``/pkg/{material}/{file}/{path}``            | a file inside a public package                 |
| ``/doc/{material}/{file}/{name}``            | a public HTML lesson (the uploaded original)   |
| ``/s/{token}/pkg/...``, ``/s/{token}/doc/...`` | the same for a reviewer, signed, expiring    |
"""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repository.config import Settings
from repository.content_safety import sign_content, verify_content
from repository.errors import NotFound, RepositoryError
from repository.material.service import material as material_service
from repository.runtime import Runtime
from web.delivery import cache_control

SIGNED_TTL_S = 3600  # a reviewer's link to a submission's package lasts an hour
TEXT_TYPES = {"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml"}


class DropCookies:
    """Remove every ``Cookie`` header before anything reads it (this origin has no users), and give
    every response, errors of unknown paths included, the content policy and no cookie."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"cookie"]

        async def send_safe(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                del headers["set-cookie"]
                headers.setdefault("Content-Security-Policy", self.csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Cache-Control", "private, no-store")
            await send(message)

        await self.app(scope, receive, send_safe)


def content_policy(content_origin: str, portal_origin: str) -> str:
    """The CSP of everything this origin serves."""
    own = content_origin.rstrip("/")
    return (
        "sandbox allow-scripts allow-forms; "
        f"default-src {own} data: blob: 'unsafe-inline' 'unsafe-eval'; "
        f"form-action {own}; base-uri {own}; object-src 'none'; "
        f"frame-ancestors {portal_origin.rstrip('/')}"
    )


def portal_origin(settings: Settings) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(settings.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def content_url(
    settings: Settings, material_id: str, file_id: str, path: str, *, public: bool, filename: str = ""
) -> str | None:
    """The URL on the content origin that plays a package page (``path``) or an HTML lesson
    (``path`` empty, then ``filename`` names it). ``None`` when no content origin is configured.

    Not public (a draft, a submission): a signed path valid for :data:`SIGNED_TTL_S`; relative links
    inside the package stay under it.
    """
    if not settings.content_origin:
        return None
    tail = f"pkg/{material_id}/{file_id}/{quote(path, safe='/?=&')}" if path else (
        f"doc/{material_id}/{file_id}/{quote(filename or 'lesson.html')}"
    )
    if not public:
        token = sign_content(settings.secret_key, material_id, file_id, ttl_s=SIGNED_TTL_S)
        tail = f"s/{token}/{tail}"
    return f"{settings.content_origin.rstrip('/')}/{tail}"


def create_content_app(settings: Settings, runtime: Runtime, *, portal_origins: str | None = None) -> FastAPI:
    """The content origin's app (no API docs, no portal, no cookies).

    ``portal_origins``: who may frame this content (space-separated); by default the origin of
    ``HOCLIEU_BASE_URL``.
    """
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    csp = content_policy(settings.content_origin or "'self'", portal_origins or portal_origin(settings))

    def headers(public: bool) -> dict[str, str]:
        return {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": cache_control(public),
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Resource-Policy": "same-site",
        }

    def serve(material_id: str, file_id: str, path: str, *, granted: bool) -> Response:
        with runtime.db.read() as session:
            f, d = material_service.content_file(session, material_id, file_id, path, granted=granted)
            public = not granted  # a signed path is someone's expiring grant: never a shared cache's
            key = d.storage_key if d is not None else f.storage_key
            if d is None:
                media_type = f"{f.media_type}; charset=utf-8"
            else:
                guessed = mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"
                media_type = f"{guessed}; charset=utf-8" if guessed in TEXT_TYPES else guessed
        local = runtime.blobs.local_path(key)
        if local is None:
            return StreamingResponse(runtime.blobs.open(key), media_type=media_type, headers=headers(public))
        if not local.is_file():
            raise NotFound("the stored file is missing")
        return FileResponse(local, media_type=media_type, headers=headers(public))

    @app.get("/pkg/{material_id}/{file_id}/{path:path}")
    def package_file(material_id: str, file_id: str, path: str) -> Response:
        return serve(material_id, file_id, path, granted=False)

    @app.get("/doc/{material_id}/{file_id}/{name}")
    def document(material_id: str, file_id: str, name: str) -> Response:
        del name  # only there so relative links and the browser's title read well
        return serve(material_id, file_id, "", granted=False)

    @app.get("/s/{token}/pkg/{material_id}/{file_id}/{path:path}")
    def signed_package_file(token: str, material_id: str, file_id: str, path: str) -> Response:
        _check(token, material_id, file_id)
        return serve(material_id, file_id, path, granted=True)

    @app.get("/s/{token}/doc/{material_id}/{file_id}/{name}")
    def signed_document(token: str, material_id: str, file_id: str, name: str) -> Response:
        del name
        _check(token, material_id, file_id)
        return serve(material_id, file_id, "", granted=True)

    def _check(token: str, material_id: str, file_id: str) -> None:
        if not verify_content(settings.secret_key, token, material_id, file_id):
            raise NotFound("this link has expired or is not valid: reload the page that showed it")

    @app.exception_handler(RepositoryError)
    async def repository_error(request: Request, exc: RepositoryError) -> Response:
        del request
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code, headers=headers(False))

    app.add_middleware(DropCookies, csp=csp)
    return app
