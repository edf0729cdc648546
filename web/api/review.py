"""Review workflow API: submit, withdraw, edit metadata and files, takedown, versions, claim,
comments, decide, queue.

Thin: each route runs one call of a ``repository.curation`` service (workflow, decisions,
version files, versions, signing) through
``repository.curation.attempts.attempt``, which audits a refused attempt (403/404/409) in its own
transaction, because the refused one rolls back; the portal's forms go through the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from repository.curation.attempts import attempt
from repository.curation.decisions import reviews
from repository.curation.integrity import open_issues as integrity_issues
from repository.curation.schemas import (
    BulkResult,
    BulkReviewRequest,
    CommentRead,
    CommentRequest,
    EditRequest,
    IntegrityIssueRead,
    QueuePage,
    ReviewRequest,
    SignatureRead,
    SubmitRequest,
    TakedownRequest,
    VersionRead,
    WithdrawRequest,
)
from repository.curation.signing import signatures
from repository.curation.version_files import version_files
from repository.curation.versions import version_history
from repository.curation.views import comment_read, version_read
from repository.curation.workflow import workflow
from repository.errors import PermissionDenied, RepositoryError
from repository.material.schemas import MaterialRead
from repository.material.service import NewFile
from repository.material.service import material as material_service
from repository.models import MaterialVersion, Role, User
from repository.policy.roles import has_role
from repository.runtime import Runtime
from repository.signing import signer_for
from repository.uow import Session
from repository.upload.service import upload as upload_service
from web.deps import CurrentUser, OptionalUser, ReadSession, RuntimeDep, client_ip, write_uow
from web.openapi import errors
from web.uploads import ParsedUpload, read_upload, user_quota

router = APIRouter(tags=["review"])

T = TypeVar("T")


def _attempt(
    runtime: Runtime,
    user: User,
    request: Request,
    action: str,
    material_id: str,
    work: Callable[[Session, User], T],
) -> T:
    """Run ``work`` in a write transaction; audit a refusal in a separate one."""
    return attempt(runtime.db, user, action=action, material_id=material_id, ip=client_ip(request), work=work)


def _material(runtime: Runtime, user: User, material_id: str) -> MaterialRead:
    with runtime.db.read() as session:
        found = material_service.get(session, user, material_id)
        return MaterialRead.build(found, detail=material_service.shows_failure_details(session, user, found))


def _version(v: MaterialVersion, runtime: Runtime) -> VersionRead:
    with runtime.db.read() as session:
        return version_read(session, v.material_id, v.id)


@router.post(
    "/materials/{material_id}/submit",
    response_model=VersionRead,
    summary="Send the working version to review (ingest must be finished)",
    responses=errors(409),
)
def submit(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    body: SubmitRequest | None = None,
) -> VersionRead:
    body = body or SubmitRequest()
    v = _attempt(
        runtime,
        user,
        request,
        "submit",
        material_id,
        lambda s, u: workflow.submit(
            s, u, material_id, accept_failed=body.accept_failed, reason=body.reason, ip=client_ip(request)
        ),
    )
    return _version(v, runtime)


@router.post(
    "/materials/{material_id}/withdraw",
    response_model=VersionRead,
    summary="Take the working version out of review",
    responses=errors(409),
)
def withdraw(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    body: WithdrawRequest | None = None,
) -> VersionRead:
    reason = body.reason if body else None
    v = _attempt(
        runtime,
        user,
        request,
        "withdraw",
        material_id,
        lambda s, u: workflow.withdraw(s, u, material_id, reason=reason, ip=client_ip(request)),
    )
    return _version(v, runtime)


@router.patch(
    "/materials/{material_id}",
    response_model=VersionRead,
    summary="Edit the metadata (an approved material gets a new version under review)",
    responses=errors(409),
)
def edit(
    material_id: str, body: EditRequest, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> VersionRead:
    v = _attempt(
        runtime,
        user,
        request,
        "edit",
        material_id,
        lambda s, u: workflow.edit(
            s, u, material_id, changes=body.metadata, replace=body.replace, ip=client_ip(request)
        ),
    )
    return _version(v, runtime)


@router.post(
    "/materials/{material_id}/takedown",
    response_model=VersionRead,
    summary="Withdraw a published material from public view, with a reason (owner, curator in scope, admin)",
    responses=errors(409),
)
def takedown(
    material_id: str, body: TakedownRequest, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> VersionRead:
    v = _attempt(
        runtime,
        user,
        request,
        "takedown",
        material_id,
        lambda s, u: workflow.takedown(s, u, material_id, reason=body.reason, ip=client_ip(request)),
    )
    return _version(v, runtime)


def _new_files(parsed: ParsedUpload) -> list[NewFile]:
    return parsed.commit_files()


@router.post(
    "/materials/{material_id}/files",
    response_model=VersionRead,
    status_code=201,
    summary="Add files (multipart 'file' parts) to the working version; ?replaces=FILE_ID swaps one",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                        },
                        "required": ["file"],
                    }
                }
            },
            "required": True,
        }
    },
    responses=errors(409, 415, 507),
)
async def add_files(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    replaces: Annotated[str | None, Query(max_length=64)] = None,
    upload: Annotated[
        list[str] | None, Query(max_length=50, description="ids of finished resumable uploads")
    ] = None,
) -> VersionRead:
    """Editing an approved material puts the new files into version n+1 (the approved version and
    its files stay public until n+1 is approved); their ingest is queued like an upload's.

    Files come as multipart ``file`` parts, as finished resumable uploads (``?upload=ID``,
    repeatable; the body may then be empty), or both."""
    uploads = upload or []
    if uploads and not request.headers.get("content-type", "").startswith("multipart/"):
        parsed = ParsedUpload()
    else:
        parsed = await read_upload(
            request,
            lambda: runtime.blobs.stage(max_size=runtime.settings.max_upload_bytes),
            max_file_bytes=runtime.settings.max_upload_bytes,
            quota=await run_in_threadpool(user_quota, runtime, user),
        )

    def work() -> VersionRead:
        files = _new_files(parsed)

        def add(s: Any, u: Any) -> Any:
            taken = upload_service.take(s, u, runtime.blobs, uploads) if uploads else []
            return version_files.add_files(
                s, u, material_id, files=files + taken, replaces=replaces, ip=client_ip(request)
            )

        v = _attempt(runtime, user, request, "files.add", material_id, add)
        return _version(v, runtime)

    return await run_in_threadpool(work)


@router.delete(
    "/materials/{material_id}/files/{file_id}",
    response_model=VersionRead,
    summary="Remove a file from the working version (an approved version keeps it)",
    responses=errors(409),
)
def remove_file(
    material_id: str, file_id: str, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> VersionRead:
    v = _attempt(
        runtime,
        user,
        request,
        "files.remove",
        material_id,
        lambda s, u: version_files.remove_file(s, u, material_id, file_id, ip=client_ip(request)),
    )
    return _version(v, runtime)


@router.get(
    "/materials/{material_id}/versions",
    response_model=list[VersionRead],
    summary="Version history with who/when (in-progress versions only for owner, curators, admins)",
)
def versions(material_id: str, session: ReadSession, user: OptionalUser) -> list[VersionRead]:
    material, rows = version_history.history(session, user, material_id)
    return [VersionRead.build(v, live=v.number == material.version, with_metadata=False) for v, _ in rows]


@router.get(
    "/materials/{material_id}/versions/{number}",
    response_model=VersionRead,
    summary="One version (an older one only if it was approved)",
)
def version(material_id: str, number: int, session: ReadSession, user: OptionalUser) -> VersionRead:
    v = version_history.version(session, user, material_id, number)
    material = material_service.get(session, user, material_id)
    return VersionRead.build(v, live=v.number == material.version)


@router.get(
    "/materials/{material_id}/signature",
    response_model=SignatureRead,
    summary="The signed approval manifest and its Ed25519 signature",
)
def signature(
    material_id: str,
    session: ReadSession,
    user: OptionalUser,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> SignatureRead:
    return signatures.signature(session, user, material_id, number=version)


@router.post(
    "/materials/{material_id}/claim",
    response_model=VersionRead,
    summary="Claim a submission to review it",
    responses=errors(409),
)
def claim(material_id: str, request: Request, runtime: RuntimeDep, user: CurrentUser) -> VersionRead:
    v = _attempt(
        runtime,
        user,
        request,
        "claim",
        material_id,
        lambda s, u: reviews.claim(s, u, material_id, ip=client_ip(request)),
    )
    return _version(v, runtime)


@router.get(
    "/materials/{material_id}/comments", response_model=list[CommentRead], summary="The review thread"
)
def comments(material_id: str, runtime: RuntimeDep, user: CurrentUser) -> list[CommentRead]:
    with runtime.db.read() as session:
        return [CommentRead.build(c) for c in reviews.comments(session, user, material_id)]


@router.post(
    "/materials/{material_id}/comments",
    response_model=CommentRead,
    status_code=201,
    summary="Comment in the review thread",
)
def add_comment(
    material_id: str, body: CommentRequest, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> CommentRead:
    c = _attempt(
        runtime,
        user,
        request,
        "comment",
        material_id,
        lambda s, u: reviews.comment(s, u, material_id, body=body.body),
    )
    with runtime.db.read() as session:
        return comment_read(session, material_id, c.id)


@router.post(
    "/materials/{material_id}/review",
    response_model=VersionRead,
    summary="Decide: approve (signs the manifest), request_changes or reject, with the rubric",
    responses=errors(409),
)
def review(
    material_id: str, body: ReviewRequest, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> VersionRead:
    signer = signer_for(runtime.settings)
    v = _attempt(
        runtime,
        user,
        request,
        f"review.{body.decision.value}",
        material_id,
        lambda s, u: reviews.decide(
            s,
            u,
            material_id,
            decision=body.decision,
            comment=body.comment,
            rubric=body.rubric,
            signer=signer,
            ip=client_ip(request),
        ),
    )
    return _version(v, runtime)


@router.post(
    "/review/bulk",
    response_model=list[BulkResult],
    summary="Decide many submissions at once",
    responses=errors(409),
)
def bulk(
    body: BulkReviewRequest, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> list[BulkResult]:
    if not has_role(user, Role.curator):
        raise PermissionDenied("only curators and admins review materials")
    signer = signer_for(runtime.settings)
    with write_uow(runtime) as uow:
        results = reviews.bulk_decide(
            uow.session,
            uow.session.merge(user),
            body.material_ids,
            decision=body.decision,
            comment=body.comment,
            rubric=body.rubric,
            signer=signer,
            ip=client_ip(request),
        )
        out = [
            BulkResult(material_id=mid, ok=False, status=r.status_code, error=r.message)
            if isinstance(r, RepositoryError)
            else BulkResult(material_id=mid, ok=True, state=r.state)
            for mid, r in results
        ]
    return out


@router.get("/review/queue", response_model=QueuePage, summary="Submissions you may decide (your scope)")
def queue(
    session: ReadSession,
    user: CurrentUser,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> QueuePage:
    items, total = reviews.queue(session, user, page=page, size=size)
    return QueuePage(total=total, page=page, size=size, items=items)


@router.get(
    "/review/integrity",
    response_model=list[IntegrityIssueRead],
    summary="Open fixity problems on materials you can see",
)
def integrity(session: ReadSession, user: CurrentUser) -> list[IntegrityIssueRead]:
    return [IntegrityIssueRead.model_validate(i) for i in integrity_issues(session, user)]
