"""Sign in and out of the portal (JSON twins: ``POST /api/v1/auth/token``, ``GET /api/v1/auth/me``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repository.curation.accounts import accounts
from repository.errors import NotAuthenticated, RepositoryError, TooManyAttempts, ValidationFailed
from repository.models import Role, User
from repository.user.signin import signin as signin_service
from web.deps import RuntimeDep, client_ip, write_uow
from web.portal import session as portal_session
from web.portal.render import render
from web.portal.session import PortalUser, check_csrf, require_role

router = APIRouter(include_in_schema=False)

# A portal session lasts a school week; the token behind it can be revoked like any other.
SESSION_TTL = timedelta(days=7)

# Any signed-in account (students too) may change its own password.
SignedInPortalUser = Annotated[User, Depends(require_role(Role.student))]


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
    try:
        signed = signin_service.sign_in(
            runtime.db,
            runtime.settings,
            username=username,
            password=password,
            ip=client_ip(request),
            token_name="portal session",
            ttl=SESSION_TTL,
            audit_action="auth.portal_signed_in",
        )
    except (NotAuthenticated, TooManyAttempts) as exc:
        return render(
            request,
            "portal/signin.html",
            {
                "next": safe_next(next),
                "failed": True,
                "locked": isinstance(exc, TooManyAttempts),
                "username": username,
            },
            user=None,
            status_code=exc.status_code,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    portal_session.sign_in(
        request, response, signed.record.id, signed.token, int(SESSION_TTL.total_seconds())
    )
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, user: SignedInPortalUser) -> HTMLResponse:
    return render(request, "portal/password.html", {"error": None, "done": False}, user=user)


@router.post("/account/password", response_class=HTMLResponse)
def password_change(
    request: Request,
    runtime: RuntimeDep,
    user: SignedInPortalUser,
    current_password: Annotated[str, Form(max_length=1000)],
    new_password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The portal twin of ``POST /api/v1/auth/password``: this session stays, every other goes."""
    check_csrf(request, csrf_token)
    try:
        signin_service.change_password(
            runtime.db,
            runtime.settings,
            user,
            current_password=current_password,
            new_password=new_password,
            keep_token_id=portal_session.session_token_id(request),
            ip=client_ip(request),
        )
    except (NotAuthenticated, TooManyAttempts, ValidationFailed) as exc:
        return render(
            request,
            "portal/password.html",
            {"error": exc.message, "done": False},
            user=user,
            status_code=exc.status_code,
        )
    return render(request, "portal/password.html", {"error": None, "done": True}, user=user)


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
