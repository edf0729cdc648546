"""Materials API: upload, read, list, download originals and derivatives."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from repository.content_safety import delivery_for
from repository.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from repository.material.schemas import MaterialPage, MaterialRead
from repository.material.service import material as material_service
from repository.mediatypes import extension_for
from repository.models import UsageKind, WorkflowState
from repository.runtime import Runtime
from repository.upload.schemas import MaterialFromUploads
from web.api.uploads import UploaderUser
from web.delivery import cache_control, file_headers, read_head
from web.deps import FileReader, OptionalUser, ReadSession, RuntimeDep, client_ip, write_uow
from web.downloads import send_blob
from web.openapi import errors
from web.uploads import MAX_FIELD_BYTES, ParsedUpload, create_from_upload, read_upload, user_quota
from web.usage import count, starts_at_zero

router = APIRouter(tags=["materials"])


@router.post(
    "/materials",
    status_code=201,
    response_model=MaterialRead,
    summary="Upload a material: 'file' parts and a 'metadata' JSON part, and/or completed resumable uploads",
    description=(
        "Two bodies are accepted.\n\n"
        "* `multipart/form-data`: one or more `file` parts and a `metadata` JSON part. Completed resumable "
        "uploads (`/api/v1/uploads`) may be added with `?upload=<id>` query parameters (repeatable); "
        "their files come after the parts, in the order given.\n"
        '* `application/json`: `{"uploads": ["<id>", ...], "metadata": {...}}` for a material '
        "made only of completed resumable uploads (the way large videos arrive).\n\n"
        "Each upload named is consumed: it becomes a file of the new material and its session ends. "
        "An upload that is not complete is refused with 409, someone else's with 404."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                            "metadata": {"type": "string", "description": "JSON object (material-v1.0.0)"},
                        },
                    }
                },
                "application/json": {"schema": MaterialFromUploads.model_json_schema()},
            },
            "required": True,
        }
    },
    responses=errors(409, 415, 507),
)
async def create_material(
    request: Request,
    runtime: RuntimeDep,
    user: UploaderUser,
    upload: Annotated[
        list[str] | None, Query(description="Id of a completed resumable upload (multipart only)")
    ] = None,
) -> MaterialRead:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
        body = await _json_body(request)
        return await run_in_threadpool(
            create_from_upload,
            runtime,
            user,
            ParsedUpload(),
            client_ip(request),
            uploads=body.uploads,
            metadata=body.metadata,
        )
    parsed = await read_upload(
        request,
        lambda: runtime.blobs.stage(max_size=runtime.settings.max_upload_bytes),
        max_file_bytes=runtime.settings.max_upload_bytes,
        quota=await run_in_threadpool(user_quota, runtime, user),
    )
    return await run_in_threadpool(
        create_from_upload, runtime, user, parsed, client_ip(request), uploads=upload or ()
    )


async def _json_body(request: Request) -> MaterialFromUploads:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FIELD_BYTES:
            raise PayloadTooLarge("the JSON body is larger than 1 MB")
    try:
        value = json.loads(bytes(raw))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed("the body is not valid JSON") from None
    if not isinstance(value, dict) or "uploads" not in value:
        # A JSON body without upload ids is most likely a metadata document sent on its own.
        raise UnsupportedMediaType(
            "send the upload as multipart/form-data with 'file' parts and a 'metadata' JSON part, "
            'or as JSON {"uploads": [ids of completed resumable uploads], "metadata": {...}}'
        )
    try:
        return MaterialFromUploads.model_validate(value)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        raise ValidationFailed(f"the JSON body is not valid: {message}", details=details) from None


@router.get("/materials", response_model=MaterialPage, summary="List the materials you may see, newest first")
def list_materials(
    session: ReadSession,
    user: OptionalUser,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    state: WorkflowState | None = None,
    mine: bool = False,
) -> MaterialPage:
    items, total = material_service.list(session, user, page=page, size=size, state=state, mine=mine)
    return MaterialPage(
        total=total,
        page=page,
        size=size,
        items=[
            MaterialRead.build(m, detail=material_service.shows_failure_details(session, user, m))
            for m in items
        ],
    )


@router.get("/materials/{material_id}", response_model=MaterialRead, summary="One material with its files")
def get_material(material_id: str, session: ReadSession, user: OptionalUser) -> MaterialRead:
    found = material_service.get(session, user, material_id)
    return MaterialRead.build(found, detail=material_service.shows_failure_details(session, user, found))


def _audit_restricted(
    runtime: Runtime, user: Any, material_id: str, file_id: str, request: Request, *, public: bool
) -> None:
    """Downloads of material that is not public (drafts, submissions) are recorded (issue 5)."""
    if public:
        return
    with write_uow(runtime) as uow:
        material_service.record_restricted_download(
            uow.session, user, material_id, file_id, ip=client_ip(request)
        )


def _blob_response(
    request: Request,
    runtime: Runtime,
    key: str,
    media_type: str,
    filename: str,
    *,
    download: bool,
    public: bool,
    redirect: bool = True,
) -> Response:
    """What the bytes may do in a browser and who may cache them is ``web.delivery``'s decision;
    storage access (HEAD, ETag/304, Last-Modified, Range, S3 redirects) is ``web.downloads``'.
    Only passive formats may be redirected to the bucket: active ones keep their CSP sandbox."""
    try:
        head = read_head(runtime, key)
    except FileNotFoundError:
        raise NotFound(
            "the stored file is missing; an administrator has been alerted by the fixity check"
        ) from None
    delivery, content_type, headers = file_headers(head, media_type, inline=not download)
    headers["Cache-Control"] = cache_control(public)
    passive = delivery_for(head).inline
    return send_blob(
        request,
        runtime,
        key,
        media_type=content_type,
        filename=filename,
        download=delivery.disposition == "attachment",
        public=public,
        redirect=redirect and passive,
        headers=headers,
    )


@router.head("/materials/{material_id}/files/{file_id}", include_in_schema=False)
@router.get(
    "/materials/{material_id}/files/{file_id}",
    summary="Download an original file (HEAD, Range, ETag/If-None-Match)",
    description=(
        "Sent as an attachment unless `download=false` asks to view it and its bytes are a passive "
        "format (PDF, images, audio, video, plain text); HTML, SVG, XML, packages and unknown types "
        "are always attachments in a CSP sandbox. Files that are not public are `private, no-store`. "
        "Signed-in portal users may use their session cookie instead of a bearer token."
    ),
)
def download_file(
    material_id: str,
    file_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: FileReader,
    download: bool = True,
) -> Response:
    f = material_service.get_file(session, user, material_id, file_id)
    public = material_service.is_public_file(session, material_id, f.id)
    _audit_restricted(runtime, user, material_id, f.id, request, public=public)
    response = _blob_response(
        request, runtime, f.storage_key, f.media_type, f.filename, download=download, public=public
    )
    if public and response.status_code in (200, 206, 302, 307) and starts_at_zero(request):
        if download:
            count(request, UsageKind.download, user, material_id=material_id)
        elif f.media_type.startswith(("video/", "audio/")):
            count(request, UsageKind.play, user, material_id=material_id)
    return response


@router.head("/materials/{material_id}/files/{file_id}/derivatives/{derivative_id}", include_in_schema=False)
@router.get(
    "/materials/{material_id}/files/{file_id}/derivatives/{derivative_id}",
    summary="Download a derivative (thumbnail, preview, rendition, text...)",
)
def download_derivative(
    material_id: str,
    file_id: str,
    derivative_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: FileReader,
) -> Response:
    f, d = material_service.get_derivative(session, user, material_id, file_id, derivative_id)
    stem = f.filename.rsplit(".", 1)[0]
    ext = extension_for(d.media_type) or ""
    name = f"{stem}-{d.kind}{'-' + d.label if d.label else ''}{'-p' + str(d.page) if d.page else ''}{ext}"
    public = material_service.is_public_file(session, material_id, f.id)
    response = _blob_response(
        request, runtime, d.storage_key, d.media_type, name, download=False, public=public
    )
    playing = d.kind == "rendition" and d.media_type.startswith(("video/", "audio/"))
    if public and playing and response.status_code in (200, 206, 302, 307) and starts_at_zero(request):
        count(request, UsageKind.play, user, material_id=material_id)
    return response


@router.head("/materials/{material_id}/files/{file_id}/hls/{path:path}", include_in_schema=False)
@router.get(
    "/materials/{material_id}/files/{file_id}/hls/{path:path}",
    summary="HLS playlists and segments of a video rendition ladder",
)
def hls_file(
    material_id: str,
    file_id: str,
    path: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: FileReader,
) -> Response:
    d = material_service.get_hls(session, user, material_id, file_id, path)
    public = material_service.is_public_file(session, material_id, file_id)
    name = path.rsplit("/", 1)[-1]
    # Playlists link their parts by relative path: always served here, never redirected.
    playlist = d.media_type == "application/vnd.apple.mpegurl"
    response = _blob_response(
        request, runtime, d.storage_key, d.media_type, name, download=False, public=public,
        redirect=not playlist,
    )
    if public and path == "master.m3u8" and response.status_code == 200:  # an HLS player starting
        count(request, UsageKind.play, user, material_id=material_id)
    return response


@router.head("/files/{sha256}", include_in_schema=False)
@router.get(
    "/files/{sha256}",
    summary="A public file or derivative by its sha256: an immutable URL a CDN may cache forever",
    responses={404: {"description": "no approved material holds content with this sha256"}},
)
def content_addressed(
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")],
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    download: bool = False,
) -> Response:
    found = material_service.public_content(session, sha256)
    if found is None:
        raise NotFound("no public file has this content")
    return _blob_response(
        request, runtime, found.storage_key, found.media_type, found.filename, download=download, public=True
    )
