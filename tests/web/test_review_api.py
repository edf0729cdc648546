"""The curation API end to end: real uploads, the real ingest and index jobs, signatures, accounts."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from repository.jobs import JobRunner
from repository.models import AuditEvent, Role
from repository.uow import UnitOfWork
from search.service import close_backend
from tests.factories import token_for, upload
from tests.repository.curation.helpers import MATH_5, RUBRIC_OK, person
from tests.search.helpers import run_index_queue


def _png(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def people(runtime: Any, client: TestClient) -> Any:
    with UnitOfWork(runtime.db) as uow:
        person(uow.session, "co_lan", Role.teacher)
        person(uow.session, "hoc_sinh", Role.student)
        person(uow.session, "thay_toan", Role.curator, MATH_5)
        person(uow.session, "co_van", Role.curator, {"subjects": ["ngu-van"]})
        person(uow.session, "quan_tri", Role.admin)
    yield {
        name: token_for(client, name) for name in ("co_lan", "hoc_sinh", "thay_toan", "co_van", "quan_tri")
    }
    close_backend(runtime.settings)


def _ingested(runtime: Any, client: TestClient, headers: dict[str, str], title: str) -> dict[str, Any]:
    r = upload(
        client,
        headers,
        [("hinh-tron.png", _png((200, 30, 30)), "image/png")],
        metadata={"title": title, **MATH_5, "license": "CC-BY-4.0"},
    )
    assert r.status_code == 201, r.text
    JobRunner(runtime.db, name="test-ingest", queues=("default",)).run_until_empty()
    run_index_queue(runtime)
    body: dict[str, Any] = client.get(f"/api/v1/materials/{r.json()['id']}", headers=headers).json()
    assert body["files"][0]["status"] == "ready", body
    return body


def _urls(m: dict[str, Any]) -> list[str]:
    f = m["files"][0]
    urls = [
        f"/api/v1/materials/{m['id']}",
        f["url"],
        f"/api/v1/materials/{m['id']}/versions",
        f"/api/v1/materials/{m['id']}/related",
    ]
    return urls + [d["url"] for d in f["derivatives"]]


def _public_view(client: TestClient, headers: dict[str, str] | None, m: dict[str, Any]) -> dict[str, Any]:
    statuses = {u: client.get(u, headers=headers).status_code for u in _urls(m)}
    found = json.dumps(
        [
            client.get("/api/v1/materials", headers=headers).json(),
            client.get("/api/v1/search", params={"q": "hình tròn"}, headers=headers).json(),
            client.get("/api/v1/suggest", params={"q": "hinh tr"}, headers=headers).json(),
            client.get("/api/v1/browse", params={"grade": 5}, headers=headers).json(),
        ],
        ensure_ascii=False,
    )
    return {"statuses": set(statuses.values()), "listed": m["id"] in found}


class TestWorkflowOverHttp:
    def test_invisible_everywhere_until_approved_then_visible_everywhere(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        m = _ingested(runtime, client, people["co_lan"], "Hình tròn lớp 5")
        assert any(d["kind"] == "thumbnail" for d in m["files"][0]["derivatives"])
        for reader in (None, people["hoc_sinh"], people["co_van"]):
            assert _public_view(client, reader, m) == {"statuses": {404}, "listed": False}
        r = client.post(f"/api/v1/materials/{m['id']}/submit", headers=people["co_lan"])
        assert r.status_code == 200 and r.json()["state"] == "submitted"
        run_index_queue(runtime)
        assert _public_view(client, None, m) == {"statuses": {404}, "listed": False}
        queue = client.get("/api/v1/review/queue", headers=people["thay_toan"]).json()
        assert [i["material_id"] for i in queue["items"]] == [m["id"]]
        assert client.get("/api/v1/review/queue", headers=people["co_van"]).json()["total"] == 0
        r = client.post(
            f"/api/v1/materials/{m['id']}/review",
            headers=people["thay_toan"],
            json={"decision": "approve", "rubric": RUBRIC_OK},
        )
        assert r.status_code == 200, r.text
        assert r.json()["signed"] is True and r.json()["decided_by"] == "thay_toan"
        run_index_queue(runtime)
        for reader in (None, people["hoc_sinh"], people["co_van"]):
            assert _public_view(client, reader, m) == {"statuses": {200}, "listed": True}

    def test_invalid_transitions_are_4xx_and_audited(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        m = _ingested(runtime, client, people["co_lan"], "Hình tròn")
        url = f"/api/v1/materials/{m['id']}/review"
        approve = {"decision": "approve", "rubric": RUBRIC_OK}
        assert client.post(url, headers=people["quan_tri"], json=approve).status_code == 409  # a draft
        assert client.post(url, headers=people["hoc_sinh"], json=approve).status_code == 403
        client.post(f"/api/v1/materials/{m['id']}/submit", headers=people["co_lan"])
        assert client.post(url, headers=people["co_van"], json=approve).status_code == 404  # outside scope
        assert client.post(url, headers=people["co_lan"], json=approve).status_code == 403  # own
        bad = client.post(url, headers=people["thay_toan"], json={"decision": "publish"})
        assert bad.status_code == 422
        with runtime.db.read() as s:
            refused = s.scalars(select(AuditEvent).where(AuditEvent.action == "curation.refused")).all()
        assert sorted(e.data["status"] for e in refused) == [403, 403, 404, 409]
        assert {e.subject_id for e in refused} == {m["id"]}

    def test_edit_after_approval_is_a_new_version_and_history_shows_who_and_when(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        m = _ingested(runtime, client, people["co_lan"], "Hình tròn")
        client.post(f"/api/v1/materials/{m['id']}/submit", headers=people["co_lan"])
        client.post(
            f"/api/v1/materials/{m['id']}/review",
            headers=people["thay_toan"],
            json={"decision": "approve", "rubric": RUBRIC_OK},
        )
        r = client.patch(
            f"/api/v1/materials/{m['id']}",
            headers=people["co_lan"],
            json={"metadata": {"title": "Hình tròn (sửa)"}},
        )
        assert r.status_code == 200 and r.json()["number"] == 2 and r.json()["state"] == "draft"
        assert client.get(f"/api/v1/materials/{m['id']}").json()["title"] == "Hình tròn"
        public = client.get(f"/api/v1/materials/{m['id']}/versions").json()
        assert [(v["number"], v["decided_by"]) for v in public] == [(1, "thay_toan")]
        assert client.get(f"/api/v1/materials/{m['id']}/versions/2").status_code == 404
        assert (
            client.get(f"/api/v1/materials/{m['id']}/versions/2", headers=people["co_lan"]).status_code == 200
        )
        bad = client.patch(
            f"/api/v1/materials/{m['id']}", headers=people["co_lan"], json={"metadata": {"grades": [0]}}
        )
        assert bad.status_code == 422 and bad.json()["error"]["details"]


class TestSignatures:
    def test_keys_and_signature_verify_offline(self, runtime: Any, client: TestClient, people: Any) -> None:
        from repository.signing import public_key_from_b64, verify_manifest

        m = _ingested(runtime, client, people["co_lan"], "Hình tròn")
        assert (
            client.get(f"/api/v1/materials/{m['id']}/signature", headers=people["co_lan"]).status_code == 404
        )
        client.post(f"/api/v1/materials/{m['id']}/submit", headers=people["co_lan"])
        client.post(
            f"/api/v1/materials/{m['id']}/review",
            headers=people["quan_tri"],
            json={"decision": "approve", "rubric": RUBRIC_OK, "comment": "Tốt"},
        )
        keys = client.get("/api/v1/keys").json()["keys"]
        sig = client.get(f"/api/v1/materials/{m['id']}/signature").json()
        assert sig["key_id"] == keys[0]["key_id"]
        key = public_key_from_b64(keys[0]["public_key"])
        assert verify_manifest(sig["manifest"], sig["signature"], key)
        assert sig["manifest"]["files"][0]["sha256"] == m["files"][0]["sha256"]
        tampered = json.loads(json.dumps(sig["manifest"]))
        tampered["files"][0]["size"] += 1
        assert not verify_manifest(tampered, sig["signature"], key)


class TestAccounts:
    def test_personal_tokens_list_and_revoke_then_reuse_is_401_and_audited(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        r = client.post("/api/v1/auth/tokens", headers=people["co_lan"], json={"name": "máy trường"})
        assert r.status_code == 201
        personal = {"Authorization": f"Bearer {r.json()['access_token']}"}
        listed = client.get("/api/v1/auth/tokens", headers=personal).json()
        assert {t["name"] for t in listed} == {"password sign-in", "máy trường"}
        assert all("access_token" not in t for t in listed)
        # Someone else cannot revoke it.
        assert (
            client.delete(f"/api/v1/auth/tokens/{r.json()['id']}", headers=people["thay_toan"]).status_code
            == 404
        )
        assert client.delete(f"/api/v1/auth/tokens/{r.json()['id']}", headers=personal).status_code == 204
        again = client.get("/api/v1/auth/me", headers=personal)
        assert again.status_code == 401
        with runtime.db.read() as s:
            used = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.revoked_token_used")).all()
        assert len(used) == 1 and used[0].subject_id == r.json()["id"]
        assert (
            client.get("/api/v1/auth/me", headers={"Authorization": "Bearer hl_garbage"}).status_code == 401
        )

    def test_repeated_failed_sign_ins_lock_the_username(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        for _ in range(runtime.settings.signin_max_failures):
            r = client.post("/api/v1/auth/token", data={"username": "co_lan", "password": "sai-mat-khau"})
            assert r.status_code == 401
        locked = client.post(
            "/api/v1/auth/token", data={"username": "co_lan", "password": "mat-khau-rat-dai-1"}
        )
        assert locked.status_code == 429 and "try again" in locked.json()["error"]["message"]
        # Another account is not affected.
        assert (
            client.post(
                "/api/v1/auth/token", data={"username": "hoc_sinh", "password": "mat-khau-rat-dai-1"}
            ).status_code
            == 200
        )

    def test_admin_creates_scoped_curator_changes_role_and_disables(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        admin = people["quan_tri"]
        r = client.post(
            "/api/v1/admin/users",
            headers=admin,
            json={
                "username": "thay_ly",
                "role": "curator",
                "password": "mat-khau-rat-dai-2",
                "scope": {"subjects": ["vat-li"], "grades": [10, 11]},
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["scope"] == {"subjects": ["vat-li"], "grades": [10, 11]}
        bad = client.post(
            "/api/v1/admin/users",
            headers=admin,
            json={"username": "x_y", "role": "curator", "scope": {"subjects": ["vat-ly"]}},
        )
        assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "scope.subjects[0]"
        assert (
            client.post(
                "/api/v1/admin/users", headers=people["thay_toan"], json={"username": "z_z", "role": "admin"}
            ).status_code
            == 403
        )
        user_token = token_for(client, "thay_ly", "mat-khau-rat-dai-2")
        r = client.patch(f"/api/v1/admin/users/{r.json()['id']}", headers=admin, json={"role": "teacher"})
        assert r.json()["role"] == "teacher"
        r = client.patch(f"/api/v1/admin/users/{r.json()['id']}", headers=admin, json={"disabled": True})
        assert r.json()["disabled"] is True
        assert client.get("/api/v1/auth/me", headers=user_token).status_code == 401  # tokens revoked
        audit = client.get("/api/v1/audit", headers=admin, params={"action": "user.", "verify": True}).json()
        assert {e["action"] for e in audit["items"]} == {"user.created", "user.role_changed", "user.disabled"}
        assert audit["chain_intact"] is True
        assert client.get("/api/v1/audit", headers=people["thay_toan"]).status_code == 403
        own = client.patch(
            f"/api/v1/admin/users/{client.get('/api/v1/auth/me', headers=admin).json()['id']}",
            headers=admin,
            json={"disabled": True},
        )
        assert own.status_code == 409
