"""API clients of vendors' software: OAuth 2.0 client credentials and their administration.

``POST /api/v1/oauth/token`` follows RFC 6749 §4.4 (form-encoded body, HTTP Basic or body
credentials) and answers errors in the RFC's own shape, ``{"error": "invalid_client", ...}``,
not the house error envelope: OAuth client libraries parse that shape.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from repository.client.schemas import (
    ClientCreate,
    ClientCreated,
    ClientRead,
    ClientUpdate,
    DeliveryRead,
    OAuthToken,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from repository.client.service import OAuthError, api_clients
from repository.client.webhooks import webhooks
from web.deps import CurrentUser, ReadSession, RuntimeDep, client_ip, write_uow

router = APIRouter(tags=["api clients"])

OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "string",
            "enum": ["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope"],
        },
        "error_description": {"type": "string"},
    },
}
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}

MAX_TOKEN_REQUEST_BYTES = 8 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(exc: OAuthError, *, basic: bool) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="hoclieu"' if basic else 'Bearer realm="hoclieu"'
    return JSONResponse(exc.to_rfc(), status_code=exc.status_code, headers=headers)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed HTTP Basic credentials", status_code=401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed HTTP Basic credentials", status_code=401)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "send the parameters as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TOKEN_REQUEST_BYTES:
            raise OAuthError("invalid_request", "the request body is too large")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the body is not UTF-8") from None
    if any("\x00" in k or any("\x00" in v for v in values) for k, values in parsed.items()):
        raise OAuthError("invalid_request", "the parameters contain a NUL character")
    repeated = [k for k, v in parsed.items() if len(v) > 1]
    if repeated:  # RFC 6749 §3.2: parameters must not be included more than once
        raise OAuthError("invalid_request", f"the parameter {repeated[0]!r} is repeated")
    return {k: v[0] for k, v in parsed.items()}


@router.post(
    "/oauth/token",
    response_model=OAuthToken,
    summary="OAuth 2.0 client credentials: exchange a client's id and secret for a scoped bearer token",
    description=(
        "RFC 6749 §4.4. Body `application/x-www-form-urlencoded` with `grant_type=client_credentials` "
        "and optionally `scope` (space-separated, a subset of the client's scopes). Credentials as HTTP "
        "Basic (`client_id:client_secret`) or as `client_id` and `client_secret` body parameters. "
        'Errors are RFC 6749 §5.2 JSON: `{"error": "invalid_client"}` (401), `invalid_request`, '
        "`unsupported_grant_type`, `invalid_scope` (400)."
    ),
    responses={
        400: {
            "description": "RFC 6749 §5.2 error (invalid_request, unsupported_grant_type, invalid_scope), "
            "or a malformed request refused before it reached the endpoint",
            "content": {"application/json": {"schema": {"oneOf": [OAUTH_ERROR, ERROR_BODY]}}},
        },
        401: {
            "description": "RFC 6749 §5.2 invalid_client",
            "content": {"application/json": {"schema": OAUTH_ERROR}},
        },
    },
    openapi_extra={
        "x-own-errors": True,
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "scope": {"type": "string"},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                        },
                    }
                }
            },
        },
    },
)
async def oauth_token(request: Request, runtime: RuntimeDep) -> JSONResponse:
    authorization = request.headers.get("authorization", "")
    basic = authorization.lower().startswith("basic ")
    try:
        form = await _form(request)
        from_header = _basic(authorization) if authorization else None
        if from_header and ("client_id" in form or "client_secret" in form):
            raise OAuthError("invalid_request", "send the client credentials one way only (Basic or body)")
        client_id, secret = from_header or (form.get("client_id", ""), form.get("client_secret", ""))
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError("invalid_request", "grant_type is missing")
        if grant != "client_credentials":
            raise OAuthError("unsupported_grant_type", "only grant_type=client_credentials is supported")
        if not client_id or not secret:
            raise OAuthError("invalid_client", "client authentication is missing", status_code=401)
        requested = form["scope"].split() if form.get("scope", "").strip() else None
        ttl = runtime.settings.oauth_token_ttl_s
        with write_uow(runtime) as uow:
            token, record = api_clients.issue_token(
                uow.session, client_id, secret, requested, ttl=timedelta(seconds=ttl), ip=client_ip(request)
            )
            scopes = list(record.scopes or [])
    except OAuthError as exc:
        return _oauth_error(exc, basic=basic)
    body = OAuthToken(access_token=token, expires_in=ttl, scope=" ".join(scopes))
    return JSONResponse(body.model_dump(), headers=NO_STORE)


# --- administration (admins) ------------------------------------------------------------------


@router.get("/admin/clients", response_model=list[ClientRead], summary="All API clients (admins)")
def list_clients(session: ReadSession, user: CurrentUser) -> list[ClientRead]:
    return [ClientRead.model_validate(c) for c in api_clients.list(session, user)]


@router.post(
    "/admin/clients",
    response_model=ClientCreated,
    status_code=201,
    summary="Register an API client; its secret is shown once",
)
def create_client(
    body: ClientCreate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> ClientCreated:
    with write_uow(runtime) as uow:
        client, secret = api_clients.create(uow.session, uow.session.merge(user), body, ip=client_ip(request))
        read = ClientRead.model_validate(client)
    return ClientCreated(**read.model_dump(), client_secret=secret)


@router.get("/admin/clients/{client_id}", response_model=ClientRead, summary="One API client (admins)")
def get_client(client_id: str, session: ReadSession, user: CurrentUser) -> ClientRead:
    return ClientRead.model_validate(api_clients.get(session, user, client_id))


@router.patch(
    "/admin/clients/{client_id}",
    response_model=ClientRead,
    summary="Rename, change scopes, disable or enable an API client (narrowing revokes its tokens)",
)
def update_client(
    client_id: str, body: ClientUpdate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> ClientRead:
    with write_uow(runtime) as uow:
        client = api_clients.update(
            uow.session, uow.session.merge(user), client_id, body, ip=client_ip(request)
        )
        return ClientRead.model_validate(client)


@router.post(
    "/admin/clients/{client_id}/secret",
    response_model=ClientCreated,
    summary="Rotate an API client's secret: shown once; the old one and its tokens stop working",
)
def rotate_secret(client_id: str, request: Request, runtime: RuntimeDep, user: CurrentUser) -> ClientCreated:
    with write_uow(runtime) as uow:
        client, secret = api_clients.rotate_secret(
            uow.session, uow.session.merge(user), client_id, ip=client_ip(request)
        )
        read = ClientRead.model_validate(client)
    return ClientCreated(**read.model_dump(), client_secret=secret)


# --- webhooks (admins) -----------------------------------------------------------------------


@router.get(
    "/admin/clients/{client_id}/webhooks",
    response_model=list[WebhookRead],
    summary="A client's webhook subscriptions (admins)",
)
def list_webhooks(client_id: str, session: ReadSession, user: CurrentUser) -> list[WebhookRead]:
    return [WebhookRead.model_validate(s) for s in webhooks.list(session, user, client_id)]


@router.post(
    "/admin/clients/{client_id}/webhooks",
    response_model=WebhookCreated,
    status_code=201,
    summary="Subscribe a receiver URL to events; its HMAC key is shown once",
)
def create_webhook(
    client_id: str, body: WebhookCreate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> WebhookCreated:
    with write_uow(runtime) as uow:
        subscription, secret = webhooks.subscribe(
            uow.session, uow.session.merge(user), client_id, body, ip=client_ip(request)
        )
        read = WebhookRead.model_validate(subscription)
    return WebhookCreated(**read.model_dump(), secret=secret)


@router.get(
    "/admin/clients/{client_id}/deliveries",
    response_model=list[DeliveryRead],
    summary="A client's webhook delivery log, newest first (admins)",
)
def list_deliveries(client_id: str, session: ReadSession, user: CurrentUser) -> list[DeliveryRead]:
    return [DeliveryRead.model_validate(d) for d in webhooks.deliveries(session, user, client_id)]


@router.post(
    "/admin/webhook-deliveries/{delivery_id}/resend",
    response_model=DeliveryRead,
    status_code=202,
    summary="Send a webhook event again (a new delivery with the same event id)",
)
def resend_delivery(
    delivery_id: str, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> DeliveryRead:
    with write_uow(runtime) as uow:
        again = webhooks.resend(uow.session, uow.session.merge(user), delivery_id, ip=client_ip(request))
        return DeliveryRead.model_validate(again)
