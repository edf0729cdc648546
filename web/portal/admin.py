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
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repository.audit.service import audit
from repository.curation.accounts import accounts
from repository.curation.integrity import open_issues as integrity_issues
from repository.curation.schemas import ScopeModel, UserAdminUpdate
from repository.models import Role
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.i18n import MESSAGES, request_lang, translate
from web.portal.render import render, terms
from web.portal.session import AdminPortalUser, check_csrf

router = APIRouter(include_in_schema=False)


@router.get("/admin/users", response_class=HTMLResponse)
def users(
    request: Request,
    session: ReadSession,
    user: AdminPortalUser,
    q: Annotated[str, Query(max_length=150)] = "",
) -> HTMLResponse:
    lang = request_lang(request)
    return render(
        request,
        "portal/admin_users.html",
        {
            "users": accounts.list_users(session, user, query=q),
            "roles": [r.value for r in Role],
            "user_q": q,  # not "q": that one fills the header's search box
            "subjects": terms("subject", lang),
        },
        user=user,
        twin="/api/v1/admin/users",
    )


@router.post("/admin/users/{user_id}")
async def update_user(user_id: str, request: Request, runtime: RuntimeDep, user: AdminPortalUser) -> Response:
    """The role form, or (``what=scope``) a curator's review scope: subjects and grades."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    if form.get("what") == "scope":
        picked = [str(g) for g in form.getlist("grades")]
        grades = sorted({int(g) for g in picked if g.isascii() and g.isdigit() and 1 <= int(g) <= 12})
        subjects = [str(s) for s in form.getlist("subjects") if str(s)]
        change = UserAdminUpdate(scope=ScopeModel(subjects=subjects, grades=grades))
    else:
        change = UserAdminUpdate(
            role=str(form.get("role", "")) or None, disabled=form.get("disabled") == "on"
        )
    with write_uow(runtime) as uow:
        accounts.update_user(uow.session, uow.session.merge(user), user_id, change, ip=client_ip(request))
    back = str(form.get("q", ""))
    return RedirectResponse("/admin/users" + (f"?{urlencode({'q': back})}" if back else ""), status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: ReadSession,
    user: AdminPortalUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = audit.page(session, user, page=page, size=50)
    lang = request_lang(request)
    # Labels, not codes: known actions in the page's language, people by their username.
    actions = {
        r.action: translate(lang, f"audit.{r.action}") for r in rows if f"audit.{r.action}" in MESSAGES
    }
    names = {u.id: u.username for u in accounts.list_users(session, user)}
    return render(
        request,
        "portal/admin_audit.html",
        {
            "rows": rows,
            "total": total,
            "intact": audit.verify_chain(session) == [],
            "actions": actions,
            "names": names,
        },
        user=user,
        twin="/api/v1/audit?verify=true",
    )


@router.get("/admin/integrity", response_class=HTMLResponse)
def integrity(request: Request, session: ReadSession, user: AdminPortalUser) -> HTMLResponse:
    issues = integrity_issues(session, user)
    return render(
        request, "portal/admin_integrity.html", {"issues": issues}, user=user, twin="/api/v1/review/integrity"
    )
