"""The teacher's captions form: upload a WebVTT or SRT file per language for a video.

JSON twin: ``PUT /api/v1/materials/{id}/files/{file_id}/captions/{lang}``; both call
:mod:`repository.material.captions`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from repository.errors import ValidationFailed
from repository.material.captions import MAX_BYTES
from repository.material.captions import captions as caption_service
from web.deps import RuntimeDep, client_ip, write_uow
from web.portal.session import TeacherPortalUser, check_csrf

router = APIRouter(include_in_schema=False)


@router.post("/teach/m/{material_id}/files/{file_id}/captions")
async def upload_captions(
    material_id: str, file_id: str, request: Request, runtime: RuntimeDep, user: TeacherPortalUser
) -> Response:
    form = await request.form(max_files=1, max_fields=4)
    try:
        check_csrf(request, str(form.get("csrf_token", "")))
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("choose a WebVTT (.vtt) or SRT (.srt) file")
        raw = await upload.read(MAX_BYTES + 1)
        lang = str(form.get("lang", ""))
    finally:
        await form.close()

    def work() -> None:
        with write_uow(runtime) as uow:
            caption_service.set(
                uow.session,
                runtime.blobs,
                uow.session.merge(user),
                material_id,
                file_id,
                lang=lang,
                raw=raw,
                ip=client_ip(request),
            )

    await run_in_threadpool(work)
    return RedirectResponse(f"/teach/m/{material_id}?saved=captions", status_code=303)
