"""Rendering portal pages: one Jinja2 environment, the shared page context, static assets.

Every page gets ``t`` (the message catalogue in the request's language), ``lang``, the signed-in
``user``, a ``csrf`` token, locale formatters, vocabulary ``label``s and ``static()`` URLs that
carry a content hash (``/static/portal.css?v=1a2b3c4d``), so static files can be cached for a
year and still change on deploy.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import Scope

from repository.models import Role, User
from repository.policy.roles import has_role
from repository.vocabularies import load_vocabularies
from web.portal import i18n, session

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
STATIC_MAX_AGE = 365 * 24 * 3600

templates = Jinja2Templates(directory=TEMPLATES_DIR)


@functools.cache
def _asset_version(path: str) -> str:
    file = STATIC_DIR / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: cacheable for a year, renamed by every change."""
    return f"/static/{path}?v={_asset_version(path)}"


class CachedStatic(StaticFiles):
    """StaticFiles with long-lived caching: asset URLs carry a content hash (``static_url``)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def label(vocabulary: str, code: object, lang: str, grade: object = None) -> str:
    """The label of ``code`` in ``lang`` (the code itself when the vocabulary does not know it),
    as the programme names it in ``grade`` when given."""
    vocab = load_vocabularies().get(vocabulary)
    term = vocab.get(str(code)) if vocab is not None else None
    in_grade = int(str(grade)) if str(grade).isdigit() else None
    return term.label(lang, grade=in_grade) if term is not None else str(code)


def terms(vocabulary: str, lang: str, *, grade: int | None = None) -> list[tuple[str, str]]:
    """``(code, label)`` pairs of a vocabulary, in its order (pickers in forms)."""
    vocab = load_vocabularies()[vocabulary]
    return [(t.code, t.label(lang)) for t in vocab.terms if grade is None or grade in (t.grades or ())]


def url_with(request: Request, **changes: object) -> str:
    """The current URL with some query parameters replaced (``None`` removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            items.extend((key, str(v)) for v in value)
        else:
            items.append((key, str(value)))
    query = urlencode(items)
    return f"{request.url.path}?{query}" if query else request.url.path


def page_context(request: Request, user: User | None) -> dict[str, Any]:
    """What every template may use."""
    lang = i18n.request_lang(request)

    def t(key: str, **values: object) -> str:
        return i18n.translate(lang, key, **values)

    return {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "t": t,
        "user": user,
        "is_teacher": has_role(user, Role.teacher),
        "is_curator": has_role(user, Role.curator),
        "is_admin": has_role(user, Role.admin),
        "csrf": session.csrf_token(request),
        "csrf_field": session.CSRF_FIELD,
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "static": static_url,
        "num": lambda v, decimals=0: i18n.format_number(v, lang, decimals=decimals),
        "size": lambda v: i18n.format_size(int(v), lang),
        "date": lambda v, with_time=False: i18n.format_date(v, lang, with_time=with_time),
        "label": lambda vocabulary, code, grade=None: label(vocabulary, code, lang, grade),
        "url_with": lambda **changes: url_with(request, **changes),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    user: User | None,
    status_code: int = 200,
    twin: str | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page context; ``twin`` is the page's JSON API URL.

    Pages are per-user (sign-in state, CSRF token), so they are never stored by shared caches, and
    a signed-in user's pages are not stored at all.
    """
    full = page_context(request, user) | {"twin": twin} | context
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    # A signed-in page is the user's alone: not even the browser keeps it (shared computers in schools).
    response.headers["Cache-Control"] = "private, no-store" if user is not None else "private, no-cache"
    response.headers["Vary"] = "Cookie"
    if twin:
        response.headers["Link"] = f'<{twin}>; rel="alternate"; type="application/json"'
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(
            i18n.LANG_COOKIE,
            request.query_params["lang"],
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=True,
        )
    session.finish(request, response)
    return response
