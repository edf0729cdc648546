from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request

from repository.audit.service import audit
from repository.curation.accounts import accounts
from repository.errors import NotAuthenticated
from repository.user.schemas import TokenRead, UserRead
from repository.user.service import user as user_service
from web.deps import CurrentUser, RuntimeDep, client_ip, write_uow

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token", response_model=TokenRead, summary="Exchange username and password for a bearer token"
)
def token(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1000)],
) -> TokenRead:
    with runtime.db.read() as session:
        accounts.check_sign_in_allowed(session, runtime.settings, username)  # 429 while locked out
    with write_uow(runtime) as uow:
        try:
            found = user_service.authenticate(uow.session, username, password)
        except NotAuthenticated:
            failed = True
        else:
            failed = False
            plain, record = user_service.issue_token(
                uow.session,
                found,
                ttl=timedelta(hours=runtime.settings.token_ttl_hours),
                name="password sign-in",
            )
            audit.record(
                uow.session,
                actor=found,
                action="auth.token_issued",
                subject_type="user",
                subject_id=found.id,
                ip=client_ip(request),
            )
    if failed:
        # Record the failure in its own transaction, then refuse.
        with write_uow(runtime) as uow:
            accounts.record_failed_sign_in(uow.session, username, ip=client_ip(request))
        raise NotAuthenticated("incorrect username or password")
    return TokenRead(access_token=plain, expires_at=record.expires_at)


@router.get("/auth/me", response_model=UserRead, summary="The signed-in user")
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)
