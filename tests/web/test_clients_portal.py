"""The admin screens for API clients and webhooks, driven like a browser (forms + CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Role
from tests.factories import PASSWORD, make_user


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def browser(app: Any, runtime: Any) -> Iterator[TestClient]:
    make_user(runtime, "quan_tri", Role.admin)
    make_user(runtime, "co_lan", Role.teacher)
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


def sign_in(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/signin").text)
    r = client.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_an_admin_registers_a_client_sees_the_secret_once_and_manages_it(browser: TestClient) -> None:
    sign_in(browser, "quan_tri")
    page = browser.get("/admin/clients")
    assert page.status_code == 200 and "Chưa có ứng dụng nào" in page.text
    created = browser.post(
        "/admin/clients",
        data={
            "name": "Moodle Sở Hà Nội",
            "organisation": "Sở GD&ĐT Hà Nội",
            "scopes": ["materials:read", "harvest"],
            "csrf_token": csrf_of(page.text),
        },
    )
    assert created.status_code == 200
    client_id = re.search(r'id="client-id">([0-9a-f-]+)<', created.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="secret">(hls_[^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    # The secret works once copied, and no page shows it again.
    token = browser.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert token.status_code == 200 and token.json()["scope"] == "harvest materials:read"
    detail = browser.get(f"/admin/clients/{client_id}")
    assert detail.status_code == 200 and secret not in detail.text and "Moodle Sở Hà Nội" in detail.text
    assert secret not in browser.get("/admin/clients").text
    # Narrow the scopes and disable: the form posts back to the same page.
    changed = browser.post(
        f"/admin/clients/{client_id}",
        data={"name": "Moodle", "scopes": ["harvest"], "disabled": "on", "csrf_token": csrf_of(detail.text)},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    listing = browser.get("/admin/clients").text
    assert "Moodle" in listing and "Đã khoá" in listing
    # Rotate: a new secret page.
    rotated = browser.post(f"/admin/clients/{client_id}/secret", data={"csrf_token": csrf_of(listing)})
    assert rotated.status_code == 200 and secret not in rotated.text and "hls_" in rotated.text
    # A webhook: the page shows its signing key once.
    hook = browser.post(
        f"/admin/clients/{client_id}/webhooks",
        data={
            "url": "https://lms.example.vn/hooks",
            "events": ["material.published"],
            "csrf_token": csrf_of(listing),
        },
    )
    assert hook.status_code == 200 and "whsec_" in hook.text
    assert "https://lms.example.vn/hooks" in browser.get(f"/admin/clients/{client_id}").text


def test_a_form_without_csrf_is_refused(browser: TestClient) -> None:
    sign_in(browser, "quan_tri")
    r = browser.post("/admin/clients", data={"name": "X", "scopes": ["harvest"]})
    assert r.status_code == 403


def test_teachers_cannot_open_the_client_screens(browser: TestClient) -> None:
    sign_in(browser, "co_lan")
    assert browser.get("/admin/clients").status_code == 403
