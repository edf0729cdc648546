"""The installable portal: web app manifest, service worker and the "Bài đã lưu" page.

``/sw.js`` is the static ``web/static/sw.js`` served from the root so its scope is the whole
portal (a worker under ``/static/`` could only control ``/static/``); it is revalidated on every
load (``no-cache``) so a new version reaches students at once. What it keeps is described in the
file itself. ``/offline`` lists what this browser keeps (filled in by ``portal.js`` from the Cache
API, as only the browser knows) and is what a page never opened shows when the network is down.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from web.portal.i18n import request_lang, translate
from web.portal.render import STATIC_DIR, render, static_url
from web.portal.session import PortalUser

router = APIRouter(include_in_schema=False)

THEME = "#0b3d6e"


@router.get("/sw.js")
def service_worker() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/manifest.webmanifest")
def web_manifest(request: Request) -> Response:
    lang = request_lang(request)
    doc = {
        "name": translate(lang, "app.name"),
        "short_name": "Hoclieu",
        "description": translate(lang, "site.tagline"),
        "lang": lang,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {
                "src": static_url(f"icons/icon-{n}.png"),
                "sizes": f"{n}x{n}",
                "type": "image/png",
                "purpose": "any",
            }
            for n in (192, 512)
        ],
    }
    return Response(
        json.dumps(doc, ensure_ascii=False).encode("utf-8"),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/offline", response_class=HTMLResponse)
def kept_page(request: Request, user: PortalUser) -> HTMLResponse:
    return render(request, "portal/offline.html", {}, user=user)
