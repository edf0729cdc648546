"""Captions of a video file: ``PUT`` a WebVTT or SRT file per language, ``DELETE`` it.

``PUT /api/v1/materials/{id}/files/{file_id}/captions/{lang}`` takes the caption file as the raw
request body (``text/vtt``, ``application/x-subrip`` or ``text/plain``); SRT is converted to WebVTT.
The captions then appear among the file's derivatives (``kind: caption``, ``label: lang``), play
in the portal's video player and go into offline packages.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from repository.errors import PayloadTooLarge
from repository.material.captions import MAX_BYTES
from repository.material.captions import captions as caption_service
from repository.material.schemas import DerivativeRead
from repository.models import User
from web.deps import CurrentUser, RuntimeDep, client_ip, write_uow

router = APIRouter(tags=["materials"])

Lang = Annotated[str, Path(min_length=2, max_length=12, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]


async def _body(request: Request) -> bytes:
    """The request body, refused as soon as it passes the caption limit (not after reading it all)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise PayloadTooLarge(f"captions are limited to {MAX_BYTES // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


@router.put(
    "/materials/{material_id}/files/{file_id}/captions/{lang}",
    summary="Set the captions of a video file in one language (WebVTT or SRT body)",
    response_model=DerivativeRead,
    responses={
        403: {"description": "not the owner, a curator in scope or an admin"},
        404: {"description": "no such material or file"},
        413: {"description": "larger than 1 MB"},
        422: {"description": "not a video file, or not readable WebVTT/SRT"},
    },
)
async def put_captions(
    material_id: str, file_id: str, lang: Lang, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> DerivativeRead:
    raw = await _body(request)
    return await _set(runtime, user, material_id, file_id, lang, raw, client_ip(request))


async def _set(
    runtime: RuntimeDep, user: User, material_id: str, file_id: str, lang: str, raw: bytes, ip: str | None
) -> DerivativeRead:
    from starlette.concurrency import run_in_threadpool

    def work() -> DerivativeRead:
        with write_uow(runtime) as uow:
            row = caption_service.set(
                uow.session,
                runtime.blobs,
                uow.session.merge(user),
                material_id,
                file_id,
                lang=lang,
                raw=raw,
                ip=ip,
            )
            return DerivativeRead.build(material_id, row)

    return await run_in_threadpool(work)


@router.delete(
    "/materials/{material_id}/files/{file_id}/captions/{lang}",
    summary="Remove the captions of a video file in one language",
    status_code=204,
    response_class=Response,
)
def delete_captions(
    material_id: str, file_id: str, lang: Lang, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    with write_uow(runtime) as uow:
        caption_service.remove(
            uow.session, uow.session.merge(user), material_id, file_id, lang=lang, ip=client_ip(request)
        )
    return Response(status_code=204)
