"""Response headers that keep the portal's origin to itself.

Every response of the portal/API app gets (unless the route set its own):

* ``Content-Security-Policy``: scripts only from this origin or with the request's nonce (no
  inline script or handler otherwise, no third-party origin), styles from this origin, frames only
  from the content origin (packages, HTML lessons), ``frame-ancestors`` from
  ``HOCLIEU_FRAME_ANCESTORS``, no plugins, no ``<base>``, forms post only here;
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (material and review URLs
  never leak to other sites), ``Permissions-Policy`` turning off what a learning portal never uses;
* ``Cache-Control: private, no-store`` on anything answered to a request that carries credentials
  (a bearer token or the session cookie) when the route did not decide otherwise: what a signed-in
  person sees is theirs, not a shared cache's.

The nonce is in ``request.state.csp_nonce`` (templates: ``csp_nonce``) for the rare inline script.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repository.config import Settings

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(self), camera=(), display-capture=(), fullscreen=(self), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
REFERRER_POLICY = "same-origin"
SESSION_COOKIE = b"hl_session="
# The interactive API docs (web/api/docs.py) serve Swagger UI's assets from this origin; FastAPI's
# page bootstraps it with one inline script, so that page alone allows inline script.
DOCS_PATHS = ("/api/docs", "/docs/oauth2-redirect")
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def portal_csp(settings: Settings, nonce: str) -> str:
    frames = settings.content_origin.rstrip("/") if settings.content_origin else "'none'"
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data: blob:; "
        "media-src 'self' blob:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "worker-src 'self'; "
        "manifest-src 'self'; "
        f"frame-src {frames}; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        f"frame-ancestors {settings.frame_ancestors}"
    )


class SecurityHeaders:
    """Pure ASGI middleware (streams and file responses pass through untouched)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        credentialed = any(
            (name == b"authorization") or (name == b"cookie" and SESSION_COOKIE in value)
            for name, value in scope.get("headers", [])
        )
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    csp = DOCS_CSP if path in DOCS_PATHS else portal_csp(self.settings, nonce)
                    headers["Content-Security-Policy"] = csp
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", REFERRER_POLICY)
                headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                if credentialed and "cache-control" not in headers:
                    headers["Cache-Control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeaders, settings=settings)
