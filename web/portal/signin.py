"""Sign in and out of the portal (JSON twins: ``POST /api/v1/auth/token``, ``GET /api/v1/auth/me``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repository.audit.service import audit
from repository.curation.accounts import accounts
from repository.errors import NotAuthenticated, RepositoryError
from repository.models import User
from repository.user.service import user as user_service
from web.deps import RuntimeDep, client_ip, write_uow
from web.portal import session as portal_session
from web.portal.render import render
from web.portal.session import PortalUser, check_csrf

router = APIRouter(include_in_schema=False)

# A portal session lasts a school week; the token behind it can be revoked like any other.
SESSION_TTL = timedelta(days=7)


def safe_next(target: str | None) -> str:
    """Only local paths: ``/teach`` yes, ``//evil.example`` or ``https://…`` no (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, user: PortalUser, next: str | None = None) -> HTMLResponse:
    return render(
        request,
        "portal/signin.html",
        {"next": safe_next(next), "failed": False, "username": ""},
        user=user,
        twin="/api/v1/auth/me",
    )


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    with runtime.db.read() as s:
        accounts.check_sign_in_allowed(s, runtime.settings, username)  # 429 while locked out
    token_id = plain = None
    with write_uow(runtime) as uow:
        found: User | None = None
        try:
            authenticated = user_service.authenticate(uow.session, username, password)
        except NotAuthenticated:
            pass
        else:
            found = authenticated
            plain, record = user_service.issue_token(
                uow.session, authenticated, ttl=SESSION_TTL, name="portal session"
            )
            uow.session.flush()
            token_id = record.id
            audit.record(
                uow.session,
                actor=found,
                action="auth.portal_signed_in",
                subject_type="user",
                subject_id=authenticated.id,
                ip=client_ip(request),
            )
    if found is None or plain is None or token_id is None:
        with write_uow(runtime) as uow:
            accounts.record_failed_sign_in(uow.session, username, ip=client_ip(request))
        return render(
            request,
            "portal/signin.html",
            {"next": safe_next(next), "failed": True, "username": username},
            user=None,
            status_code=401,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    portal_session.sign_in(request, response, token_id, plain, int(SESSION_TTL.total_seconds()))
    return response


@router.post("/signout")
async def signout(request: Request, runtime: RuntimeDep, user: PortalUser) -> Response:
    await portal_session.check_csrf_form(request)
    token_id = portal_session.session_token_id(request)
    if user is not None and token_id:
        try:
            with write_uow(runtime) as uow:
                accounts.revoke_token(uow.session, uow.session.merge(user), token_id, ip=client_ip(request))
        except RepositoryError:
            pass  # already revoked or expired: signing out still clears the cookie
    response = RedirectResponse("/", status_code=303)
    portal_session.sign_out(response)
    return response
