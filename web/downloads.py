"""Serving a stored blob over HTTP, made for browsers and CDNs (issue 11).

``send_blob`` owns the storage side of every download route: where the bytes come from (the
local store, streamed from S3, or a redirect to a presigned / public URL), ``HEAD``, validators
(``ETag`` = the blob's sha256, ``Last-Modified``), conditional requests (``If-None-Match`` /
``If-Modified-Since`` → 304) and byte ranges. The caller decides the policy headers
(Content-Disposition type, Cache-Control, CSP...) and passes them in ``headers``.

Ranges follow RFC 9110 §14: one satisfiable range → 206; a syntactically valid range that starts
past the end → 416; anything the server cannot or need not honour (a malformed header, another
unit, several ranges, an ``If-Range`` that no longer matches) is ignored and the whole
representation is sent with 200.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from repository.errors import NotFound
from repository.runtime import Runtime
from repository.storage import BlobStat

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(filename: str, *, download: bool) -> str:
    """RFC 6266, with ``filename*`` (UTF-8) for Vietnamese names."""
    kind = "attachment" if download else "inline"
    quoted = quote(filename)
    if quoted == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename*=utf-8''{quoted}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """``(start, end)`` inclusive for one satisfiable range; None to ignore the header;
    ``"unsatisfiable"`` for a valid range that starts past the end."""
    if not header:
        return None
    m = _RANGE.match(header.strip().replace(" ", ""))
    if m is None:
        return None  # malformed, another unit or several ranges: ignored (RFC 9110 §14.2)
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        n = int(last)
        if n == 0:
            return "unsatisfiable"
        return (max(0, size - n), size - 1) if size else "unsatisfiable"
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid range-spec: the header is ignored
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _etag(key: str) -> str:
    return f'"{key.rsplit("/", 1)[-1]}"'


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified.replace(microsecond=0) <= since
    return False


def _if_range_holds(request: Request, etag: str, modified: datetime) -> bool:
    value = request.headers.get("if-range")
    if value is None:
        return True
    if value.startswith('"'):
        return value == etag
    try:
        return parsedate_to_datetime(value) >= modified.replace(microsecond=0)
    except (TypeError, ValueError):
        return False


def send_blob(
    request: Request,
    runtime: Runtime,
    key: str,
    *,
    media_type: str,
    filename: str,
    download: bool,
    headers: Mapping[str, str],
    public: bool = False,
    redirect: bool = True,
) -> Response:
    """The response for one stored blob (GET or HEAD). ``public`` marks content anyone may read
    (an approved material): with S3 it may be redirected to the permanent public URL.
    ``redirect=False`` always serves the bytes here (an HLS playlist: its relative links must
    resolve against this URL, not the bucket's)."""
    blobs = runtime.blobs
    try:
        st: BlobStat = blobs.stat(key)
    except FileNotFoundError:
        raise NotFound(
            "the stored file is missing; an administrator has been alerted by the fixity check"
        ) from None
    etag = _etag(key)
    validators = {
        "ETag": etag,
        "Last-Modified": format_datetime(st.modified.astimezone(UTC), usegmt=True),
        "Accept-Ranges": "bytes",
    }
    if _not_modified(request, etag, st.modified):
        kept = {"cache-control", "vary", "content-location"}
        keep = {k: v for k, v in headers.items() if k.lower() in kept}
        return Response(status_code=304, headers=validators | keep)
    if request.method == "GET" and redirect:
        moved = _redirect(
            runtime, key, media_type=media_type, filename=filename, download=download, public=public
        )
        if moved is not None:
            return moved
    out = dict(headers) | validators
    out["Content-Disposition"] = content_disposition(filename, download=download)
    wanted = None
    if _if_range_holds(request, etag, st.modified):
        wanted = parse_range(request.headers.get("range"), st.size)
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers=out | {"Content-Range": f"bytes */{st.size}"})
    if isinstance(wanted, tuple):
        start, end = wanted
        status = 206
        out["Content-Range"] = f"bytes {start}-{end}/{st.size}"
    else:
        start, end, status = 0, st.size - 1, 200
    out["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD":
        return Response(status_code=status, headers=out, media_type=media_type)
    body: Iterator[bytes] = blobs.read_range(key, start, end) if st.size else iter(())
    return StreamingResponse(body, status_code=status, headers=out, media_type=media_type)


def _redirect(
    runtime: Runtime, key: str, *, media_type: str, filename: str, download: bool, public: bool
) -> Response | None:
    """With blobs on S3 (and not ``S3_DOWNLOADS=proxy``), the client fetches the bytes from the
    bucket: public content from ``S3_PUBLIC_BASE_URL`` when set, otherwise a presigned URL."""
    settings = runtime.settings
    blobs = runtime.blobs
    if blobs.local_path(key) is not None:
        return None
    if public:
        url = blobs.public_url(key)
        if url is not None:
            return RedirectResponse(url, status_code=302, headers={"Cache-Control": "public, max-age=86400"})
    if settings.s3_downloads != "presigned":
        return None
    ttl = settings.s3_presign_ttl_s
    url = blobs.presigned_url(
        key,
        expires_s=ttl,
        filename=filename if download else None,
        media_type=media_type,
    )
    if url is None:
        return None
    # A cache may keep the redirect for part of the URL's lifetime; private ones never.
    cache = f"public, max-age={ttl // 2}" if public else "private, no-store"
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": cache})
