"""Resumable uploads under ``/api/v1/uploads``: the tus 1.0 core protocol with the creation,
expiration and termination extensions (https://tus.io/protocols/resumable-upload).

Why tus rather than an ad-hoc scheme: its semantics are exactly what a dropped 3G connection
needs (ask the server how much it has with HEAD, continue with PATCH from there, 409 when the
offsets disagree), and existing clients (tus-js-client, tuspy, Uppy) work against it unchanged.

| request                                   | answer                                                |
|-------------------------------------------|-------------------------------------------------------|
| ``OPTIONS /uploads``                      | 204, ``Tus-Version``, ``Tus-Extension``, ``Tus-Max-Size`` |
| ``POST /uploads`` (1)                     | 201, ``Location``, JSON ``UploadRead``                |
| ``HEAD /uploads/{id}``                    | 200, ``Upload-Offset``, ``Upload-Length``, ``Upload-Expires`` |
| ``GET /uploads/{id}``                     | 200, JSON ``UploadRead`` (not tus; scripts and tests) |
| ``PATCH /uploads/{id}`` (2)               | 204, the new ``Upload-Offset``                        |
| ``DELETE /uploads/{id}``                  | 204 (termination)                                     |

(1) with ``Upload-Length`` and ``Upload-Metadata: filename <base64>,filetype <base64>``.
(2) with ``Upload-Offset`` and ``Content-Type: application/offset+octet-stream``.

Errors: 409 when ``Upload-Offset`` is not the stored offset (details carry the stored one),
413 when ``Upload-Length`` is above ``max_upload_bytes`` or a chunk goes past the declared
length, 415 without the tus content type, 410 once a session expired, 404 for anyone but its
owner, 412 for another ``Tus-Resumable`` version. ``Tus-Resumable`` may be omitted by clients.

A chunk cut off half-way keeps what arrived (tus: the server SHOULD), so the client resumes
from the last byte the server fsync'd, not from the start of the chunk. A finished upload
becomes a material's file through ``POST /api/v1/materials`` (JSON ``{"uploads": [...]}`` or
``?upload=<id>`` next to multipart files).

Authentication: a bearer token, or the portal's session cookie with its CSRF token in
``X-CSRF-Token`` on every state-changing request (the portal's uploader calls this API).
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from datetime import UTC
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from repository.errors import (
    BadRequest,
    NotAuthenticated,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from repository.models import Role, Upload, User
from repository.policy.roles import has_role
from repository.runtime import Runtime
from repository.storage import ResumableWriter
from repository.upload.schemas import UploadRead
from repository.upload.service import upload as upload_service
from web.deps import RuntimeDep, bearer, optional_user, write_uow
from web.openapi import errors
from web.portal.session import check_csrf, portal_user
from web.uploads import body_chunks

router = APIRouter(tags=["uploads"])

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
OFFSET_TYPE = "application/offset+octet-stream"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Bytes are written to disk in pieces of this size (fewer thread hops than per network read).
WRITE_BUFFER = 1024 * 1024
# A chunk whose bytes stop arriving for ``upload_idle_timeout_s`` is treated as cut off: what
# arrived is kept and the lock released, so the client's retry is not refused while a dead
# connection lingers.
# Expired sessions are swept at start-up and, at most this often, when a session is created.
SWEEP_EVERY_S = 600.0
# 18 digits hold any real length (an exabyte) and always fit a 64-bit database column.
MAX_INT_DIGITS = 18


def uploader(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """A teacher (or above) by bearer token, or by portal session cookie plus CSRF token."""
    if credentials is not None:
        user = optional_user(request, runtime, credentials)
    else:
        user = portal_user(request)
        if user is not None and request.method not in SAFE_METHODS:
            check_csrf(request, None)  # the X-CSRF-Token header
    if user is None:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>'")
    if not has_role(user, Role.teacher):
        raise PermissionDenied("only teachers, curators and admins can upload materials")
    return user


UploaderUser = Annotated[User, Depends(uploader)]


def _check_version(request: Request) -> None:
    sent = request.headers.get("tus-resumable")
    if sent is not None and sent.strip() != TUS_VERSION:
        raise HTTPException(
            412,
            f"Tus-Resumable {sent!r} is not supported: use {TUS_VERSION}",
            headers={"Tus-Version": TUS_VERSION},
        )


def _int_header(request: Request, name: str) -> int:
    raw = request.headers.get(name)
    if raw is None:
        raise BadRequest(f"the {name} header is required")
    raw = raw.strip()
    # ASCII digits only: str.isdigit() also accepts "²" or Arabic-Indic digits, which int()
    # then refuses or reads; and a length with 30 digits is nonsense, not a big file.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_INT_DIGITS:
        raise BadRequest(
            f"the {name} header must be a non-negative integer in ASCII digits, not {raw[:40]!r}"
        )
    return int(raw)


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus ``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (value optional)."""
    found: dict[str, str] = {}
    for pair in (header or "").split(","):
        if not pair.strip():
            continue
        key, _, encoded = pair.strip().partition(" ")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(f"Upload-Metadata: the value of {key!r} is not base64 of UTF-8 text") from None
        if "\x00" in found[key]:
            raise BadRequest(f"Upload-Metadata: the value of {key[:40]!r} contains a NUL byte")
    return found


def _headers(upload: Upload | None = None) -> dict[str, str]:
    headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
    if upload is not None:
        headers["Upload-Offset"] = str(upload.received)
        headers["Upload-Length"] = str(upload.length)
        headers["Upload-Expires"] = format_datetime(upload.expires_at.astimezone(UTC), usegmt=True)
    return headers


_sweep_lock = threading.Lock()
_last_sweep = 0.0


def expire_uploads(runtime: Runtime) -> int:
    """Delete expired sessions and their partial files (and orphan files). Returns how many."""
    with write_uow(runtime) as uow:
        return upload_service.expire(uow.session, runtime.blobs)


def _maybe_sweep(runtime: Runtime) -> None:
    global _last_sweep
    with _sweep_lock:
        if time.monotonic() - _last_sweep < SWEEP_EVERY_S:
            return
        _last_sweep = time.monotonic()
    expire_uploads(runtime)


@router.options("/uploads", status_code=204, summary="tus discovery: version, extensions, maximum size")
def discover(runtime: RuntimeDep) -> Response:
    return Response(
        status_code=204,
        headers={
            "Tus-Resumable": TUS_VERSION,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(runtime.settings.max_upload_bytes),
        },
    )


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadRead,
    summary="Start a resumable upload (tus creation): Upload-Length and Upload-Metadata headers",
    responses={
        201: {"headers": {"Location": {"description": "The upload's URL", "schema": {"type": "string"}}}},
        **errors(412, 413, 507),
    },
)
def create_upload(request: Request, runtime: RuntimeDep, user: UploaderUser) -> Response:
    _check_version(request)
    if request.headers.get("upload-defer-length"):
        raise BadRequest("Upload-Defer-Length is not supported: send Upload-Length")
    length = _int_header(request, "Upload-Length")
    meta = parse_metadata(request.headers.get("upload-metadata"))
    filename = meta.get("filename") or meta.get("name") or ""
    content_type = meta.get("filetype") or meta.get("type")
    _maybe_sweep(runtime)
    with write_uow(runtime) as uow:
        created = upload_service.create(
            uow.session,
            uow.session.merge(user),
            runtime.blobs,
            filename=filename,
            length=length,
            content_type=content_type,
            max_bytes=runtime.settings.max_upload_bytes,
            quota_bytes=runtime.settings.user_quota_bytes,
        )
        body = UploadRead.build(created)
        headers = _headers(created) | {"Location": body.url}
    return JSONResponse(body.model_dump(mode="json"), status_code=201, headers=headers)


@router.head(
    "/uploads/{upload_id}", summary="The stored offset of an upload (tus)", responses=errors(410, 412)
)
def upload_offset(upload_id: str, request: Request, runtime: RuntimeDep, user: UploaderUser) -> Response:
    _check_version(request)
    with runtime.db.read() as session:
        found = upload_service.get(session, user, upload_id)
        return Response(status_code=200, headers=_headers(found))


@router.get(
    "/uploads/{upload_id}",
    response_model=UploadRead,
    summary="An upload's state as JSON",
    responses=errors(410),
)
def get_upload(upload_id: str, runtime: RuntimeDep, user: UploaderUser) -> Response:
    with runtime.db.read() as session:
        found = upload_service.get(session, user, upload_id)
        return JSONResponse(UploadRead.build(found).model_dump(mode="json"), headers=_headers(found))


async def _receive(request: Request, writer: ResumableWriter) -> bool:
    """Stream the body into ``writer``; True when the client went away (or went quiet for
    ``upload_idle_timeout_s``) before the end."""
    idle_timeout: float = request.app.state.settings.upload_idle_timeout_s
    buffer = bytearray()
    interrupted = False
    try:
        async for chunk in body_chunks(request, idle_timeout):
            buffer += chunk
            if len(buffer) >= WRITE_BUFFER:
                data, buffer = bytes(buffer), bytearray()
                await run_in_threadpool(writer.write, data)
    except (ClientDisconnect, TimeoutError):
        interrupted = True
    if buffer:
        await run_in_threadpool(writer.write, bytes(buffer))
    return interrupted


def _record(runtime: Runtime, user: User, upload_id: str, start: int, end: int, sha256: str | None) -> Upload:
    with write_uow(runtime) as uow:
        recorded = upload_service.record(uow.session, user, upload_id, start=start, end=end, sha256=sha256)
        uow.session.expunge(recorded)
        return recorded


@router.patch(
    "/uploads/{upload_id}",
    status_code=204,
    summary="Append bytes at Upload-Offset (tus); body is application/offset+octet-stream",
    openapi_extra={
        "requestBody": {
            "content": {OFFSET_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "required": True,
        }
    },
    responses=errors(409, 410, 412, 415),
)
async def append(upload_id: str, request: Request, runtime: RuntimeDep, user: UploaderUser) -> Response:
    _check_version(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != OFFSET_TYPE:
        raise UnsupportedMediaType(f"send the chunk as Content-Type: {OFFSET_TYPE}")
    offset = _int_header(request, "Upload-Offset")

    def begin() -> tuple[Upload, ResumableWriter]:
        with runtime.db.read() as session:
            found, writer = upload_service.begin_append(
                session, user, runtime.blobs, upload_id, offset=offset
            )
            session.expunge(found)
            return found, writer

    found, writer = await run_in_threadpool(begin)
    try:
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and offset + int(declared) > found.length:
            raise PayloadTooLarge(f"the chunk goes past the declared length of {found.length} bytes")
        try:
            interrupted = await _receive(request, writer)
        except BaseException:
            await run_in_threadpool(writer.rollback)  # a refused chunk leaves nothing behind
            raise
        await run_in_threadpool(writer.sync)  # durable before acknowledged
        end = writer.position
        if end == offset:
            recorded = found
        else:
            digest = None
            if end == found.length:
                digest = await run_in_threadpool(runtime.blobs.resumable(upload_id).sha256, end)
            recorded = await run_in_threadpool(_record, runtime, user, upload_id, offset, end, digest)
    finally:
        writer.close()  # only now: a concurrent writer must not start from the old offset
    if interrupted:
        raise BadRequest(f"the chunk was cut off; {end} bytes are stored: resume from there")
    return Response(status_code=204, headers=_headers(recorded))


@router.delete(
    "/uploads/{upload_id}",
    status_code=204,
    summary="Abandon an upload (tus termination)",
    responses=errors(410, 412),
)
def delete_upload(upload_id: str, request: Request, runtime: RuntimeDep, user: UploaderUser) -> Response:
    _check_version(request)
    with write_uow(runtime) as uow:
        upload_service.delete(uow.session, uow.session.merge(user), runtime.blobs, upload_id)
    return Response(status_code=204, headers=_headers())
