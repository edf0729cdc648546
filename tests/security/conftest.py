"""Fixtures for the attack tests: people with tokens, a portal client that keeps Secure cookies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Role
from tests.factories import PASSWORD, make_user, token_for


@pytest.fixture
def portal_client(app: Any) -> Iterator[TestClient]:
    """The app as a browser sees it: ``https://`` so the Secure session and CSRF cookies come back."""
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


@pytest.fixture
def people(runtime: Any, client: TestClient) -> dict[str, dict[str, str]]:
    """A teacher and an admin, each with a bearer token header."""
    make_user(runtime, "co_lan", Role.teacher)
    make_user(runtime, "quan_tri", Role.admin)
    return {name: token_for(client, name) for name in ("co_lan", "quan_tri")}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def portal_sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
