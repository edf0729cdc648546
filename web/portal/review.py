"""Curator pages: the review queue (with bulk decisions) and one submission side by side.

| page                           | JSON twin                                        |
|--------------------------------|--------------------------------------------------|
| ``/review``                    | ``/api/v1/review/queue``                         |
| ``POST /review/bulk``          | ``POST /api/v1/review/bulk``                     |
| ``/review/{id}``               | ``/api/v1/materials/{id}`` + ``/versions`` + ``/comments`` |
| ``POST /review/{id}``          | ``POST /api/v1/materials/{id}/review``           |
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repository.curation.attempts import attempt
from repository.curation.decisions import reviews
from repository.curation.schemas import RUBRIC, CommentRead, Decision
from repository.curation.versions import version_history
from repository.errors import Conflict, RepositoryError, ValidationFailed
from repository.material.schemas import MaterialRead
from repository.material.service import material as material_service
from repository.signing import signer_for
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.errors import explain
from web.portal.i18n import request_lang
from web.portal.material import player, viewer_for
from web.portal.render import render
from web.portal.session import CuratorPortalUser, check_csrf

router = APIRouter(include_in_schema=False)


def _decision(form: Any) -> tuple[Decision, str | None, dict[str, bool | None]]:
    raw = str(form.get("decision", ""))
    try:
        decision = Decision(raw)
    except ValueError:
        raise ValidationFailed(
            f"choose a decision: {', '.join(d.value for d in Decision)}",
            details=[{"field": "decision", "message": "required"}],
        ) from None
    # A checkbox is either ticked (true) or absent; absent counts as "not confirmed" (false).
    rubric: dict[str, bool | None] = {item.key: form.get(f"rubric.{item.key}") == "on" for item in RUBRIC}
    return decision, (str(form.get("comment", "")).strip() or None), rubric


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request,
    session: ReadSession,
    user: CuratorPortalUser,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    done: int | None = None,
    failed: int | None = None,
) -> HTMLResponse:
    items, total = reviews.queue(session, user, page=page, size=50)
    return render(
        request,
        "portal/review_queue.html",
        {"items": items, "total": total, "rubric": RUBRIC, "done": done, "failed": failed},
        user=user,
        twin="/api/v1/review/queue",
    )


@router.post("/review/bulk")
async def bulk(request: Request, runtime: RuntimeDep, user: CuratorPortalUser) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    ids = [str(i) for i in form.getlist("ids")]
    if not ids:
        raise ValidationFailed("select at least one submission")
    decision, comment, rubric = _decision(form)
    with write_uow(runtime) as uow:
        results = reviews.bulk_decide(
            uow.session,
            uow.session.merge(user),
            ids,
            decision=decision,
            comment=comment,
            rubric=rubric,
            signer=signer_for(runtime.settings),
            ip=client_ip(request),
        )
    failed = sum(1 for _, r in results if isinstance(r, RepositoryError))
    return RedirectResponse(f"/review?done={len(results) - failed}&failed={failed}", status_code=303)


@router.get("/review/{material_id}", response_class=HTMLResponse)
def review_page(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: CuratorPortalUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    return _review_page(request, runtime, session, user, material_id, page=page)


def _review_page(
    request: Request,
    runtime: Any,
    session: Any,
    user: Any,
    material_id: str,
    *,
    page: int = 1,
    error: RepositoryError | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    material, versions = version_history.history(session, user, material_id)
    read = MaterialRead.build(
        material, detail=material_service.shows_failure_details(session, user, material)
    )
    version = versions[-1][0]
    comments = [CommentRead.build(c) for c in reviews.comments(session, user, material_id)]
    suggestions = [(f.filename, s) for f in read.files for s in f.suggestions]
    return render(
        request,
        "portal/review_item.html",
        {
            "m": read,
            "version": version,
            "meta": dict(version.meta),
            "viewers": [viewer_for(f, player(runtime, session, material_id)) for f in read.files],
            "comments": comments,
            "suggestions": suggestions,
            "duplicates": [f for f in read.files if f.duplicate_of],
            "rubric": RUBRIC,
            "error": error,
            "reasons": explain(error, request_lang(request)) if error else [],
            # What the curator sent, shown again when the decision is refused (nothing is lost).
            "sent": form or {},
            "page": page,
            "quality": None,
            "texts": {},
        },
        user=user,
        twin=f"/api/v1/materials/{material_id}/versions",
        status_code=error.status_code if error else 200,
    )


@router.post("/review/{material_id}")
async def decide(
    material_id: str, request: Request, runtime: RuntimeDep, user: CuratorPortalUser
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    sent = {
        "decision": str(form.get("decision", "")),
        "comment": str(form.get("comment", "")),
        "rubric": {item.key for item in RUBRIC if form.get(f"rubric.{item.key}") == "on"},
    }
    try:
        decision, comment, rubric = _decision(form)
        signer, ip = signer_for(runtime.settings), client_ip(request)
        attempt(
            runtime.db,
            user,
            action=f"review.{decision.value}",
            material_id=material_id,
            ip=ip,
            work=lambda s, u: reviews.decide(
                s, u, material_id, decision=decision, comment=comment, rubric=rubric, signer=signer, ip=ip
            ),
        )
    except (ValidationFailed, Conflict) as exc:
        # Refused (a required item unticked, no comment for a refusal...): the same page, the
        # reason in the curator's language, and everything they ticked and wrote kept.
        with runtime.db.read() as session:
            return _review_page(request, runtime, session, user, material_id, error=exc, form=sent)
    return RedirectResponse("/review?done=1&failed=0", status_code=303)
