"""Admin API: accounts (create, roles, scope, disable) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from repository.audit.service import audit
from repository.curation.accounts import accounts
from repository.curation.schemas import AuditPage, AuditRead, UserAdminCreate, UserAdminRead, UserAdminUpdate
from repository.errors import PermissionDenied
from repository.models import Role, User
from repository.policy.roles import has_role
from web.deps import CurrentUser, ReadSession, RuntimeDep, client_ip, write_uow

router = APIRouter(tags=["admin"])


def _admin(user: User) -> None:
    if not has_role(user, Role.admin):
        raise PermissionDenied("only admins can do this")


@router.get("/admin/users", response_model=list[UserAdminRead], summary="All accounts")
def list_users(session: ReadSession, user: CurrentUser) -> list[UserAdminRead]:
    return [UserAdminRead.model_validate(u) for u in accounts.list_users(session, user)]


@router.post("/admin/users", response_model=UserAdminRead, status_code=201, summary="Create an account")
def create_user(
    body: UserAdminCreate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> UserAdminRead:
    _admin(user)
    with write_uow(runtime) as uow:
        created = accounts.create_user(uow.session, uow.session.merge(user), body, ip=client_ip(request))
        return UserAdminRead.model_validate(created)


@router.patch(
    "/admin/users/{user_id}",
    response_model=UserAdminRead,
    summary="Change an account's role, curator scope, display name, or disable it",
)
def update_user(
    user_id: str, body: UserAdminUpdate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> UserAdminRead:
    _admin(user)
    with write_uow(runtime) as uow:
        changed = accounts.update_user(
            uow.session, uow.session.merge(user), user_id, body, ip=client_ip(request)
        )
        return UserAdminRead.model_validate(changed)


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (admins)")
def audit_log(
    session: ReadSession,
    user: CurrentUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
    action: Annotated[
        str | None, Query(max_length=100, description="Exact action, or a prefix ending in '.'")
    ] = None,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    verify: Annotated[bool, Query(description="Also check the hash chain (reads the whole log)")] = False,
) -> AuditPage:
    rows, total = audit.page(
        session, user, page=page, size=size, action=action, subject_id=subject_id, since=since
    )
    intact = (audit.verify_chain(session) == []) if verify else None
    return AuditPage(
        total=total,
        page=page,
        size=size,
        chain_intact=intact,
        items=[AuditRead.model_validate(e) for e in rows],
    )
