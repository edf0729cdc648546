"""The authorisation matrix: every route of the app x every kind of caller → the expected status.

Routes are read from the app itself, so a new route without a row here fails
``test_every_route_has_a_row``. Each cell runs against a fresh world (one test per cell), because
many calls change state (a review decides, a revoke revokes).

World: ``co_lan`` (teacher) owns a submitted grade-5 maths material ``sub`` (file, thumbnail, HLS
playlist), a ready draft ``draft`` with two files and an approved, signed ``pub``. Curators:
``thay_toan`` (toan, grade 5) and ``co_van`` (ngu-van).

Organisation callers: the organisation ``dhsp`` contributes co_lan's three materials (she is one of
its members). ``co_hoa`` (teacher) is a member, ``thay_duc`` (a curator of literature) its
curator, which adds the organisation's materials to what he reviews, and ``co_nga`` (teacher) its
manager. Rows written before
organisations existed give them the status of the caller they stand beside (members and the
manager: another teacher; the organisation's curator: the curator in scope), see
``_with_organisation_callers``; rows of organisation routes name all ten.

API rows send the role's bearer token. Portal rows (HTML pages and forms) send what a browser
sends: the ``hl_session`` cookie holding the role's token, ``Accept: text/html``, and on every
POST the CSRF token that the portal derives from the ``hl_csrf`` cookie and the session. Redirects
are not followed: an anonymous visitor of a signed-in page gets 303 to ``/signin``.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from repository.client.schemas import ClientCreate, WebhookCreate
from repository.client.service import api_clients
from repository.client.webhooks import webhooks
from repository.curation.decisions import reviews
from repository.curation.schemas import Decision
from repository.curation.version_files import version_files
from repository.curation.workflow import workflow
from repository.material.service import NewFile
from repository.models import Derivative, MemberRole, OrganisationKind, Role
from repository.organisation.schemas import MemberAdd, OrganisationCreate
from repository.organisation.service import organisations
from repository.signing import signer_for
from repository.uow import UnitOfWork
from repository.upload.service import upload as upload_service
from repository.user.service import user as user_service
from search.service import close_backend
from tests.factories import PASSWORD, create_material
from tests.repository.curation.helpers import MATH_5, RUBRIC_OK, finish_ingest, person

ROLES = (
    "anonymous",
    "student",
    "teacher",
    "other_teacher",
    "curator_in",
    "curator_out",
    "admin",
    "org_member",
    "org_curator",
    "org_manager",
)
USERNAMES = {
    "student": "hoc_sinh",
    "teacher": "co_lan",
    "other_teacher": "co_mai",
    "curator_in": "thay_toan",
    "curator_out": "co_van",
    "admin": "quan_tri",
    "org_member": "co_hoa",
    "org_curator": "thay_duc",
    "org_manager": "co_nga",
}


CSRF_SEED = "matrix-csrf-seed"


@dataclass
class World:
    ids: dict[str, str]
    tokens: dict[str, str]
    secret: str = ""

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}

    def cookies(self, role: str) -> dict[str, str]:
        """A browser's cookies: the CSRF seed, and the portal session when signed in."""
        jar = {"hl_csrf": CSRF_SEED}
        if role in self.tokens:
            jar["hl_session"] = f"{self.ids[f'token_{role}']}:{self.tokens[role]}"
        return jar

    def csrf(self, role: str) -> str:
        """The token the portal puts in this browser's forms (HMAC of seed and session cookie)."""
        session = self.cookies(role).get("hl_session", "")
        message = f"{CSRF_SEED}|{session}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()


def _blob(runtime: Any, data: bytes) -> Any:
    staged = runtime.blobs.stage()
    staged.write(data)
    return staged.commit()


def build_world(runtime: Any) -> World:
    from datetime import timedelta

    signer = signer_for(runtime.settings)
    ids: dict[str, str] = {}
    tokens: dict[str, str] = {}
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        users = {
            "student": person(s, "hoc_sinh", Role.student),
            "teacher": person(s, "co_lan", Role.teacher),
            "other_teacher": person(s, "co_mai", Role.teacher),
            "curator_in": person(s, "thay_toan", Role.curator, MATH_5),
            "curator_out": person(s, "co_van", Role.curator, {"subjects": ["ngu-van"]}),
            "admin": person(s, "quan_tri", Role.admin),
            "org_member": person(s, "co_hoa", Role.teacher),
            # His own scope (literature) leaves the world's maths out: only the organisation's
            # curator role lets him review them.
            "org_curator": person(s, "thay_duc", Role.curator, {"subjects": ["ngu-van"]}),
            "org_manager": person(s, "co_nga", Role.teacher),
        }
        org = organisations.create(
            s,
            users["admin"],
            OrganisationCreate(slug="dhsp", name="ĐH Sư phạm", kind=OrganisationKind.university),
        )
        for role, member_role in (
            ("org_manager", MemberRole.manager),
            ("org_member", MemberRole.member),
            ("org_curator", MemberRole.curator),
            ("teacher", MemberRole.member),
        ):
            organisations.add_member(
                s, users["admin"], "dhsp", MemberAdd(username=users[role].username, role=member_role)
            )
        for role, u in users.items():
            tokens[role], record = user_service.issue_token(s, u, ttl=timedelta(hours=1), name="matrix")
            ids[f"token_{role}"] = record.id
            ids[f"user_{role}"] = u.id
        teacher = users["teacher"]
        sub = create_material(s, runtime, teacher, title="Phân số", metadata=MATH_5, content=b"%PDF-1.4 sub")
        draft = create_material(s, runtime, teacher, title="Nháp", metadata=MATH_5, content=b"%PDF-1.4 draft")
        pub = create_material(s, runtime, teacher, title="Đã duyệt", metadata=MATH_5, content=b"%PDF-1.4 pub")
        for m in (sub, draft, pub):
            m.organisation_id = org.id
        file_id = sub.files[0].id
        ids["sub_sha"] = sub.files[0].sha256
        ids["draft_file"] = draft.files[0].id
        extra = NewFile(
            filename="dap-an.txt", blob=_blob(runtime, "Đáp án".encode()), media_type="text/plain"
        )
        version_files.add_files(s, teacher, draft.id, files=[extra])
        for m in (sub, draft, pub):
            finish_ingest(s, m)
        thumb = _blob(runtime, b"RIFF....WEBPthumb")
        playlist = _blob(runtime, b"#EXTM3U\n")
        d = Derivative(
            file_id=file_id,
            kind="thumbnail",
            label="small",
            media_type="image/webp",
            size=thumb.size,
            sha256=thumb.sha256,
            storage_key=thumb.key,
        )
        hls = Derivative(
            file_id=file_id,
            kind="hls",
            label="master.m3u8",
            media_type="application/vnd.apple.mpegurl",
            size=playlist.size,
            sha256=playlist.sha256,
            storage_key=playlist.key,
        )
        s.add_all([d, hls])
        workflow.submit(s, teacher, sub.id)
        workflow.submit(s, teacher, pub.id)
        reviews.decide(
            s,
            users["curator_in"],
            pub.id,
            decision=Decision.approve,
            comment=None,
            rubric=RUBRIC_OK,
            signer=signer,
        )
        s.flush()
        ids.update(sub=sub.id, draft=draft.id, pub=pub.id, file=file_id, derivative=d.id)
        opened = upload_service.create(
            s,
            teacher,
            runtime.blobs,
            filename="video.mp4",
            length=10,
            content_type="video/mp4",
            max_bytes=runtime.settings.max_upload_bytes,
        )
        ids["upload"] = opened.id
        vendor, ids["client_secret"] = api_clients.create(
            s, users["admin"], ClientCreate(name="LMS Sở GD", organisation="Sở GD", scopes=["materials:read"])
        )
        ids["client"] = vendor.id
        _hook, _ = webhooks.subscribe(
            s,
            users["admin"],
            vendor.id,
            WebhookCreate(url="http://127.0.0.1:9/hooks", events=["material.published"]),
        )
        webhooks.emit(s, "material.published", pub)
        ids["delivery"] = webhooks.deliveries(s, users["admin"], vendor.id)[0].id
    return World(ids=ids, tokens=tokens, secret=runtime.settings.secret_key)


Req = Callable[[World, str], dict[str, Any]]


def get(url: str, **kw: Any) -> Req:
    return lambda w, _role: {"method": "GET", "url": url.format(**w.ids), **kw}


def send(method: str, url: str, json: Any = None) -> Req:
    def build(w: World, _role: str) -> dict[str, Any]:
        body = json(w) if callable(json) else json
        return {"method": method, "url": url.format(**w.ids), "json": body}

    return build


def sign_in(_w: World, role: str) -> dict[str, Any]:
    username = USERNAMES.get(role, "khach")
    return {
        "method": "POST",
        "url": "/api/v1/auth/token",
        "data": {"username": username, "password": PASSWORD},
    }


def client_credentials(w: World, _role: str) -> dict[str, Any]:
    """The OAuth token request of the world's API client: no person's token, the same for everyone."""
    return {
        "method": "POST",
        "url": "/api/v1/oauth/token",
        "data": {"grant_type": "client_credentials"},
        "headers_extra": {
            "Authorization": "Basic "
            + b64encode(f"{w.ids['client']}:{w.ids['client_secret']}".encode()).decode()
        },
    }


def tus(method: str, url: str, **headers: str) -> Req:
    """A resumable-upload request; ``{upload}`` is a session the teacher (co_lan) opened."""

    def build(w: World, _role: str) -> dict[str, Any]:
        return {
            "method": method,
            "url": url.format(**w.ids),
            "headers_extra": {"Tus-Resumable": "1.0.0", **headers},
        }

    return build


def tus_chunk(w: World, _role: str) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "url": f"/api/v1/uploads/{w.ids['upload']}",
        "content": b"12345",
        "headers_extra": {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    }


def add_file(_w: World, _role: str) -> dict[str, Any]:
    return {
        "method": "POST",
        "url": "/api/v1/materials/{draft}/files".format(**_w.ids),
        "files": [("file", ("bai-2.txt", "Bài tập 2".encode(), "text/plain"))],
    }


def page(url: str) -> Req:
    """A portal page, as a browser asks for it."""
    return lambda w, role: {"method": "GET", "url": url.format(**w.ids), "portal": True}


def form(url: str, data: dict[str, Any] | None = None) -> Req:
    """A portal form post with the browser's CSRF token."""

    def build(w: World, role: str) -> dict[str, Any]:
        fields = {k: (v.format(**w.ids) if isinstance(v, str) else v) for k, v in (data or {}).items()}
        return {
            "method": "POST",
            "url": url.format(**w.ids),
            "data": {**fields, "csrf_token": w.csrf(role)},
            "portal": True,
        }

    return build


def portal_sign_in(w: World, role: str) -> dict[str, Any]:
    fields = {"username": USERNAMES.get(role, "khach"), "password": PASSWORD, "csrf_token": w.csrf(role)}
    return {"method": "POST", "url": "/signin", "data": fields, "portal": True}


def portal_upload(w: World, role: str) -> dict[str, Any]:
    # A multipart body is streamed: the token is its first field, checked before any file is stored.
    return {
        "method": "POST",
        "url": "/teach/upload",
        "data": {"csrf_token": w.csrf(role)},
        "files": [("file", ("bai.txt", "Bài tập".encode(), "text/plain"))],
        "portal": True,
    }


def upload(_w: World, _role: str) -> dict[str, Any]:
    return {
        "method": "POST",
        "url": "/api/v1/materials",
        "files": [("file", ("bai.txt", "Bài tập".encode(), "text/plain"))],
    }


# Expected status per role, in ROLES order:
#          anonymous, student, teacher(owner), other_teacher, curator_in, curator_out, admin
ALL_200 = (200,) * 7
SIGNED_IN = (401, 200, 200, 200, 200, 200, 200)
PRIVATE_SUB = (404, 404, 200, 404, 200, 404, 200)  # a submitted material: owner, curator in scope, admin
CURATORS = (401, 403, 403, 403, 200, 200, 200)
ADMINS = (401, 403, 403, 403, 403, 403, 200)
REVIEW = (401, 403, 403, 403, 200, 404, 200)
# Out-of-scope curator: the material does not exist for them.
# Upload sessions: the owner only, not even admins.
OWN_UPLOAD = (401, 403, 200, 404, 404, 404, 404)

MATRIX: dict[tuple[str, str], tuple[Req, tuple[int, ...]]] = {
    ("GET", "/api/openapi.json"): (get("/api/openapi.json"), ALL_200),
    ("GET", "/api/docs"): (get("/api/docs"), ALL_200),
    ("GET", "/docs/oauth2-redirect"): (get("/docs/oauth2-redirect"), ALL_200),
    ("GET", "/"): (get("/"), ALL_200),
    ("GET", "/api/v1/health"): (get("/api/v1/health"), ALL_200),
    ("GET", "/api/v1/health/live"): (get("/api/v1/health/live"), ALL_200),
    # Not ready for anyone: no worker serves the queues in this test.
    ("GET", "/api/v1/health/ready"): (get("/api/v1/health/ready"), (503,) * 7),
    ("POST", "/api/v1/auth/token"): (sign_in, SIGNED_IN),
    ("GET", "/api/v1/auth/me"): (get("/api/v1/auth/me"), SIGNED_IN),
    ("POST", "/api/v1/materials"): (upload, (401, 403, 201, 201, 201, 201, 201)),
    ("GET", "/api/v1/materials"): (get("/api/v1/materials"), ALL_200),
    # Resumable uploads: a session exists only for its owner (the teacher); anyone else gets 404.
    ("OPTIONS", "/api/v1/uploads"): (tus("OPTIONS", "/api/v1/uploads"), (204,) * 7),
    ("POST", "/api/v1/uploads"): (
        tus("POST", "/api/v1/uploads", **{"Upload-Length": "10", "Upload-Metadata": "filename YS5tcDQ="}),
        (401, 403, 201, 201, 201, 201, 201),
    ),
    ("GET", "/api/v1/uploads/{upload_id}"): (tus("GET", "/api/v1/uploads/{upload}"), OWN_UPLOAD),
    ("PATCH", "/api/v1/uploads/{upload_id}"): (tus_chunk, (401, 403, 204, 404, 404, 404, 404)),
    ("DELETE", "/api/v1/uploads/{upload_id}"): (
        tus("DELETE", "/api/v1/uploads/{upload}"),
        (401, 403, 204, 404, 404, 404, 404),
    ),
    ("GET", "/api/v1/materials/{material_id}"): (get("/api/v1/materials/{sub}"), PRIVATE_SUB),
    ("GET", "/api/v1/materials/{material_id}/files/{file_id}"): (
        get("/api/v1/materials/{sub}/files/{file}"),
        PRIVATE_SUB,
    ),
    # Prometheus metrics are open unless HOCLIEU_METRICS_TOKEN is set (tests/web/test_metrics.py).
    ("GET", "/metrics"): (get("/metrics"), ALL_200),
    # Content-addressed URLs serve approved content only: a submission's sha256 opens nothing, for anyone.
    ("GET", "/api/v1/files/{sha256}"): (get("/api/v1/files/{sub_sha}"), (404,) * 7),
    ("GET", "/api/v1/materials/{material_id}/files/{file_id}/derivatives/{derivative_id}"): (
        get("/api/v1/materials/{sub}/files/{file}/derivatives/{derivative}"),
        PRIVATE_SUB,
    ),
    ("GET", "/api/v1/materials/{material_id}/files/{file_id}/hls/{path:path}"): (
        get("/api/v1/materials/{sub}/files/{file}/hls/master.m3u8"),
        PRIVATE_SUB,
    ),
    ("GET", "/api/v1/vocabularies"): (get("/api/v1/vocabularies"), ALL_200),
    ("GET", "/api/v1/vocabularies/{name}"): (get("/api/v1/vocabularies/subject"), ALL_200),
    ("GET", "/api/v1/search"): (get("/api/v1/search?q=phân số"), ALL_200),
    ("GET", "/api/v1/suggest"): (get("/api/v1/suggest?q=phan"), ALL_200),
    ("GET", "/api/v1/browse"): (get("/api/v1/browse"), ALL_200),
    # Metadata exports follow the material's own visibility; OAI-PMH serves approved material to anyone.
    ("GET", "/api/v1/materials/{material_id}/lrmi"): (get("/api/v1/materials/{sub}/lrmi"), PRIVATE_SUB),
    ("GET", "/api/v1/materials/{material_id}/oai_dc"): (get("/api/v1/materials/{sub}/oai_dc"), PRIVATE_SUB),
    ("GET", "/api/v1/exports/common-cartridge"): (
        get("/api/v1/exports/common-cartridge?material={sub}"),
        PRIVATE_SUB,
    ),
    ("GET", "/oai"): (get("/oai?verb=Identify"), ALL_200),
    ("POST", "/oai"): (send("POST", "/oai"), ALL_200),
    # Related lists public material only, so an unapproved one has no page for anyone.
    ("GET", "/api/v1/materials/{material_id}/related"): (get("/api/v1/materials/{sub}/related"), (404,) * 7),
    ("POST", "/api/v1/materials/{material_id}/submit"): (
        send("POST", "/api/v1/materials/{draft}/submit"),
        (401, 404, 200, 404, 404, 404, 200),
    ),
    ("POST", "/api/v1/materials/{material_id}/withdraw"): (
        send("POST", "/api/v1/materials/{sub}/withdraw"),
        (401, 404, 200, 404, 403, 404, 200),
    ),
    ("PATCH", "/api/v1/materials/{material_id}"): (
        send("PATCH", "/api/v1/materials/{draft}", {"metadata": {"title": "Sửa"}}),
        (401, 404, 200, 404, 404, 404, 200),
    ),
    ("GET", "/api/v1/materials/{material_id}/versions"): (
        get("/api/v1/materials/{sub}/versions"),
        PRIVATE_SUB,
    ),
    ("GET", "/api/v1/materials/{material_id}/versions/{number}"): (
        get("/api/v1/materials/{sub}/versions/1"),
        PRIVATE_SUB,
    ),
    ("GET", "/api/v1/materials/{material_id}/signature"): (get("/api/v1/materials/{pub}/signature"), ALL_200),
    ("POST", "/api/v1/materials/{material_id}/claim"): (
        send("POST", "/api/v1/materials/{sub}/claim"),
        REVIEW,
    ),
    ("GET", "/api/v1/materials/{material_id}/comments"): (
        get("/api/v1/materials/{sub}/comments"),
        (401, 404, 200, 404, 200, 404, 200),
    ),
    ("POST", "/api/v1/materials/{material_id}/comments"): (
        send("POST", "/api/v1/materials/{sub}/comments", {"body": "Cần thêm đáp án"}),
        (401, 404, 201, 404, 201, 404, 201),
    ),
    ("POST", "/api/v1/materials/{material_id}/review"): (
        send("POST", "/api/v1/materials/{sub}/review", {"decision": "approve", "rubric": RUBRIC_OK}),
        REVIEW,
    ),
    ("POST", "/api/v1/review/bulk"): (
        send(
            "POST",
            "/api/v1/review/bulk",
            lambda w: {"material_ids": [w.ids["sub"]], "decision": "reject", "comment": "Trùng"},
        ),
        CURATORS,
    ),
    ("GET", "/api/v1/review/queue"): (get("/api/v1/review/queue"), CURATORS),
    ("GET", "/api/v1/review/integrity"): (get("/api/v1/review/integrity"), CURATORS),
    ("GET", "/api/v1/keys"): (get("/api/v1/keys"), ALL_200),
    ("GET", "/api/v1/admin/users"): (get("/api/v1/admin/users"), ADMINS),
    ("POST", "/api/v1/admin/users"): (
        send("POST", "/api/v1/admin/users", {"username": "moi", "role": "teacher"}),
        (401, 403, 403, 403, 403, 403, 201),
    ),
    ("PATCH", "/api/v1/admin/users/{user_id}"): (
        send("PATCH", "/api/v1/admin/users/{user_teacher}", {"role": "curator", "scope": {"grades": [5]}}),
        ADMINS,
    ),
    ("GET", "/api/v1/audit"): (get("/api/v1/audit"), ADMINS),
    # API clients: OAuth client credentials (the client's own secret, whoever sends it) and admin screens.
    ("POST", "/api/v1/oauth/token"): (client_credentials, ALL_200),
    ("GET", "/api/v1/admin/clients"): (get("/api/v1/admin/clients"), ADMINS),
    ("POST", "/api/v1/admin/clients"): (
        send("POST", "/api/v1/admin/clients", {"name": "Moodle", "scopes": ["materials:read"]}),
        (401, 403, 403, 403, 403, 403, 201),
    ),
    ("GET", "/api/v1/admin/clients/{client_id}"): (get("/api/v1/admin/clients/{client}"), ADMINS),
    ("PATCH", "/api/v1/admin/clients/{client_id}"): (
        send("PATCH", "/api/v1/admin/clients/{client}", {"scopes": ["harvest"]}),
        ADMINS,
    ),
    ("POST", "/api/v1/admin/clients/{client_id}/secret"): (
        send("POST", "/api/v1/admin/clients/{client}/secret"),
        ADMINS,
    ),
    ("GET", "/api/v1/admin/clients/{client_id}/webhooks"): (
        get("/api/v1/admin/clients/{client}/webhooks"),
        ADMINS,
    ),
    ("POST", "/api/v1/admin/clients/{client_id}/webhooks"): (
        send(
            "POST",
            "/api/v1/admin/clients/{client}/webhooks",
            {"url": "https://lms.example.vn/h", "events": ["material.updated"]},
        ),
        (401, 403, 403, 403, 403, 403, 201),
    ),
    ("GET", "/api/v1/admin/clients/{client_id}/deliveries"): (
        get("/api/v1/admin/clients/{client}/deliveries"),
        ADMINS,
    ),
    # LTI 1.3: the protocol endpoints are for platforms and browsers, never a Hoclieu role; malformed
    # requests are 400, unknown picks 401 (a clear page), the framed viewer shows public material.
    ("GET", "/lti/login"): (get("/lti/login"), (400,) * 7),
    ("POST", "/lti/login"): (send("POST", "/lti/login"), (400,) * 7),
    ("POST", "/lti/launch"): (send("POST", "/lti/launch"), (400,) * 7),
    ("GET", "/lti/jwks"): (get("/lti/jwks"), ALL_200),
    ("GET", "/lti/view/{material_id}"): (get("/lti/view/{pub}"), ALL_200),
    ("GET", "/lti/deep-link/{pick_id}"): (get("/lti/deep-link/unknown-pick"), (401,) * 7),
    ("POST", "/lti/deep-link/{pick_id}"): (send("POST", "/lti/deep-link/unknown-pick"), (401,) * 7),
    ("GET", "/api/v1/admin/lti/platforms"): (get("/api/v1/admin/lti/platforms"), ADMINS),
    ("POST", "/api/v1/admin/lti/platforms"): (
        send(
            "POST",
            "/api/v1/admin/lti/platforms",
            {
                "name": "Moodle",
                "issuer": "https://lms.example.vn",
                "client_id": "hl",
                "deployment_ids": ["1"],
                "auth_login_url": "https://lms.example.vn/auth",
                "jwks_url": "https://lms.example.vn/jwks",
            },
        ),
        (401, 403, 403, 403, 403, 403, 201),
    ),
    ("POST", "/api/v1/admin/webhook-deliveries/{delivery_id}/resend"): (
        send("POST", "/api/v1/admin/webhook-deliveries/{delivery}/resend"),
        (401, 403, 403, 403, 403, 403, 202),
    ),
    ("POST", "/api/v1/auth/password"): (
        send(
            "POST",
            "/api/v1/auth/password",
            {"current_password": PASSWORD, "new_password": "mat-khau-moi-dai-2"},
        ),
        (401, 204, 204, 204, 204, 204, 204),
    ),
    ("GET", "/api/v1/auth/tokens"): (get("/api/v1/auth/tokens"), SIGNED_IN),
    ("POST", "/api/v1/auth/tokens"): (
        send("POST", "/api/v1/auth/tokens", {"name": "máy"}),
        (401, 201, 201, 201, 201, 201, 201),
    ),
    # The teacher's token: its owner and admins may revoke it; for anyone else it does not exist.
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): (
        send("DELETE", "/api/v1/auth/tokens/{token_teacher}"),
        (401, 404, 204, 404, 404, 404, 204),
    ),
}


# Portal pages (cookie session): 303 = anonymous sent to /signin (or a form's redirect after success).
SIGNIN = 303
TEACH = (SIGNIN, 403, 200, 200, 200, 200, 200)
TEACH_POST = (SIGNIN, 403, 303, 303, 303, 303, 303)
OWN_DRAFT = (SIGNIN, 403, 200, 404, 404, 404, 200)  # curators do not see drafts
OWN_DRAFT_POST = (SIGNIN, 403, 303, 404, 404, 404, 303)
CURATOR_PAGES = (SIGNIN, 403, 403, 403, 200, 200, 200)
ADMIN_PAGES = (SIGNIN, 403, 403, 403, 403, 403, 200)
RUBRIC_FORM = {f"rubric.{k}": "on" for k, v in RUBRIC_OK.items() if v}
DETAILS = {"title": "Sửa", "license": "CC-BY-4.0", "grades": "5", "subjects": "toan"}

MATRIX.update(
    {
        # Curation additions to the API.
        ("POST", "/api/v1/materials/{material_id}/takedown"): (
            send("POST", "/api/v1/materials/{pub}/takedown", {"reason": "Sai đáp án"}),
            (401, 403, 200, 403, 200, 403, 200),
        ),
        ("POST", "/api/v1/materials/{material_id}/files"): (add_file, (401, 404, 201, 404, 404, 404, 201)),
        ("DELETE", "/api/v1/materials/{material_id}/files/{file_id}"): (
            send("DELETE", "/api/v1/materials/{draft}/files/{draft_file}"),
            (401, 404, 200, 404, 404, 404, 200),
        ),
        # Portal: reading.
        ("GET", "/grades/{grade}"): (page("/grades/5"), ALL_200),
        ("GET", "/grades/{grade}/{subject}"): (page("/grades/5/toan"), ALL_200),
        ("GET", "/search"): (page("/search?q=phân số"), ALL_200),
        ("GET", "/m/{material_id}"): (page("/m/{sub}"), PRIVATE_SUB),
        ("GET", "/m/{material_id}/text"): (page("/m/{sub}/text"), PRIVATE_SUB),
        # A student account's progress; other signed-in people: accepted, nothing kept.
        ("POST", "/progress/{material_id}"): (
            form("/progress/{pub}", {"event": "opened"}),
            (SIGNIN, 204, 204, 204, 204, 204, 204),
        ),
        # Portal: sessions. A wrong password is 401 with the form again; sign-out always ends at "/".
        ("GET", "/signin"): (page("/signin"), ALL_200),
        ("POST", "/signin"): (portal_sign_in, (401, 303, 303, 303, 303, 303, 303)),
        ("POST", "/signout"): (form("/signout"), (303,) * 7),
        # Portal: password change (any signed-in account; this session stays, the others go).
        ("GET", "/account/password"): (page("/account/password"), (SIGNIN, 200, 200, 200, 200, 200, 200)),
        ("POST", "/account/password"): (
            form("/account/password", {"current_password": PASSWORD, "new_password": "mat-khau-moi-dai-2"}),
            (SIGNIN, 200, 200, 200, 200, 200, 200),
        ),
        # Portal: the teacher's desk.
        ("GET", "/teach"): (page("/teach"), TEACH),
        ("GET", "/teach/upload"): (page("/teach/upload"), TEACH),
        ("POST", "/teach/upload"): (portal_upload, TEACH_POST),
        ("GET", "/teach/m/{material_id}"): (page("/teach/m/{draft}"), OWN_DRAFT),
        ("GET", "/teach/m/{material_id}/status"): (page("/teach/m/{draft}/status"), OWN_DRAFT),
        ("POST", "/teach/m/{material_id}"): (form("/teach/m/{draft}", DETAILS), OWN_DRAFT_POST),
        ("POST", "/teach/m/{material_id}/submit"): (form("/teach/m/{draft}/submit"), OWN_DRAFT_POST),
        ("POST", "/teach/m/{material_id}/withdraw"): (
            form("/teach/m/{sub}/withdraw"),
            (SIGNIN, 403, 303, 404, 403, 404, 303),
        ),
        ("POST", "/teach/m/{material_id}/comment"): (
            form("/teach/m/{sub}/comment", {"body": "Cần thêm đáp án"}),
            (SIGNIN, 403, 303, 404, 303, 404, 303),
        ),
        # Portal: review.
        ("GET", "/review"): (page("/review"), CURATOR_PAGES),
        ("POST", "/review/bulk"): (
            form("/review/bulk", {"ids": "{sub}", "decision": "reject", "comment": "Trùng"}),
            (SIGNIN, 403, 403, 403, 303, 303, 303),
        ),
        ("GET", "/review/{material_id}"): (page("/review/{sub}"), (SIGNIN, 403, 403, 403, 200, 404, 200)),
        ("POST", "/review/{material_id}"): (
            form("/review/{sub}", {"decision": "approve", **RUBRIC_FORM}),
            (SIGNIN, 403, 403, 403, 303, 404, 303),
        ),
        # Portal: administration.
        ("GET", "/admin/users"): (page("/admin/users"), ADMIN_PAGES),
        ("POST", "/admin/users/{user_id}"): (
            form("/admin/users/{user_teacher}", {"role": "curator"}),
            (SIGNIN, 403, 403, 403, 403, 403, 303),
        ),
        ("GET", "/admin/audit"): (page("/admin/audit"), ADMIN_PAGES),
        ("GET", "/admin/integrity"): (page("/admin/integrity"), ADMIN_PAGES),
        # Portal: API clients and webhooks (a created secret is shown on the answering page: 200).
        ("GET", "/admin/lti"): (page("/admin/lti"), ADMIN_PAGES),
        ("POST", "/admin/lti"): (
            form(
                "/admin/lti",
                {
                    "name": "Canvas",
                    "issuer": "https://canvas.example.vn",
                    "client_id": "hl",
                    "deployment_ids": "1",
                    "auth_login_url": "https://canvas.example.vn/auth",
                    "jwks_url": "https://canvas.example.vn/jwks",
                },
            ),
            (SIGNIN, 403, 403, 403, 403, 403, 303),
        ),
        ("GET", "/admin/clients"): (page("/admin/clients"), ADMIN_PAGES),
        ("POST", "/admin/clients"): (
            form("/admin/clients", {"name": "Canvas", "scopes": "harvest"}),
            (SIGNIN, 403, 403, 403, 403, 403, 200),
        ),
        ("GET", "/admin/clients/{client_id}"): (page("/admin/clients/{client}"), ADMIN_PAGES),
        ("POST", "/admin/clients/{client_id}"): (
            form("/admin/clients/{client}", {"scopes": "harvest"}),
            (SIGNIN, 403, 403, 403, 403, 403, 303),
        ),
        ("POST", "/admin/clients/{client_id}/secret"): (
            form("/admin/clients/{client}/secret"),
            (SIGNIN, 403, 403, 403, 403, 403, 200),
        ),
        ("POST", "/admin/clients/{client_id}/webhooks"): (
            form(
                "/admin/clients/{client}/webhooks",
                {"url": "https://lms.example.vn/h", "events": "material.updated"},
            ),
            (SIGNIN, 403, 403, 403, 403, 403, 200),
        ),
        ("POST", "/admin/webhook-deliveries/{delivery_id}/resend"): (
            form("/admin/webhook-deliveries/{delivery}/resend"),
            (SIGNIN, 403, 403, 403, 403, 403, 303),
        ),
    }
)


VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nPh\xc3\xa2n s\xe1\xbb\x91\n"


def put_captions(w: World, _role: str) -> dict[str, Any]:
    return {
        "method": "PUT",
        "url": "/api/v1/materials/{sub}/files/{file}/captions/vi".format(**w.ids),
        "content": VTT,
        "headers_extra": {"Content-Type": "text/vtt"},
    }


def portal_captions(w: World, role: str) -> dict[str, Any]:
    return {
        "method": "POST",
        "url": "/teach/m/{sub}/files/{file}/captions".format(**w.ids),
        "data": {"csrf_token": w.csrf(role), "lang": "vi"},
        "files": [("file", ("phu-de.vtt", VTT, "text/vtt"))],
        "portal": True,
    }


def package_update(_w: World, _role: str) -> dict[str, Any]:
    # Not a package manifest: refused for everyone alike (the route is public, like the package).
    return {"method": "POST", "url": "/api/v1/packages/update.zip", "json": {"format": "khac"}}


MATRIX.update(
    {
        # Captions (issue 14): the submitted material's file is a PDF, so those who may edit it get
        # 422 ("not a video"), the others do not see it (404) or may not edit (403).
        ("PUT", "/api/v1/materials/{material_id}/files/{file_id}/captions/{lang}"): (
            put_captions,
            (401, 404, 422, 404, 422, 404, 422),
        ),
        ("DELETE", "/api/v1/materials/{material_id}/files/{file_id}/captions/{lang}"): (
            send("DELETE", "/api/v1/materials/{sub}/files/{file}/captions/vi"),
            (401, 404, 422, 404, 422, 404, 422),
        ),
        ("POST", "/teach/m/{material_id}/files/{file_id}/captions"): (
            portal_captions,
            (SIGNIN, 403, 422, 404, 422, 404, 422),
        ),
        # Offline packages: public, like the approved materials they hold.
        ("GET", "/api/v1/packages/offline.zip"): (
            get("/api/v1/packages/offline.zip?grade=5&subject=toan"),
            ALL_200,
        ),
        ("POST", "/api/v1/packages/update.zip"): (package_update, (422,) * 7),
        # The installable portal's static pieces and its "kept lessons" page.
        ("GET", "/sw.js"): (get("/sw.js"), ALL_200),
        ("GET", "/manifest.webmanifest"): (get("/manifest.webmanifest"), ALL_200),
        ("GET", "/offline"): (page("/offline"), ALL_200),
    }
)


def portal_import(w: World, role: str) -> dict[str, Any]:
    """A dry run of a one-file collection through the portal's import form (CSRF token first)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("danh-muc.csv", "Tệp,Tên bài\nbai.txt,Bài 1\n")
        zf.writestr("bai.txt", "Bài tập 1")
    mapping = 'file = "Tệp"\n[columns]\ntitle = "Tên bài"\n'
    return {
        "method": "POST",
        "url": "/o/dhsp/import",
        "data": {"csrf_token": w.csrf(role), "mapping": mapping, "dry_run": "1"},
        "files": [("file", ("bo.zip", buffer.getvalue(), "application/zip"))],
        "portal": True,
    }


ALL_200_10 = (200,) * 10
# Organisation routes: admins and the organisation's manager manage its team; its members see it.
ORG_TEAM_READ = (401, 403, 200, 403, 403, 403, 200, 200, 200, 200)
ORG_MANAGE = (401, 403, 403, 403, 403, 403, 200, 403, 403, 200)

MATRIX.update(
    {
        ("GET", "/api/v1/organisations"): (get("/api/v1/organisations"), ALL_200_10),
        ("POST", "/api/v1/organisations"): (
            send(
                "POST", "/api/v1/organisations", {"slug": "so-hue", "name": "Sở GD Huế", "kind": "department"}
            ),
            (401, 403, 403, 403, 403, 403, 201, 403, 403, 403),
        ),
        ("GET", "/api/v1/organisations/{slug}"): (get("/api/v1/organisations/dhsp"), ALL_200_10),
        ("GET", "/api/v1/organisations/{slug}/members"): (
            get("/api/v1/organisations/dhsp/members"),
            ORG_TEAM_READ,
        ),
        # Inviting co_mai (a teacher outside the organisation).
        ("POST", "/api/v1/organisations/{slug}/members"): (
            send("POST", "/api/v1/organisations/dhsp/members", {"username": "co_mai"}),
            (401, 403, 403, 403, 403, 403, 201, 403, 403, 201),
        ),
        ("PATCH", "/api/v1/organisations/{slug}/members/{username}"): (
            send("PATCH", "/api/v1/organisations/dhsp/members/co_hoa", {"role": "manager"}),
            ORG_MANAGE,
        ),
        # Removing co_hoa: the manager and admins may, and co_hoa may leave.
        ("DELETE", "/api/v1/organisations/{slug}/members/{username}"): (
            send("DELETE", "/api/v1/organisations/dhsp/members/co_hoa"),
            (401, 403, 403, 403, 403, 403, 204, 204, 403, 204),
        ),
        # Collections: managers and admins only; the upload named is co_lan's, so it does not exist
        # for those allowed to import (404), which shows the permission is checked before the upload.
        ("POST", "/api/v1/organisations/{slug}/imports"): (
            send(
                "POST",
                "/api/v1/organisations/dhsp/imports",
                lambda w: {"upload": w.ids["upload"], "mapping": 'file = "Tệp"'},
            ),
            (401, 403, 403, 403, 403, 403, 404, 403, 403, 404),
        ),
        # Portal: importing a collection (managers and admins; a dry run answers with its report).
        ("GET", "/o/{slug}/import"): (
            page("/o/dhsp/import"),
            (SIGNIN, 403, 403, 403, 403, 403, 200, 403, 403, 200),
        ),
        ("POST", "/o/{slug}/import"): (portal_import, (SIGNIN, 403, 403, 403, 403, 403, 200, 403, 403, 200)),
        # Portal: the organisation's public pages and its team page (plain forms).
        ("GET", "/o"): (page("/o"), ALL_200_10),
        ("GET", "/o/{slug}"): (page("/o/dhsp"), ALL_200_10),
        ("GET", "/o/{slug}/members"): (page("/o/dhsp/members"), (SIGNIN, *ORG_TEAM_READ[1:])),
        ("POST", "/o/{slug}/members"): (
            form("/o/dhsp/members", {"username": "co_mai", "role": "member"}),
            (SIGNIN, 403, 403, 403, 403, 403, 303, 403, 403, 303),
        ),
        ("POST", "/o/{slug}/members/{username}"): (
            form("/o/dhsp/members/co_hoa", {"action": "remove"}),
            (SIGNIN, 403, 403, 403, 403, 403, 303, 303, 403, 303),
        ),
        # The owner's draft: only she (a member of dhsp) and admins may name its organisation; the
        # draft does not exist for anybody else.
        ("PUT", "/api/v1/materials/{material_id}/organisation"): (
            send("PUT", "/api/v1/materials/{draft}/organisation", {"organisation": None}),
            (401, 404, 200, 404, 404, 404, 200, 404, 404, 404),
        ),
    }
)


MATRIX.update(
    {
        # Usage statistics (issue 13): the catalogue's for curators and admins; a material's for
        # whoever may see it among its owner, curators and admins (a submitted one here).
        ("GET", "/api/v1/stats/summary"): (get("/api/v1/stats/summary"), CURATORS),
        ("GET", "/api/v1/stats/materials"): (get("/api/v1/stats/materials?grade=5&subject=toan"), CURATORS),
        ("GET", "/api/v1/stats/materials/{material_id}"): (
            get("/api/v1/stats/materials/{sub}?format=csv"),
            (401, 404, 200, 404, 200, 404, 200),
        ),
        ("GET", "/api/v1/stats/searches"): (get("/api/v1/stats/searches?week=2026-W49"), CURATORS),
        ("GET", "/stats"): (page("/stats?grade=5&subject=toan"), CURATOR_PAGES),
        ("GET", "/stats/m/{material_id}"): (page("/stats/m/{sub}"), (SIGNIN, 404, 200, 404, 200, 404, 200)),
        # An organisation's dashboard: its members, curators and admins.
        ("GET", "/api/v1/stats/organisations/{slug}"): (
            get("/api/v1/stats/organisations/dhsp?format=csv"),
            (401, 403, 200, 403, 200, 200, 200, 200, 200, 200),
        ),
        ("GET", "/o/{slug}/stats"): (
            page("/o/dhsp/stats"),
            (SIGNIN, 403, 200, 403, 200, 200, 200, 200, 200, 200),
        ),
    }
)


def _with_organisation_callers(expected: tuple[int, ...]) -> tuple[int, ...]:
    """A row written for the first seven callers, extended to the organisation's three: a member
    and the manager are teachers who do not own the world's materials (like ``other_teacher``);
    the organisation's curator has those materials in scope (like ``curator_in``)."""
    if len(expected) == len(ROLES):
        return expected
    other_teacher, curator_in = expected[3], expected[4]
    return (*expected, other_teacher, curator_in, other_teacher)


MATRIX.update(
    {key: (build, _with_organisation_callers(expected)) for key, (build, expected) in MATRIX.items()}
)


def app_routes(app: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_every_route_has_a_row(app: Any) -> None:
    routes = app_routes(app)
    assert sorted(routes - set(MATRIX)) == [], "add these routes to MATRIX"
    assert sorted(set(MATRIX) - routes) == [], "these rows name routes that no longer exist"


def _wipe(runtime: Any) -> None:
    """Delete every row (as the runtime fixture does between tests) so a fresh world can be built."""
    from repository.db import Base

    with runtime.db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.mark.parametrize("key", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_matrix(runtime: Any, client: TestClient, key: tuple[str, str]) -> None:
    """One route as every role. Reads share one world; after a write succeeds the world is rebuilt,
    so every role meets the same starting state."""
    build, expected = MATRIX[key]
    world = build_world(runtime)
    dirty = False
    got: list[int] = []
    try:
        for role in ROLES:
            if dirty:
                _wipe(runtime)
                world = build_world(runtime)
                dirty = False
            request = build(world, role)
            method, url = request.pop("method"), request.pop("url")
            client.cookies.clear()
            if request.pop("portal", False):
                for name, value in world.cookies(role).items():
                    client.cookies.set(name, value)
                headers = {"Accept": "text/html"}
                request["follow_redirects"] = False
            else:
                headers = world.headers(role) | request.pop("headers_extra", {})
            response = client.request(method, url, headers=headers, **request)
            got.append(response.status_code)
            # A portal form answers a successful write with 303 (redirect after post).
            dirty = method != "GET" and response.status_code < 400
    finally:
        close_backend(runtime.settings)
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True)), key
