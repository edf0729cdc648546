"""Translated HTML error pages for portal paths (the API keeps its JSON errors).

Every error a visitor of the portal can reach (a bad query string, a form the server refuses,
a missing page, a server fault) is a styled page in the portal's language with a way back. The
services' messages are English and say what to fix: they are shown marked ``lang="en"``, on a
Vietnamese page folded away as technical detail, and never for 5xx (those are logged instead).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from repository.errors import RepositoryError
from web.portal.i18n import MESSAGES, translate
from web.portal.render import render
from web.portal.session import CsrfRefused, portal_user

# status → message key; any other 4xx reads as 400, any other 5xx as 500.
_KEYS = {
    400: "error.bad_request",
    401: "error.signin_required",
    403: "error.forbidden",
    404: "error.not_found",
    405: "error.not_found",
    409: "error.conflict",
    413: "error.too_large",
    415: "error.unsupported",
    422: "error.invalid",
    429: "error.too_many",
    500: "error.server",
    503: "error.unavailable",
}
# The service's message adds nothing a reader can use for these.
_NO_DETAIL = frozenset({401, 403, 404, 405})


def message_key(status: int) -> str:
    """The catalogue key of the explanation for ``status``."""
    if status in _KEYS:
        return _KEYS[status]
    return "error.bad_request" if 400 <= status < 500 else "error.server"


def error_page(request: Request, status: int, detail: str | None, *, csrf: bool = False) -> HTMLResponse:
    """The error page in the visitor's language; ``detail`` (English, from the service) is shown
    marked ``lang="en"`` for 4xx errors other than 401/403/404/405, where it explains what to fix."""
    key = "error.csrf" if csrf else message_key(status)
    try:
        user = portal_user(request)
    except Exception:  # the error page must render even when the database is what failed
        user = None
    show_detail = (
        detail if (detail and 400 <= status < 500 and status not in _NO_DETAIL and not csrf) else None
    )
    return render(
        request,
        "portal/error.html",
        {"status": status, "message_key": key, "detail": show_detail, "back": _back(request)},
        user=user,
        status_code=status,
    )


def _back(request: Request) -> str | None:
    """The page the visitor came from on this site (a way back to the form they were using)."""
    from urllib.parse import urlsplit

    referer = urlsplit(request.headers.get("referer", ""))
    here = urlsplit(str(request.base_url))
    if (referer.scheme, referer.netloc) != (here.scheme, here.netloc) or not referer.path.startswith("/"):
        return None
    back = referer.path + (f"?{referer.query}" if referer.query else "")
    return None if back.startswith("//") or back == request.url.path else back


def is_csrf(exc: Exception) -> bool:
    return isinstance(exc, CsrfRefused)


def explain(exc: RepositoryError, lang: str) -> list[str]:
    """Sentences in ``lang`` telling a teacher or curator what to fix in a refused form.

    Built from what the service names (its error class and the ``field`` of each detail), never
    by parsing its English message, which the page still shows folded as technical detail.
    """
    out: list[str] = []
    for d in exc.details or []:
        name = str(d.get("field", ""))
        if name.startswith("rubric."):
            item = name.removeprefix("rubric.")
            if f"review.rubric.{item}" in MESSAGES:  # unticked or failed: approval needs it ticked
                out.append(
                    translate(lang, "form.rubric_required", item=translate(lang, f"review.rubric.{item}"))
                )
            continue
        field = name.split(".", 1)[0].split("[", 1)[0]
        specific = f"form.{field}_{d.get('message', '')}"
        if specific in MESSAGES:
            out.append(translate(lang, specific))
        elif f"field.{field}" in MESSAGES:
            out.append(translate(lang, "form.field_invalid", field=translate(lang, f"field.{field}")))
    code_key = f"form.{exc.code}"
    if not out and code_key in MESSAGES:
        out.append(translate(lang, code_key))
    if not out:
        out.append(translate(lang, message_key(exc.status_code)))
    return list(dict.fromkeys(out))
