"""Personal API tokens: list, create, revoke."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from repository.curation.accounts import accounts
from repository.curation.schemas import TokenCreate, TokenCreated, TokenInfo
from web.deps import CurrentUser, ReadSession, RuntimeDep, client_ip, write_uow

router = APIRouter(tags=["auth"])


@router.get("/auth/tokens", response_model=list[TokenInfo], summary="Your tokens (never the secret itself)")
def list_tokens(session: ReadSession, user: CurrentUser) -> list[TokenInfo]:
    return [TokenInfo.model_validate(t) for t in accounts.list_tokens(session, user)]


@router.post(
    "/auth/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="Create a named personal token (shown once)",
)
def create_token(body: TokenCreate, request: Request, runtime: RuntimeDep, user: CurrentUser) -> TokenCreated:
    with write_uow(runtime) as uow:
        plain, record = accounts.create_token(
            uow.session,
            uow.session.merge(user),
            name=body.name,
            ttl=timedelta(days=body.ttl_days),
            ip=client_ip(request),
        )
        info = TokenInfo.model_validate(record)
    return TokenCreated(access_token=plain, **info.model_dump())


@router.delete("/auth/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke_token(token_id: str, request: Request, runtime: RuntimeDep, user: CurrentUser) -> Response:
    with write_uow(runtime) as uow:
        accounts.revoke_token(uow.session, uow.session.merge(user), token_id, ip=client_ip(request))
    return Response(status_code=204)
