"""Request dependencies: the runtime, sessions, the current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from repository.client.service import required_scope
from repository.curation.accounts import accounts
from repository.errors import NotAuthenticated, PermissionDenied, RepositoryError
from repository.models import Role, User
from repository.policy.roles import has_role
from repository.runtime import Runtime
from repository.uow import Session, UnitOfWork
from repository.user.service import Principal
from repository.user.service import user as user_service

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def read_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A read-only session for GET routes (writes go through ``write_uow``)."""
    with runtime.db.read() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]


def write_uow(runtime: Runtime) -> UnitOfWork:
    """A unit of work for a write; use as ``with write_uow(runtime) as uow:`` inside the route."""
    return UnitOfWork(runtime.db, write=True)


def optional_user(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User | None:
    if credentials is None:
        return None
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:  # resolved (and scope-checked) by ``client_scope_guard``
        return cached.user
    try:
        with runtime.db.read() as session:
            principal = user_service.resolve_principal(session, credentials.credentials)
            found = principal.user
            session.expunge(found)
    except NotAuthenticated:
        # A revoked token coming back is worth an audit record (someone kept a token taken away).
        # Checked on a read session first, so garbage tokens never take the write lock.
        with runtime.db.read() as session:
            revoked = accounts.is_revoked(session, credentials.credentials)
        if revoked:
            with UnitOfWork(runtime.db) as uow:
                accounts.record_refused_token(uow.session, credentials.credentials, ip=client_ip(request))
        raise
    if principal.scopes is not None:
        check_client_scope(request, principal.scopes)
    request.state.principal = principal
    return found


def check_client_scope(request: Request, scopes: frozenset[str]) -> None:
    """Refuse an API client's request that needs a scope its token does not carry (403, named)."""
    needed = required_scope(request.method, request.url.path)
    if needed is None:
        raise PermissionDenied("API client tokens cannot use this route: it is for people's accounts")
    if needed not in scopes:
        raise PermissionDenied(
            f"this token lacks the scope {needed!r}",
            details=[{"field": "scope", "message": f"missing scope {needed}", "allowed": sorted(scopes)}],
        )


OptionalUser = Annotated[User | None, Depends(optional_user)]


def file_reader(request: Request, user: OptionalUser) -> User | None:
    """Who reads a file: the bearer token's user, else (GET/HEAD only) the portal session's.

    The portal shows files of drafts and submissions to their owners and reviewers with
    ``<video src>``/``<img src>``/links, which carry the session cookie, not a token. Reads only:
    nothing that changes state ever accepts the cookie without the CSRF check. The cookie is
    ``SameSite=Lax``, so other sites' pages cannot embed these files with it.
    """
    if user is not None or request.headers.get("authorization"):
        return user
    if request.method not in ("GET", "HEAD"):
        return None
    from web.portal.session import portal_user

    return portal_user(request)


FileReader = Annotated[User | None, Depends(file_reader)]


def current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>'")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def teacher_user(user: CurrentUser) -> User:
    if not has_role(user, Role.teacher):
        raise PermissionDenied("only teachers, curators and admins can upload materials")
    return user


TeacherUser = Annotated[User, Depends(teacher_user)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def client_scope_guard(request: Request, runtime: RuntimeDep) -> None:
    """An app-wide dependency: an API client's token is held to its scopes on every route, also
    on public ones that never ask who is calling (search, vocabularies, OAI-PMH). A person's
    token, or one that does not resolve, is left to the route (``optional_user``). The header is
    read here rather than through ``HTTPBearer``, so the OpenAPI document does not claim that
    public routes need a token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return
    try:
        with runtime.db.read() as session:
            principal = user_service.resolve_principal(session, token.strip())
            session.expunge(principal.user)
    except RepositoryError:
        return
    if principal.scopes is not None:
        check_client_scope(request, principal.scopes)
    request.state.principal = principal
