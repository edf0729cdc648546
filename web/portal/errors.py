"""Translated HTML error pages for portal paths (the API keeps its JSON errors)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from web.portal.render import render
from web.portal.session import CsrfRefused, portal_user

_KEYS = {401: "error.signin_required", 403: "error.forbidden", 404: "error.not_found", 405: "error.not_found"}


def error_page(request: Request, status: int, detail: str | None, *, csrf: bool = False) -> HTMLResponse:
    """The error page in the visitor's language; ``detail`` (English, from the service) is shown
    marked ``lang="en"`` for 4xx errors other than 401/403/404, where it explains what to fix."""
    key = "error.csrf" if csrf else _KEYS.get(status, "error.title")
    try:
        user = portal_user(request)
    except Exception:  # the error page must render even when the database is what failed
        user = None
    show_detail = detail if (detail and 400 <= status < 500 and status not in _KEYS and not csrf) else None
    return render(
        request,
        "portal/error.html",
        {"status": status, "message_key": key, "detail": show_detail},
        user=user,
        status_code=status,
    )


def is_csrf(exc: Exception) -> bool:
    return isinstance(exc, CsrfRefused)
