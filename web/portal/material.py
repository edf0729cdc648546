"""The material page: the right viewer for each file, downloads, related materials, signature.

JSON twin: ``/api/v1/materials/{id}`` (plus ``/related`` and ``/signature``).

Viewers are chosen from the derivatives the ingest pipeline made, never by trusting the upload's
declared type: ``rendition`` 360p/720p + ``poster`` + ``hls`` → video (its listen-only ``speech``
rendition, "chỉ nghe", under the player); an audio ``rendition`` or an
``audio/*`` original → audio; ``preview`` pages → page-by-page document viewer; ``image/*`` →
image; a ``package`` (SCORM/HTML5) or an HTML lesson → played from the content origin in an
``<iframe sandbox>`` without ``allow-same-origin`` (``web/content.py``: its scripts never run on this
origin); otherwise the large thumbnail and the extracted text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from repository.errors import RepositoryError, ValidationFailed
from repository.material import lessons, reading
from repository.material.failures import public_reason
from repository.material.schemas import DerivativeRead, FileRead, MaterialRead
from repository.material.service import PLAYABLE_DOCUMENTS
from repository.material.service import material as material_service
from repository.models import UsageKind
from repository.oai.exports import lrmi_for, organisation_of
from repository.progress.service import keeps_progress, progress
from repository.runtime import Runtime
from repository.stats.service import stats
from search.service import search as search_service
from web.content import content_url
from web.deps import ReadSession, RuntimeDep, write_uow
from web.portal.i18n import request_lang
from web.portal.render import render
from web.portal.session import PortalUser, check_csrf
from web.portal.signin import SignedInPortalUser
from web.usage import count

router = APIRouter(include_in_schema=False)

TEXT_PREVIEW_BYTES = 12_000


@dataclass
class Viewer:
    """How one file is shown; ``kind`` names the template block."""

    kind: str
    file: FileRead
    poster: str | None = None
    sources: list[DerivativeRead] = field(default_factory=list)  # video/audio renditions, low first
    hls: str | None = None
    pages: list[DerivativeRead] = field(default_factory=list)
    image: str | None = None
    package: str | None = None
    pdf: DerivativeRead | None = None
    text_url: str | None = None
    listen: DerivativeRead | None = None  # a video's listen-only (speech) rendition
    failure: str | None = None  # why it failed, for everybody (fixed text, page language)
    failure_detail: str | None = None  # the uploader's reason: owner, curators, admins only
    captions: list[DerivativeRead] = field(default_factory=list)  # WebVTT per language


def _first(file: FileRead, kind: str, label: str | None = None) -> DerivativeRead | None:
    return next((d for d in file.derivatives if d.kind == kind and (label is None or d.label == label)), None)


def _height(d: DerivativeRead) -> int:
    digits = "".join(ch for ch in d.label if ch.isdigit())
    return int(digits) if digits else (d.height or 0)


Player = Callable[[FileRead, str], str | None]


def viewer_for(file: FileRead, play: Player | None = None) -> Viewer:
    """Pick the viewer for one file from its media type and derivatives (pure).

    ``play(file, path)`` gives the content-origin URL of a package page or (empty ``path``) an
    HTML lesson; without it (or when it returns None) such files are offered for download only.
    """
    v = Viewer(kind="other", file=file, pdf=_first(file, "pdf"))
    renditions = [d for d in file.derivatives if d.kind == "rendition"]
    poster = _first(file, "poster") or _first(file, "thumbnail", "large")
    text = _first(file, "text", "")
    v.text_url = text.url if text else None
    if file.package is not None:
        v.kind, v.package = "package", play(file, file.package["launch"]) if play else None
        return v
    if file.media_type in PLAYABLE_DOCUMENTS and file.status == "ready":
        v.kind, v.package = "lesson", play(file, "") if play else None
        return v
    videos = sorted((d for d in renditions if d.media_type.startswith("video/")), key=_height)
    audios = [d for d in renditions if d.media_type.startswith("audio/")]
    # An MP4/WebM holding only sound is detected as video/*: its AAC rendition says it is audio.
    if videos or (file.media_type.startswith("video/") and not audios):
        v.kind, v.sources = "video", videos
        v.listen = next((d for d in renditions if d.media_type.startswith("audio/")), None)
        v.captions = sorted(
            (d for d in file.derivatives if d.kind == "caption"), key=lambda d: d.label != "vi"
        )
        v.poster = poster.url if poster else None
        hls = _first(file, "hls")
        v.hls = hls.url if hls else None
        return v
    if audios or file.media_type.startswith("audio/"):
        v.kind, v.sources = "audio", audios
        return v
    pages = sorted((d for d in file.derivatives if d.kind == "preview"), key=lambda d: d.page or 0)
    if pages:
        v.kind, v.pages = "document", pages
        return v
    if file.media_type.startswith("image/"):
        large = _first(file, "thumbnail", "large")
        v.kind, v.image = "image", (large.url if large else file.url + "?download=false")
        return v
    large = _first(file, "thumbnail", "large")
    v.image = large.url if large else None
    return v


@router.get("/m/{material_id}", response_class=HTMLResponse)
def material_page(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: PortalUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    quality: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    found = material_service.get(session, user, material_id)
    detail = material_service.shows_failure_details(session, user, found)
    read = MaterialRead.build(found, detail=detail)
    viewers = [viewer_for(f, player(runtime, session, material_id)) for f in read.files]
    lang = request_lang(request)
    for v in viewers:
        if v.file.status == "failed":
            # Everybody reads the fixed explanation; the uploader's reason only those who may.
            v.failure = public_reason(v.file.failure, lang)
            v.failure_detail = v.file.error if detail else None
    # A Markdown worksheet is shown rendered (our rendering, never its raw "#" marks).
    worksheets = {f.id: html for f in found.files if (html := reading.worksheet_html(runtime.blobs, f))}
    # The text of files without a visual preview (DOCX, HTML, TXT...) is readable in the page.
    texts: dict[str, str] = {}
    for f in found.files:
        if f.id in worksheets:
            continue
        if any(v.file.id == f.id and v.kind in ("other", "lesson") for v in viewers):
            d = next((d for d in f.derivatives if d.kind == "text" and not d.label), None)
            if d is not None:
                with runtime.blobs.open(d.storage_key) as stream:
                    raw = stream.read(TEXT_PREVIEW_BYTES + 1)
                texts[f.id] = raw[:TEXT_PREVIEW_BYTES].decode("utf-8", errors="ignore")
                if len(raw) > TEXT_PREVIEW_BYTES:
                    texts[f.id] += "…"
    if keeps_progress(user) and read.state == "approved":
        # A student account's own progress ("opened"); anonymous study stays in the browser.
        with write_uow(runtime) as uow:
            progress.record(uow.session, uow.session.merge(user), material_id, "opened")
    previous, following = _lesson_links(
        runtime, session, user, read.metadata if read.state == "approved" else {}
    )
    try:
        related = search_service.related_page(runtime.settings, material_id, size=6, actor=user).hits
    except RepositoryError:
        related = []  # not public yet (the owner or a curator looking at a draft)
    response = render(
        request,
        "portal/material.html",
        {
            "m": read,
            "meta": read.metadata,
            "viewers": viewers,
            "page": page,
            "texts": texts,
            "worksheets": worksheets,
            "quality": quality,
            "related": related,
            "previous": previous,
            "keeps_progress": keeps_progress(user) and read.state == "approved",
            "following": following,
            "signature": _signature(runtime, session, user, material_id),
            "jsonld": json_ld(found, runtime, session),
            "organisation": organisation_of(found, session),
            "can_see_stats": stats.may_read_material(user, found),
        },
        user=user,
        twin=f"/api/v1/materials/{material_id}",
    )
    if read.state == "approved":
        # The service worker keeps only pages marked so: public content, never a draft under review.
        response.headers["X-Hoclieu-Offline"] = "keep"
        count(request, UsageKind.view, user, material_id=material_id)
    return response


@router.get("/m/{material_id}/text", response_class=HTMLResponse)
def reading_page(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: PortalUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """ "Đọc dạng văn bản": the extracted text of one page, reflowed for a phone."""
    view = reading.reading_view(session, runtime.blobs, user, material_id)
    current = min(page, max(1, len(view.pages)))
    return render(
        request,
        "portal/reading.html",
        {
            "view": view,
            "page": current,
            "pages": len(view.pages),
            "paragraphs": view.pages[current - 1] if view.pages else [],
        },
        user=user,
        twin=f"/api/v1/materials/{material_id}",
    )


@router.post("/progress/{material_id}", status_code=204)
async def record_progress(
    material_id: str, request: Request, runtime: RuntimeDep, user: SignedInPortalUser
) -> Response:
    """A student's progress event from the material page's script: ``watched`` (the video
    reached its end) or ``downloaded`` (a file was saved); CSRF token in the header or form."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")) or None)
    raw = str(form.get("position", "")).strip()
    try:
        position = float(raw) if raw else None
    except ValueError:
        raise ValidationFailed("position is a number of seconds") from None
    with write_uow(runtime) as uow:
        progress.record(
            uow.session, uow.session.merge(user), material_id, str(form.get("event", "")), position=position
        )
    return Response(status_code=204)


def _lesson_links(runtime: Runtime, session: Any, user: Any, meta: dict[str, Any]) -> tuple[Any, Any]:
    """The previous and next lesson of the same book (``rel="prev"``/``rel="next"`` links)."""
    book = lessons.book_of(meta)
    if book is None:
        return None, None
    order = search_service.book_lessons(runtime.settings, book, actor=user)
    return lessons.neighbours(session, user, meta, order)


def player(runtime: Runtime, session: Any, material_id: str) -> Player:
    """Content-origin URLs for the viewers of one material: plain for public files, signed and
    short-lived for the rest (the page was only rendered for someone allowed to see them)."""

    def play(file: FileRead, path: str) -> str | None:
        public = material_service.is_public_file(session, material_id, file.id)
        return content_url(
            runtime.settings, material_id, file.id, path, public=public, filename=file.filename
        )

    return play


def json_ld(material: Any, runtime: Runtime, session: Any) -> str:
    """The page's schema.org/LRMI record for a ``<script type="application/ld+json">`` data block
    (not executed, so a strict CSP allows it); ``<`` is escaped so no text can close the element."""
    doc = lrmi_for(material, base_url=runtime.settings.base_url, session=session)
    text = json.dumps(doc, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _signature(runtime: Runtime, session: Any, user: Any, material_id: str) -> dict[str, Any] | None:
    """The signed approval and whether it verifies (signature, manifest, recorded hashes).

    The stored bytes are re-hashed by ``hoclieu fixity``, not on every page view.
    """
    try:
        from repository.curation.signing import signatures
        from repository.signing import signer_for
    except ImportError:  # curation not installed in this build
        return None
    try:
        sig = signatures.signature(session, user, material_id)
        report = signatures.verify(session, material_id, signer=signer_for(runtime.settings), blobs=None)
    except RepositoryError:
        return None
    return {
        "version": sig.version,
        "key_id": sig.key_id,
        "manifest": sig.manifest,
        "ok": report.ok,
        "problems": report.problems,
    }
