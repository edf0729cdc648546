"""Organisation pages: the public list and page of each organisation, and its team page (members
see it; managers and admins invite, change roles and remove there).

| page                                        | JSON twin                                            |
|---------------------------------------------|------------------------------------------------------|
| ``/o``                                      | ``/api/v1/organisations``                            |
| ``/o/{slug}``                               | ``/api/v1/organisations/{slug}``                     |
| ``/o/{slug}/members``                       | ``/api/v1/organisations/{slug}/members``             |
| ``POST /o/{slug}/members``                  | ``POST /api/v1/organisations/{slug}/members``        |
| ``POST /o/{slug}/members/{username}``       | ``PATCH`` (role) / ``DELETE`` (``remove``) of the member |
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from repository.errors import ValidationFailed
from repository.models import MemberRole, Role, User
from repository.organisation.schemas import MemberAdd, MemberUpdate
from repository.organisation.service import organisations
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.render import render
from web.portal.session import PortalUser, check_csrf, require_role

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
