"""The interactive API documentation, served entirely by Hoclieu (works without internet).

FastAPI's default ``/api/docs`` page loads Swagger UI from a CDN and is blank offline (schools,
an air-gapped ministry network). The Swagger UI 5 bundle (OpenAPI 3.1, which FastAPI emits) comes
from the pinned ``fastapi-offline`` package; only its static files are used, served under
``/api/docs/assets/``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/api/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"  # the path FastAPI always used; kept for existing links
# A one-pixel transparent icon: the default favicon is another CDN request.
FAVICON = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="


def install(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Serve ``/api/docs`` and its assets (create the app with ``docs_url=None``)."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            oauth2_redirect_url=OAUTH2_REDIRECT,
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
