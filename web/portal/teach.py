"""Teacher pages: my materials, upload, details (metadata form), live status, submit, comments.

| page                              | JSON twin                                              |
|-----------------------------------|--------------------------------------------------------|
| ``/teach``                        | ``/api/v1/materials?mine=true``                        |
| ``POST /teach/upload``            | ``POST /api/v1/materials`` (one material per file here) |
| ``/teach/m/{id}``                 | ``/api/v1/materials/{id}`` + ``/versions`` + ``/comments`` |
| ``/teach/m/{id}/status``          | the ``files`` of ``/api/v1/materials/{id}`` (polled by the page) |
| ``POST /teach/m/{id}`` (details)  | ``PATCH /api/v1/materials/{id}``                       |
| ``POST /teach/m/{id}/submit``     | ``POST /api/v1/materials/{id}/submit``                 |
| ``POST /teach/m/{id}/comment``    | ``POST /api/v1/materials/{id}/comments``               |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from repository.curation.attempts import attempt
from repository.curation.decisions import reviews
from repository.curation.schemas import CommentRead
from repository.curation.versions import version_history
from repository.curation.workflow import workflow
from repository.errors import Conflict, MetadataInvalid, RepositoryError, ValidationFailed
from repository.material.schemas import MaterialRead
from repository.material.service import material as material_service
from repository.models import User
from repository.runtime import Runtime
from repository.uow import Session
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.errors import explain
from web.portal.render import render, terms
from web.portal.session import CSRF_FIELD, CSRF_HEADER, TeacherPortalUser, check_csrf
from web.uploads import TEXT_FIELDS as UPLOAD_TEXT_FIELDS
from web.uploads import ParsedUpload, read_upload, user_quota
from web.uploads import create_from_upload as create_material

router = APIRouter(include_in_schema=False)

# Form fields → metadata keys. Multi-valued ones are lists in the document.
TEXT_FIELDS = ("title", "description", "chapter", "lesson")
CODE_FIELDS = {"type": "resource-type", "series": "series", "language": "language", "license": "license"}
LIST_FIELDS = {"subjects": "subject"}
NUMBER_FIELDS = ("volume",)  # the book volume (tập 1, tập 2): one book in the browse tree, not two
MAX_VOLUME = 10


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/teach", response_class=HTMLResponse)
def my_materials(
    request: Request,
    session: ReadSession,
    user: TeacherPortalUser,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    items, total = material_service.list(session, user, page=page, size=50, mine=True)
    return render(
        request,
        "portal/teach_list.html",
        {
            "items": [
                MaterialRead.build(m, detail=material_service.shows_failure_details(session, user, m))
                for m in items
            ],
            "total": total,
        },
        user=user,
        twin="/api/v1/materials?mine=true",
    )


@router.get("/teach/upload", response_class=HTMLResponse)
def upload_form(request: Request, runtime: RuntimeDep, user: TeacherPortalUser) -> HTMLResponse:
    return render(
        request,
        "portal/teach_upload.html",
        {"max_bytes": runtime.settings.max_upload_bytes},
        user=user,
        twin="/api/v1/materials",
    )


@router.post("/teach/upload")
async def upload(request: Request, runtime: RuntimeDep, user: TeacherPortalUser) -> Response:
    """Each uploaded file becomes its own draft material (a teacher drops a folder of lessons).

    The CSRF token travels in the ``X-CSRF-Token`` header (scripts) or as the form's first field
    (the plain form, JavaScript off): the multipart body is streamed to the blob store, so the
    token is checked when the first file part starts, before any of it is stored. Never in the
    URL, where it would end up in logs, history and ``Referer`` headers.
    """
    header = request.headers.get(CSRF_HEADER)

    def guard(fields: dict[str, bytes]) -> None:
        field = fields.get(CSRF_FIELD, b"").decode("utf-8", errors="replace")
        check_csrf(request, header or field or None)

    parsed = await read_upload(
        request,
        lambda: runtime.blobs.stage(max_size=runtime.settings.max_upload_bytes),
        max_file_bytes=runtime.settings.max_upload_bytes,
        quota=await run_in_threadpool(user_quota, runtime, user),
        text_fields=(*UPLOAD_TEXT_FIELDS, CSRF_FIELD),
        before_files=guard,
    )
    if not parsed.files:
        guard(parsed.fields)
        parsed.abort()
        raise ValidationFailed("choose at least one file to upload")
    created: list[MaterialRead] = []
    for position, one in enumerate(parsed.files):
        single = ParsedUpload(fields=parsed.fields, files=[one])
        try:
            created.append(
                await run_in_threadpool(create_material, runtime, user, single, client_ip(request))
            )
        except BaseException:
            ParsedUpload(files=parsed.files[position + 1 :]).abort()
            raise
    if _wants_json(request):
        return JSONResponse([m.model_dump(mode="json") for m in created], status_code=201)
    target = f"/teach/m/{created[0].id}" if len(created) == 1 else "/teach"
    return RedirectResponse(target, status_code=303)


def _working(session: Any, user: User, material_id: str) -> tuple[MaterialRead, Any]:
    material, versions = version_history.history(session, user, material_id)
    detail = material_service.shows_failure_details(session, user, material)
    return MaterialRead.build(material, detail=detail), versions[-1][0]


def _suggested(read: MaterialRead) -> dict[str, Any]:
    """Best auto-tagging suggestion per field, over all files (highest confidence wins)."""
    best: dict[str, dict[str, Any]] = {}
    for f in read.files:
        for s in f.suggestions:
            name = str(s.get("field", ""))
            if name and (name not in best or s.get("confidence", 0) > best[name].get("confidence", 0)):
                best[name] = s
    return {k: v.get("value") for k, v in best.items()}


def _form_values(meta: dict[str, Any], suggested: dict[str, Any]) -> dict[str, Any]:
    """What the form shows: the stored value, else the suggestion (marked as such)."""
    values: dict[str, Any] = {k: meta.get(k, "") for k in (*TEXT_FIELDS, *CODE_FIELDS)}
    values["grades"] = [str(g) for g in meta.get("grades", [])]
    values["subjects"] = list(meta.get("subjects", []))
    values["keywords"] = ", ".join(meta.get("keywords", []))
    values["volume"] = str(meta.get("volume", "") or "")
    values["outcomes"] = "\n".join(meta.get("outcomes", []))
    from_suggestion: set[str] = set()
    for key in ("grades", "subjects"):
        if not values[key] and key in suggested:
            values[key] = [str(suggested[key])]
            from_suggestion.add(key)
    for key in ("type", "series", "language", "chapter", "lesson", "volume"):
        if not values[key] and key in suggested:
            values[key] = str(suggested[key])
            from_suggestion.add(key)
    values["from_suggestion"] = from_suggestion
    return values


@router.get("/teach/m/{material_id}", response_class=HTMLResponse)
def material_details(
    material_id: str,
    request: Request,
    session: ReadSession,
    user: TeacherPortalUser,
    saved: str | None = None,
) -> HTMLResponse:
    read, version = _working(session, user, material_id)
    return _details_page(request, session, user, read, version, saved=saved)


def _details_page(
    request: Request,
    session: Any,
    user: User,
    read: MaterialRead,
    version: Any,
    *,
    saved: str | None = None,
    error: RepositoryError | None = None,
    posted: dict[str, Any] | None = None,
) -> HTMLResponse:
    from web.portal.i18n import request_lang

    lang = request_lang(request)
    suggested = _suggested(read)
    values = posted or _form_values(dict(version.meta), suggested)
    try:
        comments = [CommentRead.build(c) for c in reviews.comments(session, user, read.id)]
    except RepositoryError:
        comments = []
    pickers = {name: terms(vocab, lang) for name, vocab in CODE_FIELDS.items()}
    pickers["subjects"] = terms("subject", lang)
    return render(
        request,
        "portal/teach_material.html",
        {
            "m": read,
            "version": version,
            "state": version.state,
            "values": values,
            "suggested": suggested,
            "pickers": pickers,
            "comments": comments,
            "saved": saved,
            "error": error,
            "reasons": explain(error, lang) if error else [],
            "vocabs": CODE_FIELDS,
            "editable": version.state != "submitted",
            "submittable": version.state in ("draft", "changes_requested", "withdrawn"),
        },
        user=user,
        twin=f"/api/v1/materials/{read.id}",
        status_code=error.status_code if error else 200,
    )


@router.get("/teach/m/{material_id}/status")
def material_status(material_id: str, session: ReadSession, user: TeacherPortalUser) -> JSONResponse:
    """Ingest status of each file (the page polls this while files are processing)."""
    found = material_service.get(session, user, material_id)
    read = MaterialRead.build(found, detail=material_service.shows_failure_details(session, user, found))
    files = [
        {
            "id": f.id,
            "filename": f.filename,
            "status": f.status,
            "progress": f.progress,
            "error": f.error,
            "duplicate_of": f.duplicate_of,
        }
        for f in read.files
    ]
    return JSONResponse(
        {"id": read.id, "state": read.state, "files": files}, headers={"Cache-Control": "no-store"}
    )


def _changes(form: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        value = str(form.get(key, "")).strip()
        changes[key] = value or None
    for key in CODE_FIELDS:
        changes[key] = str(form.get(key, "")).strip() or None
    grades = [int(g) for g in form.getlist("grades") if str(g).isdigit()]
    changes["grades"] = sorted(set(grades)) or None
    subjects = [str(s) for s in form.getlist("subjects") if str(s)]
    changes["subjects"] = subjects or None
    keywords = [k.strip() for k in str(form.get("keywords", "")).split(",") if k.strip()]
    changes["keywords"] = keywords or None
    volume = str(form.get("volume", "")).strip()
    if volume and not (volume.isascii() and volume.isdigit() and 1 <= int(volume) <= MAX_VOLUME):
        raise ValidationFailed(
            f"the book volume is a whole number from 1 to {MAX_VOLUME}",
            details=[{"field": "volume", "message": "invalid"}],
        )
    changes["volume"] = int(volume) if volume else None
    outcomes = [line.strip() for line in str(form.get("outcomes", "")).splitlines() if line.strip()]
    changes["outcomes"] = outcomes or None
    if changes["title"] is None:
        raise ValidationFailed(
            "a material needs a title", details=[{"field": "title", "message": "required"}]
        )
    return changes


def _posted(form: Any) -> dict[str, Any]:
    """What the teacher typed, to show the form again as it was sent."""
    posted: dict[str, Any] = {
        k: form.get(k, "") for k in (*TEXT_FIELDS, *CODE_FIELDS, *NUMBER_FIELDS, "keywords")
    }
    posted["outcomes"] = str(form.get("outcomes", ""))
    posted |= {
        "grades": form.getlist("grades"),
        "subjects": form.getlist("subjects"),
        "from_suggestion": set(),
    }
    return posted


async def _save_then(
    request: Request, runtime: Runtime, user: User, material_id: str, *, submit: bool
) -> Response:
    """Save the details form and, for "Gửi kiểm duyệt", then submit the saved version.

    The submit button belongs to the details form, so what the teacher typed is always sent with
    it: either everything is saved and submitted, or nothing changes and the form comes back with
    what was typed and the reason (nothing typed is ever dropped).
    """
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    has_details = "title" in form  # a bare submit (API-like clients, the old form) saves nothing
    posted = _posted(form) if has_details else None
    stage = "save"
    try:
        if has_details:
            changes = _changes(form)
            with write_uow(runtime) as uow:
                workflow.edit(
                    uow.session, uow.session.merge(user), material_id, changes=changes, ip=client_ip(request)
                )
        if submit:
            # Saved first, in its own transaction: a refused submission (files still processing)
            # keeps what was typed, and the page says both.
            stage = "submit"
            ip = client_ip(request)
            attempt(
                runtime.db,
                user,
                action="submit",
                material_id=material_id,
                ip=ip,
                work=lambda s, u: workflow.submit(s, u, material_id, ip=ip),
            )
    except (MetadataInvalid, ValidationFailed, Conflict) as exc:
        if not has_details:
            raise
        with runtime.db.read() as session:
            read, version = _working(session, user, material_id)
            saved = "details" if stage == "submit" else None
            return _details_page(
                request,
                session,
                user,
                read,
                version,
                error=exc,
                saved=saved,
                posted=None if stage == "submit" else posted,
            )
    saved = "submitted" if submit else "details"
    return RedirectResponse(f"/teach/m/{material_id}?saved={saved}", status_code=303)


@router.post("/teach/m/{material_id}", response_class=HTMLResponse)
async def save_details(
    material_id: str, request: Request, runtime: RuntimeDep, user: TeacherPortalUser
) -> Response:
    return await _save_then(request, runtime, user, material_id, submit=False)


async def _workflow(
    request: Request,
    runtime: Runtime,
    user: User,
    action: str,
    material_id: str,
    work: Callable[[Session, User], object],
) -> None:
    """A workflow form: check its CSRF token, run the action; a refusal is audited (as in the API)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    attempt(runtime.db, user, action=action, material_id=material_id, ip=client_ip(request), work=work)


@router.post("/teach/m/{material_id}/submit")
async def submit(
    material_id: str, request: Request, runtime: RuntimeDep, user: TeacherPortalUser
) -> Response:
    return await _save_then(request, runtime, user, material_id, submit=True)


@router.post("/teach/m/{material_id}/withdraw")
async def withdraw(
    material_id: str, request: Request, runtime: RuntimeDep, user: TeacherPortalUser
) -> Response:
    ip = client_ip(request)
    await _workflow(
        request,
        runtime,
        user,
        "withdraw",
        material_id,
        lambda s, u: workflow.withdraw(s, u, material_id, ip=ip),
    )
    return RedirectResponse(f"/teach/m/{material_id}", status_code=303)


@router.post("/teach/m/{material_id}/comment")
async def comment(
    material_id: str, request: Request, runtime: RuntimeDep, user: TeacherPortalUser
) -> Response:
    form = await request.form()
    back = str(form.get("back", "")) or f"/teach/m/{material_id}"
    body = str(form.get("body", ""))
    await _workflow(
        request,
        runtime,
        user,
        "comment",
        material_id,
        lambda s, u: reviews.comment(s, u, material_id, body=body),
    )
    return RedirectResponse(
        back if back.startswith("/") and not back.startswith("//") else "/", status_code=303
    )
