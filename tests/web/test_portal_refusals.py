"""The portal's workflow forms audit a refused attempt exactly like the API does.

Before, only the API recorded ``curation.refused``; the same refusals through the portal's
submit, withdraw, comment and decide forms left no trace.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repository.models import AuditEvent, Role
from repository.uow import UnitOfWork
from tests.factories import PASSWORD, token_for, upload
from tests.repository.curation.helpers import MATH_5, person


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _portal(app: Any, username: str) -> TestClient:
    c = TestClient(app, base_url="https://testserver")
    c.headers["Accept"] = "text/html"
    r = c.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(c.get("/signin").text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


@pytest.fixture
def material_id(runtime: Any, client: TestClient) -> str:
    with UnitOfWork(runtime.db) as uow:
        person(uow.session, "co_lan", Role.teacher)
        person(uow.session, "co_hoa", Role.teacher)
        person(uow.session, "thay_toan", Role.curator, MATH_5)
    # A draft whose file is not processed yet (no worker runs here): it cannot be submitted.
    r = upload(
        client,
        token_for(client, "co_lan"),
        [("bai-1.txt", "Bài 1: Phân số".encode(), "text/plain")],
        metadata={"title": "Phân số", **MATH_5, "license": "CC-BY-4.0"},
    )
    assert r.status_code == 201, r.text
    material: str = r.json()["id"]
    return material


def _refusals(runtime: Any, material_id: str) -> list[tuple[str, int]]:
    with runtime.db.read() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "curation.refused", AuditEvent.subject_id == material_id)
            .order_by(AuditEvent.id)
        ).all()
        return sorted((e.data["attempt"], e.data["status"]) for e in rows)


def test_refused_portal_forms_are_audited(app: Any, runtime: Any, material_id: str) -> None:
    owner = _portal(app, "co_lan")
    token = _csrf(owner.get(f"/teach/m/{material_id}").text)
    # Submit before the file is processed: refused (409), and the page says why.
    r = owner.post(f"/teach/m/{material_id}/submit", data={"csrf_token": token})
    assert r.status_code == 409
    # Withdraw the draft (allowed), then once more: nothing left to withdraw (409).
    assert owner.post(f"/teach/m/{material_id}/withdraw", data={"csrf_token": token}).status_code == 200
    r = owner.post(f"/teach/m/{material_id}/withdraw", data={"csrf_token": token})
    assert r.status_code == 409
    # Another teacher comments on a draft they cannot see: 404, audited with their name.
    other = _portal(app, "co_hoa")
    r = other.post(
        f"/teach/m/{material_id}/comment",
        data={"csrf_token": _csrf(other.get("/teach").text), "body": "xin chào"},
    )
    assert r.status_code == 404
    # A curator decides on a draft (nothing submitted): refused (409).
    curator = _portal(app, "thay_toan")
    r = curator.post(
        f"/review/{material_id}",
        data={"csrf_token": _csrf(curator.get("/review").text), "decision": "reject", "comment": "chưa"},
    )
    assert r.status_code == 409
    assert _refusals(runtime, material_id) == [
        ("comment", 404),
        ("review.reject", 409),
        ("submit", 409),
        ("withdraw", 409),
    ]
    with runtime.db.read() as s:
        actors = {
            e.actor_id
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "curation.refused")).all()
        }
    assert len(actors) == 3  # the owner, the other teacher and the curator, each named


def test_an_allowed_portal_action_records_no_refusal(app: Any, runtime: Any, material_id: str) -> None:
    owner = _portal(app, "co_lan")
    token = _csrf(owner.get(f"/teach/m/{material_id}").text)
    r = owner.post(
        f"/teach/m/{material_id}/comment", data={"csrf_token": token, "body": "Ghi chú cho người duyệt"}
    )
    assert r.status_code == 200, r.text  # followed the redirect back to the material
    assert _refusals(runtime, material_id) == []
