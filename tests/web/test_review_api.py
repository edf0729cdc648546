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
        assert r.status_code == 200
        assert r.json()["state"] == "submitted"
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
        assert r.json()["signed"] is True
        assert r.json()["decided_by"] == "thay_toan"
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
        assert r.status_code == 200
        assert r.json()["number"] == 2
        assert r.json()["state"] == "draft"
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
        assert bad.status_code == 422
        assert bad.json()["error"]["details"]


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
        assert len(used) == 1
        assert used[0].subject_id == r.json()["id"]
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
        assert locked.status_code == 429
        assert "try again" in locked.json()["error"]["message"]
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
        assert bad.status_code == 422
        assert bad.json()["error"]["details"][0]["field"] == "scope.subjects[0]"
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


def _approve(client: TestClient, people: Any, material_id: str, curator: str = "thay_toan") -> Any:
    r = client.post(f"/api/v1/materials/{material_id}/submit", headers=people["co_lan"])
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/materials/{material_id}/review",
        headers=people[curator],
        json={"decision": "approve", "rubric": RUBRIC_OK},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _oai_status(client: TestClient, material_id: str) -> str | None:
    """The header status of the OAI-PMH record (None: live record; "absent": not harvestable)."""
    from xml.etree import ElementTree

    r = client.get(
        "/oai",
        params={
            "verb": "GetRecord",
            "metadataPrefix": "oai_dc",
            "identifier": f"oai:127.0.0.1:{material_id}",
        },
    )
    root = ElementTree.fromstring(r.content)
    ns = "{http://www.openarchives.org/OAI/2.0/}"
    header = root.find(f"{ns}GetRecord/{ns}record/{ns}header")
    return "absent" if header is None else header.get("status")


class TestTakedown:
    def test_curator_takes_down_then_it_is_gone_everywhere_but_for_the_privileged_and_republished(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        m = _ingested(runtime, client, people["co_lan"], "Hình tròn lớp 5")
        _approve(client, people, m["id"])
        run_index_queue(runtime)
        assert _public_view(client, None, m) == {"statuses": {200}, "listed": True}
        assert _oai_status(client, m["id"]) is None
        url = f"/api/v1/materials/{m['id']}/takedown"
        reason = {"reason": "Sai đáp án ở bài 3"}
        assert client.post(url, headers=people["hoc_sinh"], json=reason).status_code == 403
        assert client.post(url, headers=people["co_van"], json=reason).status_code == 403  # out of scope
        assert client.post(url, headers=people["thay_toan"], json={"reason": ""}).status_code == 422
        r = client.post(url, headers=people["thay_toan"], json=reason)
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["number"], r.json()["signed"]) == ("withdrawn", 1, True)
        assert client.post(url, headers=people["thay_toan"], json=reason).status_code == 409  # already down
        run_index_queue(runtime)
        for reader in (None, people["hoc_sinh"], people["co_van"]):
            assert _public_view(client, reader, m) == {"statuses": {404}, "listed": False}
        assert _oai_status(client, m["id"]) == "deleted"
        for privileged in ("co_lan", "thay_toan", "quan_tri"):
            got = client.get(f"/api/v1/materials/{m['id']}", headers=people[privileged])
            assert got.status_code == 200
            assert got.json()["state"] == "withdrawn"
        thread = client.get(f"/api/v1/materials/{m['id']}/comments", headers=people["co_lan"]).json()
        assert [(c["kind"], c["body"]) for c in thread if c["kind"] == "takedown"] == [
            ("takedown", "Sai đáp án ở bài 3")
        ]
        with runtime.db.read() as s:
            events = s.scalars(select(AuditEvent).where(AuditEvent.action == "material.taken_down")).all()
            refused = s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "curation.refused", AuditEvent.subject_id == m["id"]
                )
            ).all()
        assert [(e.data["reason"], e.data["role"]) for e in events] == [("Sai đáp án ở bài 3", "curator")]
        assert sorted(e.data["status"] for e in refused) == [403, 403, 409]
        # Republish through review: the owner submits again and a curator approves (signed anew).
        _approve(client, people, m["id"], curator="quan_tri")
        run_index_queue(runtime)
        assert _public_view(client, None, m) == {"statuses": {200}, "listed": True}
        assert _oai_status(client, m["id"]) is None
        sig = client.get(f"/api/v1/materials/{m['id']}/signature").json()
        assert sig["manifest"]["curator"]["username"] == "quan_tri"

    def test_owner_withdraws_own_published_material_and_edits_go_to_a_new_version(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        m = _ingested(runtime, client, people["co_lan"], "Hình tròn")
        _approve(client, people, m["id"])
        r = client.post(
            f"/api/v1/materials/{m['id']}/takedown", headers=people["co_lan"], json={"reason": "Bản cũ"}
        )
        assert r.status_code == 200
        assert r.json()["state"] == "withdrawn"
        assert client.get(f"/api/v1/materials/{m['id']}").status_code == 404
        # The taken-down version keeps its signature: an edit is version 2, not a change under it.
        r = client.patch(
            f"/api/v1/materials/{m['id']}",
            headers=people["co_lan"],
            json={"metadata": {"title": "Hình tròn 2"}},
        )
        assert (r.status_code, r.json()["number"], r.json()["state"]) == (200, 2, "draft")
        own = client.get(f"/api/v1/materials/{m['id']}/versions", headers=people["co_lan"]).json()
        assert [(v["number"], v["state"], v["signed"]) for v in own] == [
            (1, "withdrawn", True),
            (2, "draft", False),
        ]
        assert _oai_status(client, m["id"]) == "deleted"


class TestFilesOfANewVersion:
    def test_add_replace_remove_files_while_the_approved_version_stays_public(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        owner = people["co_lan"]
        m = _ingested(runtime, client, owner, "Hình tròn")
        first = m["files"][0]["id"]
        _approve(client, people, m["id"])
        files_url = f"/api/v1/materials/{m['id']}/files"
        blue = [("file", ("hinh-vuong.png", _png((20, 30, 200)), "image/png"))]
        assert client.post(files_url, headers=people["hoc_sinh"], files=blue).status_code == 403
        r = client.post(files_url, headers=owner, files=blue)
        assert r.status_code == 201, r.text
        v2 = r.json()
        assert (v2["number"], v2["state"], v2["file_ids"][0]) == (2, "draft", first)
        added = v2["file_ids"][1]
        # Version 1 stays the public one, with its own single file.
        assert client.get(f"/api/v1/materials/{m['id']}").json()["version"] == 1
        assert len(client.get(f"/api/v1/materials/{m['id']}/signature").json()["manifest"]["files"]) == 1
        # Submission waits for the new file's ingest (queued like an upload's).
        early = client.post(f"/api/v1/materials/{m['id']}/submit", headers=owner)
        assert early.status_code == 409
        assert "ingest is not finished" in early.json()["error"]["message"]
        assert JobRunner(runtime.db, name="test-ingest", queues=("default",)).run_until_empty() >= 1
        green = [("file", ("hinh-tam-giac.png", _png((20, 200, 30)), "image/png"))]
        r = client.post(files_url, headers=owner, params={"replaces": first}, files=green)
        assert r.status_code == 201, r.text
        assert r.json()["number"] == 2
        assert r.json()["file_ids"][1] == added
        assert first not in r.json()["file_ids"]
        replacement = r.json()["file_ids"][0]
        assert (
            client.post(files_url, headers=owner, params={"replaces": "nope"}, files=green).status_code == 404
        )
        JobRunner(runtime.db, name="test-ingest", queues=("default",)).run_until_empty()
        r = client.delete(f"{files_url}/{added}", headers=owner)
        assert r.status_code == 200
        assert r.json()["file_ids"] == [replacement]
        assert client.delete(f"{files_url}/{replacement}", headers=owner).status_code == 409  # the last one
        _approve(client, people, m["id"])
        run_index_queue(runtime)
        sig = client.get(f"/api/v1/materials/{m['id']}/signature").json()
        assert sig["version"] == 2
        assert [f["id"] for f in sig["manifest"]["files"]] == [replacement]
        old = client.get(f"/api/v1/materials/{m['id']}/signature", params={"version": 1}).json()
        assert [f["id"] for f in old["manifest"]["files"]] == [first]
        # The file of approved version 1 is still downloadable (the record of what was approved).
        assert client.get(f"/api/v1/materials/{m['id']}/files/{first}").status_code == 200
        with runtime.db.read() as s:
            changes = s.scalars(select(AuditEvent).where(AuditEvent.action == "material.files_changed")).all()
        assert len(changes) == 3

    def test_draft_files_change_in_place_and_removed_uploads_disappear(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        owner = people["co_lan"]
        m = _ingested(runtime, client, owner, "Hình tròn")
        files_url = f"/api/v1/materials/{m['id']}/files"
        r = client.post(files_url, headers=owner, files=[("file", ("b.png", _png((1, 2, 3)), "image/png"))])
        assert r.json()["number"] == 1
        assert len(r.json()["file_ids"]) == 2
        client.delete(f"{files_url}/{m['files'][0]['id']}", headers=owner)
        listed = client.get(f"/api/v1/materials/{m['id']}", headers=owner).json()["files"]
        assert [f["filename"] for f in listed] == ["b.png"]
        empty = client.post(files_url, headers=owner, files=[("metadata", (None, "{}"))])
        assert empty.status_code == 422


class TestKeyRotation:
    def test_rotation_publishes_both_keys_and_old_approvals_still_verify(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        from repository.curation.signing import signatures
        from repository.signing import public_key_from_b64, rotate, signer_for, verify_manifest

        old = _ingested(runtime, client, people["co_lan"], "Hình tròn cũ")
        _approve(client, people, old["id"])
        before = client.get("/api/v1/keys").json()
        assert [k["status"] for k in before["keys"]] == ["current"]
        retired, current = rotate(runtime.settings)
        assert retired.key_id == before["current"]
        assert retired.valid_until == current.valid_from
        new = _ingested(runtime, client, people["co_lan"], "Hình tròn mới")
        _approve(client, people, new["id"])
        after = client.get("/api/v1/keys").json()
        assert after["current"] == current.key_id
        assert [(k["key_id"], k["status"]) for k in after["keys"]] == [
            (retired.key_id, "retired"),
            (current.key_id, "current"),
        ]
        assert after["keys"][0]["valid_until"] is not None
        assert after["keys"][1]["valid_until"] is None
        published = {k["key_id"]: public_key_from_b64(k["public_key"]) for k in after["keys"]}
        for mid, kid in ((old["id"], retired.key_id), (new["id"], current.key_id)):
            sig = client.get(f"/api/v1/materials/{mid}/signature").json()
            assert sig["key_id"] == kid
            assert verify_manifest(sig["manifest"], sig["signature"], published[kid])
            with runtime.db.read() as s:
                report = signatures.verify(s, mid, signer=signer_for(runtime.settings), blobs=runtime.blobs)
            assert report.ok, report.problems
        # A retired key cannot vouch for an approval dated after its retirement.
        signer = signer_for(runtime.settings)
        sig = client.get(f"/api/v1/materials/{old['id']}/signature").json()
        late = {**sig["manifest"], "approved_at": "2999-01-01T00:00:00+00:00"}
        assert signer.check(retired.key_id, late, sig["signature"]) is not None
        assert signer.check("0000000000000000", sig["manifest"], sig["signature"]) is not None


class TestNewVersionFilesStayPrivate:
    def test_a_file_added_after_approval_is_hidden_from_the_public_until_approved(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        owner = people["co_lan"]
        m = _ingested(runtime, client, owner, "Hình tròn")
        _approve(client, people, m["id"])
        r = client.post(
            f"/api/v1/materials/{m['id']}/files",
            headers=owner,
            files=[("file", ("bai-moi.png", _png((200, 20, 20)), "image/png"))],
        )
        assert r.status_code == 201, r.text
        added = r.json()["file_ids"][1]
        JobRunner(runtime.db, name="test-ingest", queues=("default",)).run_until_empty()
        anonymous: dict[str, str] = {}
        for who in (anonymous, people["hoc_sinh"]):
            page = client.get(f"/api/v1/materials/{m['id']}", headers=who).json()
            assert [f["id"] for f in page["files"]] == [m["files"][0]["id"]]
            assert client.get(f"/api/v1/materials/{m['id']}/files/{added}", headers=who).status_code == 404
            lrmi = client.get(f"/api/v1/materials/{m['id']}/lrmi", headers=who).json()
            assert all(added not in e["contentUrl"] for e in lrmi.get("encoding", []))
        mine = client.get(f"/api/v1/materials/{m['id']}", headers=owner).json()
        assert added in [f["id"] for f in mine["files"]]
        assert client.get(f"/api/v1/materials/{m['id']}/files/{added}", headers=owner).status_code == 200
        _approve(client, people, m["id"])
        assert client.get(f"/api/v1/materials/{m['id']}/files/{added}").status_code == 200
