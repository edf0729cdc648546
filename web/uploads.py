"""Streaming ``multipart/form-data`` parsing for uploads.

Starlette's form parser spools whole files before the endpoint runs and applies no size limit
per file. This parser feeds each file part straight into a staged blob (hashing as it writes),
stops with HTTP 413 the moment a file passes the limit, and keeps small fields (``metadata``)
in memory with a cap. A 2 GB video never sits in memory, and an oversized one is refused
without being written whole.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from repository.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from repository.material.schemas import MaterialRead
from repository.material.service import NewFile
from repository.mediatypes import guess_from_name, sniff
from repository.models import User
from repository.runtime import Runtime
from repository.storage import StagedBlob
from repository.upload.intake import create_material
from repository.upload.service import Quota
from repository.upload.service import upload as upload_service
from web.input_guard import unstorable

MAX_FIELD_BYTES = 1024 * 1024
OCTET_STREAM = "application/octet-stream"
FILE_FIELDS = {"file", "files"}
TEXT_FIELDS = {"metadata"}


@dataclass
class UploadedFile:
    filename: str
    content_type: str | None
    staged: StagedBlob


@dataclass
class ParsedUpload:
    fields: dict[str, bytes] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def abort(self) -> None:
        for f in self.files:
            f.staged.abort()

    def commit_files(self) -> list[NewFile]:
        """Store every staged file part in the blob store; on any error abort them all.

        Raises:
            ValidationFailed: an empty file.
        """
        out: list[NewFile] = []
        try:
            for up in self.files:
                detected = (
                    sniff(up.staged.path, up.filename) if up.staged.size else "application/octet-stream"
                )
                declared = (
                    up.content_type if up.content_type not in (None, "", "application/octet-stream") else None
                )
                blob = up.staged.commit()  # raises ValidationFailed for an empty file
                out.append(
                    NewFile(
                        filename=up.filename,
                        blob=blob,
                        media_type=detected,
                        declared_media_type=declared or guess_from_name(up.filename),
                    )
                )
        except BaseException:
            self.abort()
            raise
        return out

    def metadata(self) -> dict[str, Any]:
        raw = self.fields.get("metadata")
        if raw is None or not raw.strip():
            return {}
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValidationFailed("the 'metadata' part is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"the 'metadata' part is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        if not isinstance(value, dict):
            raise ValidationFailed("the 'metadata' part must be a JSON object")
        where = unstorable(value, "metadata")
        if where is not None:
            raise BadRequest(f"{where} contains a NUL byte or a lone surrogate")
        return value


def user_quota(runtime: Runtime, user: User) -> Quota:
    """The account's storage quota now (a short read; call it in a thread from async routes)."""
    with runtime.db.read() as session:
        return upload_service.quota(session, user, allowed=runtime.settings.user_quota_bytes)


class _Part:
    def __init__(self) -> None:
        self.headers: dict[str, bytes] = {}
        self.name: str = ""
        self.filename: str | None = None
        self.content_type: str | None = None
        self.buffer = bytearray()
        self.upload: UploadedFile | None = None


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


async def read_upload(
    request: Request,
    stage: Callable[[], StagedBlob],
    *,
    max_file_bytes: int,
    quota: Quota | None = None,
    text_fields: Collection[str] = TEXT_FIELDS,
    before_files: Callable[[dict[str, bytes]], None] | None = None,
) -> ParsedUpload:
    """Stream a multipart upload: file parts into staged blobs, small fields into memory.

    Limits, all enforced while the bytes arrive and before anything is committed: each file at
    most ``max_file_bytes``; all files together within the owner's remaining ``quota`` (507);
    at most ``settings.max_upload_parts`` parts (413); no pause longer than
    ``settings.upload_idle_timeout_s`` (400). Any refusal aborts every staged part.

    ``text_fields`` are the small fields accepted besides the files; ``before_files`` is called
    with the fields read so far when the first file part starts, before a byte of it is staged
    (the portal checks its CSRF token there: the form sends the token field first).
    """
    settings = request.app.state.settings
    max_parts: int = settings.max_upload_parts
    idle_timeout: float = settings.upload_idle_timeout_s
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMediaType(
            "send the upload as multipart/form-data with 'file' parts and a 'metadata' JSON part"
        )
    declared = request.headers.get("content-length")
    if (
        declared
        and declared.isascii()
        and declared.isdigit()
        and int(declared) > max_file_bytes * 50 + MAX_FIELD_BYTES
    ):
        raise PayloadTooLarge("the upload is larger than the limit")

    result = ParsedUpload()
    state: dict[str, Any] = {
        "part": None,
        "hfield": bytearray(),
        "hvalue": bytearray(),
        "parts": 0,
        "bytes": 0,
    }
    remaining = quota.remaining if quota is not None else None

    def on_part_begin() -> None:
        state["parts"] += 1
        if state["parts"] > max_parts:
            raise PayloadTooLarge(f"the upload has more than {max_parts} parts")
        state["part"] = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["hfield"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["hvalue"] += data[start:end]

    def on_header_end() -> None:
        part: _Part = state["part"]
        part.headers[bytes(state["hfield"]).decode("latin-1").lower()] = bytes(state["hvalue"])
        state["hfield"], state["hvalue"] = bytearray(), bytearray()

    def on_headers_finished() -> None:
        part: _Part = state["part"]
        _, disp = parse_options_header(part.headers.get("content-disposition", b""))
        part.name = _decode(disp.get(b"name", b""))
        if b"filename" in disp:
            part.filename = _decode(disp[b"filename"])
        ctype = part.headers.get("content-type")
        part.content_type = _decode(ctype).strip() if ctype else None
        if part.name in FILE_FIELDS:
            if part.filename is None:
                raise ValidationFailed(f"the '{part.name}' part must be a file (it has no filename)")
            if before_files is not None and not result.files:
                before_files(result.fields)
            part.upload = UploadedFile(part.filename, part.content_type, stage())
            result.files.append(part.upload)
        elif part.name not in text_fields:
            raise ValidationFailed(
                f"unexpected form field {part.name!r}: send 'file' parts and one 'metadata' part"
            )

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part: _Part = state["part"]
        if part.upload is not None:
            state["bytes"] += end - start
            if remaining is not None and quota is not None and state["bytes"] > remaining:
                raise quota.exceeded(state["bytes"])
            part.upload.staged.write(data[start:end])  # raises PayloadTooLarge past the limit
        else:
            part.buffer += data[start:end]
            if len(part.buffer) > MAX_FIELD_BYTES:
                raise PayloadTooLarge(f"the '{part.name}' field is larger than 1 MB")

    def on_part_end() -> None:
        part: _Part = state["part"]
        if part.upload is None:
            result.fields[part.name] = bytes(part.buffer)

    def on_end() -> None:
        state["ended"] = True

    boundary = params[b"boundary"]
    if not 1 <= len(boundary) <= 70:  # RFC 2046: 1 to 70 characters
        raise BadRequest("the multipart boundary must have 1 to 70 characters")
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        },
    )
    try:
        async for chunk in body_chunks(request, idle_timeout):
            if chunk:
                # Disk writes happen in the parser callbacks: keep them off the event loop.
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
        if not state.get("ended"):
            # Without the closing boundary the last file may be cut short: never store it as whole.
            raise BadRequest("the multipart body ended before its closing boundary; nothing was kept")
    except ClientDisconnect:
        result.abort()
        raise BadRequest("the upload was interrupted before it finished") from None
    except TimeoutError:
        result.abort()
        raise BadRequest(
            f"the upload stalled: no data arrived for {idle_timeout:g} seconds; nothing was kept"
        ) from None
    except FormParserError as exc:
        result.abort()
        raise BadRequest(f"the multipart body is malformed ({exc})") from None
    except BaseException:
        result.abort()
        raise
    return result


async def body_chunks(request: Request, idle_timeout: float) -> AsyncIterator[bytes]:
    """The request body's chunks as they arrive. ``TimeoutError`` when none arrives for
    ``idle_timeout`` seconds (a stalled client), ``ClientDisconnect`` when the client goes away."""
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), idle_timeout)
        except StopAsyncIteration:
            return
        yield chunk


def create_from_upload(
    runtime: Runtime,
    user: User,
    parsed: ParsedUpload,
    ip: str | None,
    *,
    uploads: Sequence[str] = (),
    metadata: dict[str, Any] | None = None,
) -> MaterialRead:
    """Commit the staged files of a parsed upload and create the material (API and portal).

    ``uploads`` names completed resumable uploads to add as files (after the parsed ones);
    ``metadata`` replaces the parsed ``metadata`` part (JSON bodies).
    """
    try:
        if metadata is None:
            metadata = parsed.metadata()
    except BaseException:
        parsed.abort()
        raise
    files = parsed.commit_files()
    return create_material(
        runtime.db, runtime.blobs, user, metadata=metadata, files=files, uploads=uploads, ip=ip
    )
