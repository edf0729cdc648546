"""Admin pages for API clients (vendors' software) and their webhooks.

| page                                   | JSON twin                                      |
|----------------------------------------|------------------------------------------------|
| ``/admin/clients``                     | ``/api/v1/admin/clients``                      |
| ``POST /admin/clients``                | ``POST /api/v1/admin/clients``                 |
| ``/admin/clients/{id}``                | ``/api/v1/admin/clients/{id}``                 |
| ``POST /admin/clients/{id}``           | ``PATCH /api/v1/admin/clients/{id}``           |
| ``POST /admin/clients/{id}/secret``    | ``POST /api/v1/admin/clients/{id}/secret``     |

A secret is shown once, on the page that answers the post that created it (200, not a redirect,
so it never sits in a URL or the history).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repository.client.schemas import EVENTS, SCOPES, ClientCreate, ClientUpdate, WebhookCreate
from repository.client.service import api_clients
from repository.errors import ValidationFailed
from repository.models import User
from web.deps import ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.render import render
from web.portal.session import AdminPortalUser, check_csrf

router = APIRouter(include_in_schema=False)


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value)
    return fields


def _one(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0].strip()


def _secret_page(request: Request, user: User, client_id: str, secret: str) -> HTMLResponse:
    """The page that shows a client's new secret once (after creating it or rotating it)."""
    return render(
        request,
        "portal/admin_client_secret.html",
        {"client_id": client_id, "secret": secret, "webhook": None},
        user=user,
        twin=f"/api/v1/admin/clients/{client_id}",
    )


@router.get("/admin/clients", response_class=HTMLResponse)
def clients(request: Request, session: ReadSession, user: AdminPortalUser) -> HTMLResponse:
    return render(
        request,
        "portal/admin_clients.html",
        {"clients": api_clients.list(session, user), "scopes": SCOPES},
        user=user,
        twin="/api/v1/admin/clients",
    )


@router.post("/admin/clients", response_class=HTMLResponse)
async def create_client(request: Request, runtime: RuntimeDep, user: AdminPortalUser) -> HTMLResponse:
    fields = await _form(request)
    try:
        data = ClientCreate(
            name=_one(fields, "name"),
            organisation=_one(fields, "organisation"),
            scopes=fields.get("scopes", []),
        )
    except ValueError as exc:
        raise ValidationFailed("give the client a name and at least one scope") from exc
    with write_uow(runtime) as uow:
        client, secret = api_clients.create(uow.session, uow.session.merge(user), data, ip=client_ip(request))
        client_id = client.id
    return _secret_page(request, user, client_id, secret)


@router.get("/admin/clients/{client_id}", response_class=HTMLResponse)
def client_page(
    client_id: str, request: Request, session: ReadSession, user: AdminPortalUser
) -> HTMLResponse:
    from repository.client.webhooks import webhooks

    client = api_clients.get(session, user, client_id)
    subscriptions = webhooks.list(session, user, client_id)
    deliveries = webhooks.deliveries(session, user, client_id)
    return render(
        request,
        "portal/admin_client.html",
        {
            "client": client,
            "scopes": SCOPES,
            "events": EVENTS,
            "subscriptions": subscriptions,
            "deliveries": deliveries,
        },
        user=user,
        twin=f"/api/v1/admin/clients/{client_id}",
    )


@router.post("/admin/clients/{client_id}")
async def update_client(
    client_id: str, request: Request, runtime: RuntimeDep, user: AdminPortalUser
) -> Response:
    fields = await _form(request)
    try:
        change = ClientUpdate(
            name=_one(fields, "name") or None,
            organisation=_one(fields, "organisation") if "organisation" in fields else None,
            scopes=fields.get("scopes") or None,
            disabled=_one(fields, "disabled") == "on",
        )
    except ValueError as exc:
        raise ValidationFailed("the name or the scopes are not acceptable") from exc
    with write_uow(runtime) as uow:
        api_clients.update(uow.session, uow.session.merge(user), client_id, change, ip=client_ip(request))
    return RedirectResponse(f"/admin/clients/{client_id}", status_code=303)


@router.post("/admin/clients/{client_id}/secret", response_class=HTMLResponse)
async def rotate_secret(
    client_id: str, request: Request, runtime: RuntimeDep, user: AdminPortalUser
) -> HTMLResponse:
    await _form(request)
    with write_uow(runtime) as uow:
        _client, secret = api_clients.rotate_secret(
            uow.session, uow.session.merge(user), client_id, ip=client_ip(request)
        )
    return _secret_page(request, user, client_id, secret)


@router.post("/admin/clients/{client_id}/webhooks", response_class=HTMLResponse)
async def create_webhook(
    client_id: str, request: Request, runtime: RuntimeDep, user: AdminPortalUser
) -> HTMLResponse:
    from repository.client.webhooks import webhooks

    fields = await _form(request)
    try:
        data = WebhookCreate(url=_one(fields, "url"), events=fields.get("events", []))
    except ValueError as exc:
        raise ValidationFailed("give an http(s) URL and at least one event") from exc
    with write_uow(runtime) as uow:
        _subscription, secret = webhooks.subscribe(
            uow.session, uow.session.merge(user), client_id, data, ip=client_ip(request)
        )
    return render(
        request,
        "portal/admin_client_secret.html",
        {"client_id": client_id, "secret": secret, "webhook": True},
        user=user,
        twin=f"/api/v1/admin/clients/{client_id}/webhooks",
    )


@router.post("/admin/webhook-deliveries/{delivery_id}/resend")
async def resend_delivery(
    delivery_id: str, request: Request, runtime: RuntimeDep, user: AdminPortalUser
) -> Response:
    from repository.client.webhooks import webhooks

    await _form(request)
    with write_uow(runtime) as uow:
        again = webhooks.resend(uow.session, uow.session.merge(user), delivery_id, ip=client_ip(request))
        client_id = again.subscription.client_id
    return RedirectResponse(f"/admin/clients/{client_id}", status_code=303)
