"""LTI 1.3 tool endpoints: ``/lti/login``, ``/lti/launch``, ``/lti/jwks``, the framed viewer
and the Deep Linking picker, plus platform registration for admins (API and portal).

The protocol lives in ``repository.lti.service``; these routes only translate HTTP. Pages under
``/lti/`` may be framed by the registered platforms only: their ``Content-Security-Policy``
carries ``frame-ancestors 'self' <platform origins>``.

No CSRF token on the launch (a cross-site form post by design, authenticated by the platform's
signed id_token) nor on the picker's post (its URL holds an unguessable single-use pick id; a
cookie could not be relied on inside a third-party iframe).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from repository.lti import keys
from repository.lti.schemas import PlatformCreate, PlatformRead
from repository.lti.service import LtiRefused, lti, origin
from repository.material.service import material as material_service
from repository.models import Material, WorkflowState
from search.query import SearchQuery
from search.service import search as search_service
from web.deps import CurrentUser, ReadSession, RuntimeDep, client_ip, write_uow
from web.portal.render import render
from web.portal.session import AdminPortalUser, check_csrf
from web.security_headers import portal_csp

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["lti"])

PICK_PAGE_SIZE = 20


def frame_policy(request: Request, session: ReadSession, *, form_to: str | None = None) -> str:
    """The portal's CSP (web/security_headers.py) with ``frame-ancestors`` naming the registered
    platforms, and ``form-action`` also allowing ``form_to`` (the LMS's deep-link return URL)."""
    settings = request.app.state.settings
    policy = portal_csp(settings, getattr(request.state, "csp_nonce", "") or secrets.token_urlsafe(18))
    ancestors = " ".join(["'self'", *lti.frame_ancestors(session)])
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    directives = [d for d in directives if not d.startswith(("frame-ancestors", "form-action"))]
    directives.append("form-action 'self'" + (f" {origin(form_to)}" if form_to else ""))
    directives.append(f"frame-ancestors {ancestors}")
    return "; ".join(directives)


def _framed(
    request: Request, response: Response, session: ReadSession, *, form_to: str | None = None
) -> Response:
    response.headers["Content-Security-Policy"] = frame_policy(request, session, form_to=form_to)
    response.headers["Cache-Control"] = "no-store"
    return response


def refused(request: Request, runtime: RuntimeDep, exc: LtiRefused) -> Response:
    """A clear page saying why a launch was refused (in the LMS frame), never the sign-in prompt."""
    request.state.lti_embed = True
    with runtime.db.read() as session:
        response = render(
            request, "portal/lti_error.html", {"detail": exc.message}, user=None, status_code=exc.status_code
        )
        return _framed(request, response, session)


async def _params(request: Request) -> dict[str, str]:
    """Login parameters arrive as a query (GET) or a form (POST); both are allowed by the spec."""
    found = dict(request.query_params.items())
    if request.method == "POST":
        form = await request.form()
        found |= {k: v for k, v in form.items() if isinstance(v, str)}
    return {k: v[:2000] for k, v in found.items()}


@router.api_route("/lti/login", methods=["GET", "POST"])
async def login(request: Request, runtime: RuntimeDep) -> Response:
    params = await _params(request)
    try:
        with write_uow(runtime) as uow:
            target = lti.login(uow.session, runtime.settings, params)
    except LtiRefused as exc:
        return refused(request, runtime, exc)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


@router.post("/lti/launch")
def launch(
    request: Request,
    runtime: RuntimeDep,
    id_token: Annotated[str, Form(max_length=20_000)] = "",
    state: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with write_uow(runtime) as uow:
            outcome = lti.launch(uow.session, runtime.settings, id_token=id_token, state=state)
    except LtiRefused as exc:
        return refused(request, runtime, exc)
    target = (
        f"/lti/view/{outcome.material_id}"
        if outcome.kind == "resource"
        else f"/lti/deep-link/{outcome.pick_id}"
    )
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/lti/jwks")
def jwks(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(keys.jwks(runtime.settings), headers={"Cache-Control": "public, max-age=300"})


@router.get("/lti/view/{material_id}", response_class=HTMLResponse)
def view(
    material_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    quality: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The material's viewer, without the portal's header and footer (fits an LMS iframe).
    Public materials only: the launch carries no Hoclieu account."""
    from web.portal.material import material_page

    request.state.lti_embed = True
    response = material_page(
        material_id=material_id,
        request=request,
        runtime=runtime,
        session=session,
        user=None,
        page=page,
        quality=quality,
    )
    return _framed(request, response, session)


def _public(session: ReadSession, ids: list[str]) -> list[Material]:
    found = []
    for material_id in dict.fromkeys(ids):
        m = material_service.get(session, None, material_id)
        if m.state == WorkflowState.approved:
            found.append(m)
    return found


@router.get("/lti/deep-link/{pick_id}", response_class=HTMLResponse)
def pick_page(
    pick_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    q: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    try:
        lti.pick_session(session, pick_id)
    except LtiRefused as exc:
        return refused(request, runtime, exc)
    # Without a query the newest public materials are offered, so the page is never empty.
    query = SearchQuery(
        text=q, sort="relevance" if q.strip() else "newest", size=PICK_PAGE_SIZE, with_facets=False
    )
    hits = search_service.search_page(runtime.settings, None, query).hits
    request.state.lti_embed = True
    response = render(request, "portal/lti_pick.html", {"pick_id": pick_id, "q": q, "hits": hits}, user=None)
    return _framed(request, response, session)


@router.post("/lti/deep-link/{pick_id}", response_class=HTMLResponse)
async def pick(pick_id: str, request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    ids = [v for v in form.getlist("material") if isinstance(v, str)][:50]
    try:
        with write_uow(runtime) as uow:
            materials = _public(uow.session, ids)
            return_url, token = lti.deep_link_response(uow.session, runtime.settings, pick_id, materials)
            titles = [m.title for m in materials]
    except LtiRefused as exc:
        return refused(request, runtime, exc)
    request.state.lti_embed = True
    with runtime.db.read() as session:
        response = render(
            request,
            "portal/lti_return.html",
            {"return_url": return_url, "jwt": token, "titles": titles},
            user=None,
        )
        return _framed(request, response, session, form_to=return_url)


# --- platform registration (admins) -----------------------------------------------------------


@api.get(
    "/admin/lti/platforms", response_model=list[PlatformRead], summary="Registered LTI 1.3 platforms (admins)"
)
def list_platforms(session: ReadSession, user: CurrentUser) -> list[PlatformRead]:
    return [PlatformRead.model_validate(p) for p in lti.list(session, user)]


@api.post(
    "/admin/lti/platforms",
    response_model=PlatformRead,
    status_code=201,
    summary="Register an LMS as an LTI 1.3 platform (issuer, client id, deployments, OIDC and JWKS URLs)",
)
def register_platform(
    body: PlatformCreate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> PlatformRead:
    with write_uow(runtime) as uow:
        platform = lti.register(uow.session, uow.session.merge(user), body, ip=client_ip(request))
        return PlatformRead.model_validate(platform)


@router.get("/admin/lti", response_class=HTMLResponse)
def platforms_page(
    request: Request, runtime: RuntimeDep, session: ReadSession, user: AdminPortalUser
) -> HTMLResponse:
    base = runtime.settings.base_url.rstrip("/")
    return render(
        request,
        "portal/admin_lti.html",
        {
            "platforms": lti.list(session, user),
            "tool": {
                "login": f"{base}/lti/login",
                "launch": f"{base}/lti/launch",
                "jwks": f"{base}/lti/jwks",
            },
        },
        user=user,
        twin="/api/v1/admin/lti/platforms",
    )


@router.post("/admin/lti")
async def register_platform_form(request: Request, runtime: RuntimeDep, user: AdminPortalUser) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    values = {
        k: str(form.get(k, "")).strip()
        for k in ("name", "issuer", "client_id", "auth_login_url", "auth_token_url", "jwks_url")
    }
    deployments = [
        d.strip() for d in str(form.get("deployment_ids", "")).replace(",", " ").split() if d.strip()
    ]
    try:
        data = PlatformCreate(**values, deployment_ids=deployments)
    except ValueError as exc:
        from repository.errors import ValidationFailed

        raise ValidationFailed(
            "fill in every field with http(s) URLs and at least one deployment id"
        ) from exc
    with write_uow(runtime) as uow:
        lti.register(uow.session, uow.session.merge(user), data, ip=client_ip(request))
    return RedirectResponse("/admin/lti", status_code=303)
