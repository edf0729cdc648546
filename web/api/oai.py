"""The OAI-PMH endpoint ``/oai`` (GET and POST): harvesting by other vendors' school software.

Thin: the protocol lives in :mod:`repository.oai.service`. Every answer is HTTP 200 with an XML
document, errors included, as OAI-PMH requires.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from repository.config import Settings
from repository.oai.service import CONTENT_TYPE, MAX_REQUEST_CHARS, OaiConfig
from repository.oai.service import oai as oai_service
from repository.runtime import Runtime
from web.deps import RuntimeDep

router = APIRouter(tags=["harvesting"])

# Read one byte past the service's limit, so an oversized body is refused (badArgument) by the
# service rather than silently cut; nothing further is read.
MAX_BODY_BYTES = MAX_REQUEST_CHARS + 1


def oai_config(settings: Settings) -> OaiConfig:
    """The provider's settings. Identify must name an administrator's address (OAI-PMH 4.2)."""
    admin_email = settings.admin_email
    if not admin_email:
        # No setting for it yet: a role address at the site's own host, which the operator can alias.
        host = OaiConfig(base_url=settings.base_url, secret="", admin_email="").host
        admin_email = f"oai-admin@{host}"
    return OaiConfig(base_url=settings.base_url, secret=settings.secret_key, admin_email=str(admin_email))


async def _form_body(request: Request) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk[: MAX_BODY_BYTES - size])
        size += len(chunks[-1])
        if size >= MAX_BODY_BYTES:
            break
    # Percent-encoded arguments are ASCII; any raw non-ASCII byte is junk and decodes to U+FFFD.
    return b"".join(chunks).decode("utf-8", errors="replace")


def _answer(runtime: Runtime, params: str) -> Response:
    with runtime.db.read() as session:
        body = oai_service.handle(session, params, oai_config(runtime.settings))
    return Response(content=body, media_type=CONTENT_TYPE)


_OAI_ROUTE: dict[str, Any] = {
    "summary": "OAI-PMH 2.0 data provider (oai_dc; sets by subject, grade and resource type)",
    "response_class": Response,
    "responses": {200: {"content": {"text/xml": {}}, "description": "An OAI-PMH response (errors included)"}},
}


@router.get("/oai", operation_id="oai_pmh_get", **_OAI_ROUTE)
async def oai_pmh_get(request: Request, runtime: RuntimeDep) -> Response:
    """Answer one OAI-PMH request with its arguments in the query string."""
    return await run_in_threadpool(_answer, runtime, request.url.query)


@router.post("/oai", operation_id="oai_pmh_post", **_OAI_ROUTE)
async def oai_pmh_post(request: Request, runtime: RuntimeDep) -> Response:
    """Answer one OAI-PMH request with its arguments in a form body."""
    return await run_in_threadpool(_answer, runtime, await _form_body(request))
