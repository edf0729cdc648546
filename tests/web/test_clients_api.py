"""API clients of vendors: registration, OAuth 2.0 client credentials (RFC 6749 §4.4), scopes.

Scope enforcement is checked on every write route the app has (read from the app itself, so a
new write route is covered without editing this file).
"""

from __future__ import annotations

import re
from base64 import b64encode
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from repository.models import Role
from tests.factories import make_user, token_for

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
# Credential exchanges: a client token is not what they read (they take passwords / secrets).
EXCHANGES = {("POST", "/api/v1/oauth/token")}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + b64encode(f"{client_id}:{secret}".encode()).decode()}


def register(
    client: TestClient, admin: dict[str, str], scopes: list[str], name: str = "Moodle Hà Nội"
) -> Any:
    response = client.post(
        "/api/v1/admin/clients",
        headers=admin,
        json={"name": name, "organisation": "Sở GD&ĐT Hà Nội", "scopes": scopes},
    )
    assert response.status_code == 201, response.text
    return response.json()


def client_token(client: TestClient, vendor: dict[str, Any], scope: str | None = None) -> dict[str, str]:
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    response = client.post(
        "/api/v1/oauth/token", data=data, headers=basic(vendor["id"], vendor["client_secret"])
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def admin(runtime: Any, client: TestClient) -> dict[str, str]:
    make_user(runtime, "quan_tri", Role.admin)
    return token_for(client, "quan_tri")


class TestRegistration:
    def test_the_secret_is_shown_once_and_stored_hashed(
        self, client: TestClient, admin: dict[str, str], runtime: Any
    ) -> None:
        from repository.models import ApiClient

        vendor = register(client, admin, ["materials:read", "harvest"])
        assert vendor["client_secret"].startswith("hls_")
        assert vendor["scopes"] == ["harvest", "materials:read"]
        listed = client.get("/api/v1/admin/clients", headers=admin).json()
        assert [c["id"] for c in listed] == [vendor["id"]]
        assert "client_secret" not in listed[0]
        with runtime.db.read() as s:
            row = s.get(ApiClient, vendor["id"])
            assert row is not None and vendor["client_secret"] not in row.secret_hash

    def test_unknown_scope_is_refused(self, client: TestClient, admin: dict[str, str]) -> None:
        response = client.post("/api/v1/admin/clients", headers=admin, json={"name": "X", "scopes": ["root"]})
        assert response.status_code == 422
        assert "root" in response.json()["error"]["message"]

    def test_rotation_ends_the_old_secret_and_its_tokens(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        vendor = register(client, admin, ["materials:read"])
        old = client_token(client, vendor)
        assert client.get("/api/v1/auth/me", headers=old).status_code == 200
        rotated = client.post(f"/api/v1/admin/clients/{vendor['id']}/secret", headers=admin).json()
        assert rotated["client_secret"] != vendor["client_secret"]
        assert client.get("/api/v1/auth/me", headers=old).status_code == 401
        refused = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(vendor["id"], vendor["client_secret"]),
        )
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert client_token(client, rotated)

    def test_a_disabled_client_gets_no_token_and_loses_its_tokens(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        vendor = register(client, admin, ["materials:read"])
        token = client_token(client, vendor)
        changed = client.patch(
            f"/api/v1/admin/clients/{vendor['id']}", headers=admin, json={"disabled": True}
        )
        assert changed.status_code == 200 and changed.json()["disabled"] is True
        assert client.get("/api/v1/materials", headers=token).status_code == 401
        refused = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(vendor["id"], vendor["client_secret"]),
        )
        assert refused.json() == {"error": "invalid_client", "error_description": "this client is disabled"}


class TestTokenEndpoint:
    def test_basic_credentials(self, client: TestClient, admin: dict[str, str]) -> None:
        vendor = register(client, admin, ["materials:read", "harvest"])
        response = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(vendor["id"], vendor["client_secret"]),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert body["scope"] == "harvest materials:read"
        assert response.headers["cache-control"] == "no-store"
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200 and me.json()["username"].startswith("client-")

    def test_body_credentials_and_a_narrower_scope(self, client: TestClient, admin: dict[str, str]) -> None:
        vendor = register(client, admin, ["materials:read", "harvest"])
        response = client.post(
            "/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": vendor["id"],
                "client_secret": vendor["client_secret"],
                "scope": "harvest",
            },
        )
        assert response.status_code == 200 and response.json()["scope"] == "harvest"
        token = {"Authorization": f"Bearer {response.json()['access_token']}"}
        refused = client.get("/api/v1/materials", headers=token)
        assert refused.status_code == 403
        assert "materials:read" in refused.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("data", "auth", "status", "error"),
        [
            ({"grant_type": "client_credentials"}, "wrong", 401, "invalid_client"),
            ({"grant_type": "client_credentials"}, "unknown", 401, "invalid_client"),
            ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
            ({"grant_type": "password"}, "good", 400, "unsupported_grant_type"),
            ({}, "good", 400, "invalid_request"),
            ({"grant_type": "client_credentials", "scope": "materials:write"}, "good", 400, "invalid_scope"),
            ({"grant_type": "client_credentials", "client_id": "x"}, "good", 400, "invalid_request"),
        ],
    )
    def test_errors_in_the_rfc_form(
        self,
        client: TestClient,
        admin: dict[str, str],
        data: dict[str, str],
        auth: str | None,
        status: int,
        error: str,
    ) -> None:
        vendor = register(client, admin, ["materials:read"])
        headers = {
            "good": basic(vendor["id"], vendor["client_secret"]),
            "wrong": basic(vendor["id"], "hls_not-the-secret"),
            "unknown": basic("00000000-0000-0000-0000-000000000000", vendor["client_secret"]),
            None: {},
        }[auth]
        response = client.post("/api/v1/oauth/token", data=data, headers=headers)
        assert response.status_code == status
        assert response.json()["error"] == error
        if status == 401:
            assert response.headers["www-authenticate"].startswith(("Basic", "Bearer"))

    def test_a_repeated_parameter_is_invalid_request(self, client: TestClient, admin: dict[str, str]) -> None:
        vendor = register(client, admin, ["materials:read"])
        response = client.post(
            "/api/v1/oauth/token",
            content=b"grant_type=client_credentials&scope=harvest&scope=materials:read",
            headers={"Content-Type": "application/x-www-form-urlencoded"}
            | basic(vendor["id"], vendor["client_secret"]),
        )
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"

    def test_a_json_body_is_invalid_request(self, client: TestClient, admin: dict[str, str]) -> None:
        vendor = register(client, admin, ["materials:read"])
        response = client.post(
            "/api/v1/oauth/token",
            json={"grant_type": "client_credentials"},
            headers=basic(vendor["id"], vendor["client_secret"]),
        )
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"

    def test_a_client_token_is_no_portal_session(self, client: TestClient, admin: dict[str, str]) -> None:
        vendor = register(client, admin, ["materials:read", "materials:write"])
        token = client_token(client, vendor)["Authorization"].removeprefix("Bearer ")
        client.cookies.set("hl_session", f"x:{token}")
        response = client.get("/teach", headers={"Accept": "text/html"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def _write_routes(app: Any) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(getattr(route, "methods", None) or ()):
            key = (method, route.path)
            # (POST /oai is OAI-PMH's form of a read: the harvest scope, tested below.)
            if method in WRITE_METHODS and route.path.startswith("/api/") and key not in EXCHANGES:
                found.append(key)
    return sorted(found)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


class TestScopes:
    def test_every_write_route_needs_a_write_scope(
        self, app: Any, client: TestClient, admin: dict[str, str]
    ) -> None:
        """A token with every scope but ``materials:write`` is refused on every write route, with
        the missing scope named (or, on people's routes, told that client tokens do not work there)."""
        vendor = register(client, admin, ["materials:read", "harvest", "stats:read"])
        token = client_token(client, vendor)
        routes = _write_routes(app)
        assert ("POST", "/api/v1/materials") in routes and len(routes) > 20
        for method, path in routes:
            response = client.request(method, _fill(path), headers=token, json={})
            assert response.status_code == 403, (method, path, response.status_code, response.text)
            message = response.json()["error"]["message"]
            if path.startswith(("/api/v1/materials", "/api/v1/uploads")):
                assert "'materials:write'" in message, (method, path, message)
            else:
                assert "client tokens cannot use this route" in message or "'harvest'" in message, (
                    path,
                    message,
                )

    def test_the_write_scope_lets_a_client_upload_as_its_service_account(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        vendor = register(client, admin, ["materials:read", "materials:write"])
        token = client_token(client, vendor)
        response = client.post(
            "/api/v1/materials",
            headers=token,
            files=[("file", ("bai.txt", "Bài tập phân số".encode(), "text/plain"))],
        )
        assert response.status_code == 201, response.text
        me = client.get("/api/v1/auth/me", headers=token).json()
        assert me["id"] == vendor["user_id"]
        assert response.json()["owner"] == me["username"]

    def test_read_scope_reaches_public_reads_and_harvest_reaches_oai(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        reader = client_token(client, register(client, admin, ["materials:read"], name="A"))
        harvester = client_token(client, register(client, admin, ["harvest"], name="B"))
        assert client.get("/api/v1/search?q=toán", headers=reader).status_code == 200
        assert client.get("/oai?verb=Identify", headers=harvester).status_code == 200
        refused = client.get("/oai?verb=Identify", headers=reader)
        assert refused.status_code == 403 and "'harvest'" in refused.json()["error"]["message"]
        assert client.get("/api/v1/search?q=toán", headers=harvester).status_code == 403

    def test_people_routes_refuse_client_tokens(self, client: TestClient, admin: dict[str, str]) -> None:
        token = client_token(client, register(client, admin, ["materials:read", "materials:write"]))
        response = client.get("/api/v1/auth/tokens", headers=token)
        assert response.status_code == 403
        assert "client tokens cannot use this route" in response.json()["error"]["message"]

    def test_personal_tokens_are_not_limited_by_scopes(self, client: TestClient, runtime: Any) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        teacher = token_for(client, "co_lan")
        assert client.get("/api/v1/auth/tokens", headers=teacher).status_code == 200
        response = client.post(
            "/api/v1/materials", headers=teacher, files=[("file", ("a.txt", b"abc", "text/plain"))]
        )
        assert response.status_code == 201
