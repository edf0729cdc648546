"""The OpenAPI document tells the truth about errors, authentication and downloads.

FastAPI's defaults describe a 422 body (``{"detail": [...]}``) that this API never sends and
mark every operation that *can* take a bearer token as requiring one. ``install(app)`` rewrites
the generated document once:

* every error status an operation can answer is documented with the one error shape,
  ``{"error": {"code", "message", "details"?}}`` (``web.errors``): 400 (malformed input, NUL
  bytes, ``web.input_guard``) and 422 everywhere, 413 where there is a body, 401 and 403 where
  a token is required, 404 where the path names something, plus what a route declares with
  ``responses=errors(409, 415, 429, ...)``;
* operations whose token is optional (public reads that show more to signed-in users) say so
  with ``security: [{}, {"HTTPBearer": []}]``;
* ``errors()`` is the helper routes use for their own error statuses.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

DESCRIPTIONS = {
    400: "Malformed request: unreadable body or header, NUL byte or lone surrogate in the input",
    401: "No valid bearer token (missing, wrong, expired or revoked)",
    403: "Signed in, but not allowed (role, scope, disabled account, CSRF)",
    404: "Nothing there, or nothing this caller may see",
    409: "Conflicts with the current state",
    410: "Gone: the resumable upload expired",
    412: "Precondition failed: unsupported Tus-Resumable version",
    413: "Request body, upload or storage quota too large",
    415: "Unsupported content type",
    422: "Well-formed but not acceptable (validation)",
    416: "The Range header asks for bytes the file does not have",
    429: "Too many attempts; wait before trying again",
    507: "The account's storage quota is used up",
}


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable machine-readable code, e.g. not_found, validation_failed")
    message: str = Field(description="What went wrong, written for people")
    details: list[dict[str, Any]] | None = Field(
        None, description="Per-field problems: {field, message, allowed?}"
    )


class ErrorBody(BaseModel):
    """Every error response of the API."""

    error: ErrorInfo


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: these statuses answer with ``ErrorBody``."""
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS.get(s, "Error")} for s in statuses}


def _calls(dependant: Dependant) -> set[Any]:
    found: set[Any] = set()
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.add(sub.call)
        found |= _calls(sub)
    return found


def _auth(route: APIRoute) -> str:
    """Whether a route needs a token: "required", "optional" or "none" (from its dependencies)."""
    from web.api.uploads import uploader
    from web.deps import current_user, optional_user

    calls = _calls(route.dependant)
    if current_user in calls or uploader in calls:
        return "required"
    if optional_user in calls:
        return "optional"
    return "none"


BINARY = {"*/*": {"schema": {"type": "string", "format": "binary"}}}


def _untyped_json(entry: dict[str, Any] | None) -> bool:
    return entry is not None and entry.get("content") == {"application/json": {"schema": {}}}


def _error_ref() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _rewrite(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    routes = {
        (context.path_format, method.lower()): context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorBody"] = error_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            route = routes.get((path, method))
            if route is None or not isinstance(operation, dict):
                continue
            statuses = {400, 422}
            if "requestBody" in operation:
                statuses.add(413)
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                statuses.add(404)
            auth = _auth(route)
            if auth == "required":
                statuses |= {401, 403}
                operation["security"] = [{"HTTPBearer": []}]
            elif auth == "optional":
                # A token is accepted (and shows more), none is fine; a bad one is still a 401.
                statuses |= {401, 403}
                operation["security"] = [{}, {"HTTPBearer": []}]
            # A route that answers some errors in a standard's own shape (OAuth 2.0, RFC 6749)
            # declares them itself with ``openapi_extra={"x-own-errors": True}``.
            own = bool(operation.pop("x-own-errors", False))
            responses = operation.setdefault("responses", {})
            if method == "get" and "/files/" in path and _untyped_json(responses.get("200")):
                # File downloads: the stored bytes under their own media type, ranges supported.
                responses["200"] = {"description": "The file's bytes", "content": BINARY}
                responses["206"] = {"description": "The byte range asked for (Range)", "content": BINARY}
                statuses.add(416)
            for status in sorted(statuses):
                entry = responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
                if not (own and "content" in entry):
                    entry["content"] = _error_ref()
            for status, entry in responses.items():
                if status.isdigit() and int(status) >= 400 and not (own and "content" in entry):
                    entry["content"] = _error_ref()
                if method == "head":
                    entry.pop("content", None)  # a HEAD answer never has a body
    return schema


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the rewritten, cached document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _rewrite(app, generated)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
