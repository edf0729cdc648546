from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from repository.user.schemas import TokenRead, UserRead
from repository.user.service import user as user_service
from repository.user.signin import signin
from web.deps import CurrentUser, RuntimeDep, bearer, client_ip
from web.openapi import errors

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenRead,
    summary="Exchange username and password for a bearer token",
    responses=errors(401, 422, 429),
)
def token(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1000)],
) -> TokenRead:
    signed = signin.sign_in(
        runtime.db,
        runtime.settings,
        username=username,
        password=password,
        ip=client_ip(request),
        token_name="password sign-in",
        ttl=timedelta(hours=runtime.settings.token_ttl_hours),
        audit_action="auth.token_issued",
    )
    return TokenRead(access_token=signed.token, expires_at=signed.record.expires_at)


@router.get("/auth/me", response_model=UserRead, summary="The signed-in user", responses=errors(401, 403))
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


@router.post(
    "/auth/password",
    status_code=204,
    summary="Change your password; every other token and portal session of yours is revoked",
    responses=errors(401, 403, 422, 429),
)
def change_password(
    body: PasswordChange,
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    keep = None
    if credentials is not None:  # the token making this request stays valid
        with runtime.db.read() as session:
            keep = user_service.token_id(session, credentials.credentials)
    signin.change_password(
        runtime.db,
        runtime.settings,
        user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_token_id=keep,
        ip=client_ip(request),
    )
    return Response(status_code=204)
