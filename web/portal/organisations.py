"""Organisation pages: the public list and page of each organisation, and its team page (members
see it; managers and admins invite, change roles and remove there).

| page                                        | JSON twin                                            |
|---------------------------------------------|------------------------------------------------------|
| ``/o``                                      | ``/api/v1/organisations``                            |
| ``/o/{slug}``                               | ``/api/v1/organisations/{slug}``                     |
| ``/o/{slug}/members``                       | ``/api/v1/organisations/{slug}/members``             |
| ``POST /o/{slug}/members``                  | ``POST /api/v1/organisations/{slug}/members``        |
| ``POST /o/{slug}/members/{username}``       | ``PATCH`` (role) / ``DELETE`` (``remove``) of the member |
| ``/o/{slug}/import``, ``POST`` (a ZIP)      | ``POST /api/v1/organisations/{slug}/imports``        |
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from repository.collection.archive import import_archive, may_import
from repository.collection.mapping import MAX_MAPPING_BYTES
from repository.collection.service import summary
from repository.errors import ValidationFailed
from repository.models import MemberRole, Role, User
from repository.organisation.schemas import MemberAdd, MemberUpdate
from repository.organisation.service import organisations
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.render import render
from web.portal.session import CSRF_FIELD, PortalUser, check_csrf, require_role
from web.uploads import read_upload

router = APIRouter(include_in_schema=False)

# Any signed-in account (students included: the service decides who sees and manages a team).
SignedInPortalUser = Annotated[User, Depends(require_role(Role.student))]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


@router.get("/o", response_class=HTMLResponse)
def organisation_list(request: Request, session: ReadSession, user: PortalUser) -> HTMLResponse:
    return render(
        request,
        "portal/organisations.html",
        {"organisations": organisations.all(session)},
        user=user,
        twin="/api/v1/organisations",
    )


@router.get("/o/{slug}", response_class=HTMLResponse)
def organisation_page(slug: str, request: Request, session: ReadSession, user: PortalUser) -> HTMLResponse:
    page = organisations.page(session, slug)
    org = organisations.get(session, slug)
    role = organisations.role_of(session, user, org)
    by_grade: dict[int | None, list[object]] = {}
    for group in page.groups:
        by_grade.setdefault(group.grade, []).append(group)
    return render(
        request,
        "portal/organisation.html",
        {
            "page": page,
            "by_grade": by_grade,
            "role": role.value if role is not None else None,
            "sees_team": role is not None or (user is not None and user.role == Role.admin),
        },
        user=user,
        twin=f"/api/v1/organisations/{quote(slug)}",
    )


@router.get("/o/{slug}/members", response_class=HTMLResponse)
def team_page(
    slug: str, request: Request, session: ReadSession, signed_in: SignedInPortalUser
) -> HTMLResponse:
    org = organisations.get(session, slug)
    members = organisations.members(session, signed_in, slug)
    role = organisations.role_of(session, signed_in, org)
    return render(
        request,
        "portal/organisation_team.html",
        {
            "org": org,
            "members": members,
            "manages": role is MemberRole.manager or signed_in.role == Role.admin,
            "roles": [r.value for r in MemberRole],
            "me": signed_in.username,
        },
        user=signed_in,
        twin=f"/api/v1/organisations/{quote(slug)}/members",
    )


@router.post("/o/{slug}/members")
async def invite(slug: str, request: Request, runtime: RuntimeDep, signed_in: SignedInPortalUser) -> Response:
    fields = await _form(request)
    try:
        data = MemberAdd.model_validate(
            {"username": fields.get("username", ""), "role": fields.get("role") or "member"}
        )
    except ValidationError as exc:
        raise ValidationFailed("give an account name and a role: member, curator or manager") from exc
    with write_uow(runtime) as uow:
        organisations.add_member(uow.session, uow.session.merge(signed_in), slug, data, ip=client_ip(request))
    return RedirectResponse(f"/o/{quote(slug)}/members", status_code=303)


@router.post("/o/{slug}/members/{username}")
async def change_member(
    slug: str, username: str, request: Request, runtime: RuntimeDep, signed_in: SignedInPortalUser
) -> Response:
    fields = await _form(request)
    with write_uow(runtime) as uow:
        actor = uow.session.merge(signed_in)
        if fields.get("action") == "remove":
            organisations.remove_member(uow.session, actor, slug, username, ip=client_ip(request))
        else:
            try:
                data = MemberUpdate.model_validate({"role": fields.get("role", "")})
            except ValidationError as exc:
                raise ValidationFailed("choose a role: member, curator or manager") from exc
            organisations.update_member(uow.session, actor, slug, username, data, ip=client_ip(request))
    left = fields.get("action") == "remove" and username == signed_in.username
    return RedirectResponse(f"/o/{quote(slug)}" if left else f"/o/{quote(slug)}/members", status_code=303)


EXAMPLE_MAPPING = """file = "Tệp"

[columns]
title = "Tên bài"
grades = "Lớp"
subjects = "Môn"

[defaults]
license = "CC-BY-4.0"
"""


@router.get("/o/{slug}/import", response_class=HTMLResponse)
def import_form(
    slug: str, request: Request, session: ReadSession, signed_in: SignedInPortalUser
) -> HTMLResponse:
    may_import(session, signed_in, slug)
    return render(
        request,
        "portal/organisation_import.html",
        {"org": organisations.get(session, slug), "mapping": EXAMPLE_MAPPING, "report": None},
        user=signed_in,
        twin=f"/api/v1/organisations/{quote(slug)}/imports",
    )


@router.post("/o/{slug}/import", response_class=HTMLResponse)
async def import_collection(
    slug: str, request: Request, runtime: RuntimeDep, signed_in: SignedInPortalUser
) -> HTMLResponse:
    """The ZIP streams into a staged blob (never committed to the blob store): the CSRF token,
    the first field, is checked before a byte of it is written; the staged file is removed after."""

    def guard(fields: dict[str, bytes]) -> None:
        check_csrf(request, fields.get(CSRF_FIELD, b"").decode("utf-8", errors="replace") or None)

    parsed = await read_upload(
        request,
        lambda: runtime.blobs.stage(max_size=runtime.settings.max_upload_bytes),
        max_file_bytes=runtime.settings.max_upload_bytes,
        text_fields=("mapping", "table", "dry_run", CSRF_FIELD),
        before_files=guard,
    )
    try:
        guard(parsed.fields)
        if len(parsed.files) != 1:
            raise ValidationFailed("choose the collection's ZIP file (one file)")
        mapping = parsed.fields.get("mapping", b"").decode("utf-8", errors="replace")
        if len(mapping) > MAX_MAPPING_BYTES:
            raise ValidationFailed("the mapping is too long")
        table = parsed.fields.get("table", b"").decode("utf-8", errors="replace").strip() or None
        dry_run = parsed.fields.get("dry_run", b"") != b""
        settings = runtime.settings
        results = await run_in_threadpool(
            import_archive,
            runtime.db,
            runtime.blobs,
            signed_in,
            slug,
            archive=parsed.files[0].staged.path,
            mapping=mapping,
            table=table,
            dry_run=dry_run,
            max_bytes=settings.max_upload_bytes,
            scratch=settings.spool,
        )
    finally:
        parsed.abort()
    with runtime.db.read() as session:
        org = organisations.get(session, slug)
    return render(
        request,
        "portal/organisation_import.html",
        {
            "org": org,
            "mapping": mapping,
            "table": table or "",
            "report": {"dry_run": dry_run, "summary": summary(results), "rows": results},
        },
        user=signed_in,
        twin=f"/api/v1/organisations/{quote(slug)}/imports",
    )
