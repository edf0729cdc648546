"""Hostile inputs on the vendor routes (NUL bytes, which PostgreSQL refuses in text) → 4xx, never 500.

Run on SQLite and on PostgreSQL (``HOCLIEU_DATABASE_URL``)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Role
from tests.factories import make_user, token_for


@pytest.fixture
def admin(runtime: Any, client: TestClient) -> dict[str, str]:
    make_user(runtime, "quan_tri", Role.admin)
    return token_for(client, "quan_tri")


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        (
            "POST",
            "/api/v1/oauth/token",
            {
                "content": b"grant_type=client_credentials&client_id=a%00b&client_secret=x",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
        (
            "GET",
            "/lti/login?iss=http%3A%2F%2Fa%00&login_hint=x&target_link_uri=http%3A%2F%2F127.0.0.1%3A8000%2F",
            {},
        ),
        ("POST", "/lti/launch", {"data": {"id_token": "x", "state": "a\x00b"}}),
        ("GET", "/lti/deep-link/a%00b", {}),
        ("POST", "/lti/deep-link/a%00b", {"data": {"material": "x"}}),
        ("GET", "/api/v1/exports/common-cartridge?chapter=Ch%00", {}),
        ("GET", "/api/v1/exports/common-cartridge?material=a%00b", {}),
        ("GET", "/api/v1/admin/clients/a%00b", {"admin": True}),
        ("PATCH", "/api/v1/admin/clients/a%00b", {"admin": True, "json": {"disabled": True}}),
        ("POST", "/api/v1/admin/webhook-deliveries/a%00b/resend", {"admin": True}),
    ],
)
def test_nul_bytes_are_refused_with_4xx(
    client: TestClient, admin: dict[str, str], method: str, url: str, kwargs: dict[str, Any]
) -> None:
    headers = dict(kwargs.pop("headers", {}))
    if kwargs.pop("admin", False):
        headers |= admin
    response = client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text[:300])
