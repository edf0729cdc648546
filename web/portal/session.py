"""Portal sessions (cookies) and CSRF protection, on top of the user service's bearer tokens.

Signing in issues an ordinary API token (stored hashed, revocable, audited like any other) and
keeps it in the ``hl_session`` cookie: ``Secure``, ``HttpOnly``, ``SameSite=Lax``. So a portal
session is revoked exactly like a token, and there is one credential check in the codebase.

CSRF: every visitor gets a random ``hl_csrf`` cookie; the token put into forms is an HMAC of it
(and of the session token, so a token minted before sign-in stops working after) under the
settings' ``secret_key``. A POST must send it back as the ``csrf_token`` form field or the
``X-CSRF-Token`` header (scripts). Never in a URL: URLs end up in logs, history and ``Referer``
headers (multipart uploads send the field first and it is checked while streaming). SameSite=Lax
already stops most cross-site posts; the token covers the rest (and old browsers).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from repository.errors import NotAuthenticated, PermissionDenied
from repository.models import Role, User
from repository.policy.roles import has_role
from repository.runtime import Runtime
from repository.user.service import user as user_service

SESSION_COOKIE = "hl_session"
CSRF_COOKIE = "hl_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class CsrfRefused(PermissionDenied):
    """A form post without a valid CSRF token."""

    code = "csrf_failed"


class SignInRequired(NotAuthenticated):
    """A portal page that needs a signed-in user (rendered as a redirect to the sign-in page)."""

    code = "sign_in_required"


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def session_token(request: Request) -> str | None:
    """The bearer token inside the session cookie (``<token id>:<token>``)."""
    value = request.cookies.get(SESSION_COOKIE, "")
    return value.partition(":")[2] or None


def session_token_id(request: Request) -> str | None:
    """The id of the session's token record (what sign-out revokes)."""
    return request.cookies.get(SESSION_COOKIE, "").partition(":")[0] or None


def portal_user(request: Request) -> User | None:
    """The user of the session cookie, or None (expired, revoked or disabled → anonymous)."""
    if hasattr(request.state, "portal_user"):
        cached: User | None = request.state.portal_user
        return cached
    found: User | None = None
    token = session_token(request)
    if token:
        with _runtime(request).db.read() as session:
            try:
                found = user_service.resolve_token(session, token)
            except NotAuthenticated:
                found = None
            else:
                session.expunge(found)
    request.state.portal_user = found
    return found


PortalUser = Annotated[User | None, Depends(portal_user)]


def require_role(minimum: Role):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in user with at least ``minimum``; else sign in / 403."""

    def dependency(request: Request) -> User:
        found = portal_user(request)
        if found is None:
            raise SignInRequired("sign in first")
        if not has_role(found, minimum):
            raise PermissionDenied(f"this page is for the {minimum.value} role and above")
        return found

    return dependency


TeacherPortalUser = Annotated[User, Depends(require_role(Role.teacher))]
CuratorPortalUser = Annotated[User, Depends(require_role(Role.curator))]
AdminPortalUser = Annotated[User, Depends(require_role(Role.admin))]


def _csrf_seed(request: Request) -> str:
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed  # set on the response by ``finish``
    return seed


def csrf_token(request: Request) -> str:
    """The token to embed in this visitor's forms."""
    secret = _runtime(request).settings.secret_key.encode()
    message = f"{_csrf_seed(request)}|{request.cookies.get(SESSION_COOKIE, '')}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a state-changing request whose token is missing or wrong.

    Raises:
        CsrfRefused: 403 with a reason.
    """
    submitted = submitted or request.headers.get(CSRF_HEADER)
    if not request.cookies.get(CSRF_COOKIE) or not submitted:
        raise CsrfRefused("the form's CSRF token is missing: reload the page and try again")
    if not hmac.compare_digest(submitted, csrf_token(request)):
        raise CsrfRefused("the form's CSRF token is wrong or expired: reload the page and try again")


async def check_csrf_form(request: Request) -> None:
    """``check_csrf`` for an urlencoded form post (reads the ``csrf_token`` field)."""
    submitted: str | None = None
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    check_csrf(request, submitted)


def _secure(request: Request) -> bool:
    # Always Secure, except plain HTTP to a development host that is not loopback would lose the
    # cookie; browsers accept Secure cookies from http://localhost and 127.0.0.1.
    del request
    return True


def finish(request: Request, response: Response) -> Response:
    """Set the cookies this request created (CSRF seed, language choice)."""
    seed = getattr(request.state, "csrf_seed", None)
    if seed and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, seed, httponly=True, secure=_secure(request), samesite="lax", max_age=30 * 24 * 3600
        )
    return response


def sign_in(request: Request, response: Response, token_id: str, token: str, max_age: int) -> None:
    """Keep ``token`` in the session cookie and rotate the CSRF seed (no fixation)."""
    response.set_cookie(
        SESSION_COOKIE,
        f"{token_id}:{token}",
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        max_age=max_age,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        max_age=30 * 24 * 3600,
    )


def sign_out(response: Response) -> None:
    """Forget the session cookie (the token itself is revoked by the caller)."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
