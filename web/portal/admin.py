"""Admin pages: users and roles, the audit log, integrity problems.

| page                     | JSON twin                                  |
|--------------------------|--------------------------------------------|
| ``/admin/users``         | ``/api/v1/admin/users``                    |
| ``POST /admin/users/{id}`` | ``PATCH /api/v1/admin/users/{id}``       |
| ``/admin/audit``         | ``/api/v1/audit?verify=true``              |
| ``/admin/integrity``     | ``/api/v1/review/integrity``               |
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repository.audit.service import audit
from repository.curation.accounts import accounts
from repository.curation.integrity import open_issues as integrity_issues
from repository.curation.schemas import UserAdminUpdate
from repository.models import Role
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.render import render
from web.portal.session import AdminPortalUser, check_csrf

router = APIRouter(include_in_schema=False)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, session: ReadSession, user: AdminPortalUser) -> HTMLResponse:
    return render(
        request,
        "portal/admin_users.html",
        {"users": accounts.list_users(session, user), "roles": [r.value for r in Role]},
        user=user,
        twin="/api/v1/admin/users",
    )


@router.post("/admin/users/{user_id}")
async def update_user(user_id: str, request: Request, runtime: RuntimeDep, user: AdminPortalUser) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    change = UserAdminUpdate(role=str(form.get("role", "")) or None, disabled=form.get("disabled") == "on")
    with write_uow(runtime) as uow:
        accounts.update_user(uow.session, uow.session.merge(user), user_id, change, ip=client_ip(request))
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: ReadSession,
    user: AdminPortalUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = audit.page(session, user, page=page, size=50)
    return render(
        request,
        "portal/admin_audit.html",
        {"rows": rows, "total": total, "intact": audit.verify_chain(session) == []},
        user=user,
        twin="/api/v1/audit?verify=true",
    )


@router.get("/admin/integrity", response_class=HTMLResponse)
def integrity(request: Request, session: ReadSession, user: AdminPortalUser) -> HTMLResponse:
    issues = integrity_issues(session, user)
    return render(
        request, "portal/admin_integrity.html", {"issues": issues}, user=user, twin="/api/v1/review/integrity"
    )
