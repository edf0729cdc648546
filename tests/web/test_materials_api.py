from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from repository.models import Material, MaterialFile, Role
from tests.factories import make_user, token_for, upload

PDF = b"%PDF-1.4\n" + "Toán lớp 5 — Phân số".encode() + b"\n%%EOF\n"
META = {"title": "Toán lớp 5: Phân số", "grades": [5], "subjects": ["toan"], "type": "phieu-hoc-tap"}


@pytest.fixture
def teacher(runtime, client: TestClient) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user(runtime, "co_lan", Role.teacher)
    return token_for(client, "co_lan")


def _counts(runtime) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with runtime.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Material)) or 0,
            s.scalar(select(func.count()).select_from(MaterialFile)) or 0,
        )


class TestUpload:
    def test_upload_then_download_is_byte_identical(
        self, client: TestClient, teacher: dict[str, str]
    ) -> None:
        r = upload(client, teacher, [("Phân số lớp 5.pdf", PDF, "application/pdf")], META)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["state"] == "draft"
        assert body["version"] == 1
        assert body["metadata"]["title"] == "Toán lớp 5: Phân số"
        (f,) = body["files"]
        assert f["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert f["size"] == len(PDF)
        assert f["media_type"] == "application/pdf"
        assert f["status"] == "queued"
        assert f["derivatives"] == []

        got = client.get(f["url"], headers=teacher)
        assert got.status_code == 200
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert (
            got.headers["content-disposition"] == f"attachment; filename*=utf-8''{quote('Phân số lớp 5.pdf')}"
        )

        again = client.get(f"/api/v1/materials/{body['id']}", headers=teacher)
        assert again.json()["files"][0]["sha256"] == f["sha256"]

    def test_several_files_in_one_material(self, client: TestClient, teacher: dict[str, str]) -> None:
        r = upload(
            client,
            teacher,
            [
                ("bai-giang.pdf", PDF, "application/pdf"),
                ("ghi-chu.txt", "Ghi chú bài học".encode(), "text/plain"),
            ],
            META,
        )
        assert r.status_code == 201, r.text
        files = r.json()["files"]
        assert [f["filename"] for f in files] == ["bai-giang.pdf", "ghi-chu.txt"]
        assert files[1]["media_type"] == "text/plain"

    def test_range_request_returns_the_slice(self, client: TestClient, teacher: dict[str, str]) -> None:
        data = bytes(range(256)) * 40
        r = upload(client, teacher, [("video.bin", data, "application/octet-stream")], META)
        url = r.json()["files"][0]["url"]
        part = client.get(url, headers=teacher | {"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        bad = client.get(url, headers=teacher | {"Range": f"bytes={len(data) + 10}-"})
        assert bad.status_code == 416

    def test_title_defaults_from_filename(self, client: TestClient, teacher: dict[str, str]) -> None:
        r = upload(
            client, teacher, [("Diện_tích_hình_tam_giác.pdf", PDF, "application/pdf")], {"grades": [5]}
        )
        assert r.status_code == 201, r.text
        assert r.json()["metadata"]["title"] == "Diện tích hình tam giác"

    def test_same_content_twice_is_flagged_duplicate(
        self, client: TestClient, teacher: dict[str, str]
    ) -> None:
        first = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], META).json()
        second = upload(client, teacher, [("b.pdf", PDF, "application/pdf")], META).json()
        assert second["files"][0]["duplicate_of"] == first["id"]


class TestBadInput:
    """Every bad request gets a clear 4xx with the stable error shape, and stores nothing."""

    @pytest.mark.parametrize(
        ("metadata", "field", "needle"),
        [
            ({"title": "x", "subjects": ["toan-hoc"]}, "subjects[0]", "did you mean 'toan'"),
            ({"title": "x", "grades": [13]}, "grades[0]", "1 to 12"),
            ({"title": "x", "license": "GPL"}, "license", "CC-BY-4.0"),
            ({"title": "x", "mau_sac": "đỏ"}, "mau_sac", "mau_sac"),
        ],
    )
    def test_bad_metadata_names_the_field(
        self,
        runtime,
        client: TestClient,
        teacher: dict[str, str],  # type: ignore[no-untyped-def]
        metadata: dict[str, object],
        field: str,
        needle: str,
    ) -> None:
        r = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], metadata)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "metadata_invalid"
        assert any(d["field"] == field for d in err["details"]), err
        assert needle in err["message"]
        assert _counts(runtime) == (0, 0)

    def test_malformed_metadata_json(self, runtime, client: TestClient, teacher: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        r = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], '{"title": "x",')
        assert r.status_code == 422
        assert "not valid JSON" in r.json()["error"]["message"]
        assert _counts(runtime) == (0, 0)

    def test_empty_file(self, runtime, client: TestClient, teacher: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        r = upload(client, teacher, [("rong.pdf", b"", "application/pdf")], META)
        assert r.status_code == 422
        assert "empty" in r.json()["error"]["message"]
        assert _counts(runtime) == (0, 0)

    def test_oversize_file_is_413_and_nothing_is_kept(
        self, runtime, client: TestClient, teacher: dict[str, str]
    ) -> None:  # type: ignore[no-untyped-def]
        big = b"x" * (runtime.settings.max_upload_bytes + 1)
        r = upload(client, teacher, [("lon.bin", big, "application/octet-stream")], META)
        assert r.status_code == 413
        assert "larger than the limit" in r.json()["error"]["message"]
        assert _counts(runtime) == (0, 0)
        assert list(runtime.blobs.iter_keys()) == []
        assert list(runtime.blobs.staging_dir.iterdir()) == []

    def test_no_file(self, client: TestClient, teacher: dict[str, str]) -> None:
        r = client.post("/api/v1/materials", headers=teacher, files=[("metadata", (None, json.dumps(META)))])
        assert r.status_code == 422
        assert "at least one file" in r.json()["error"]["message"]

    def test_not_multipart(self, client: TestClient, teacher: dict[str, str]) -> None:
        r = client.post("/api/v1/materials", headers=teacher, json=META)
        assert r.status_code == 415
        assert "multipart/form-data" in r.json()["error"]["message"]

    def test_unknown_form_field(self, client: TestClient, teacher: dict[str, str]) -> None:
        r = client.post(
            "/api/v1/materials",
            headers=teacher,
            files=[("file", ("a.pdf", PDF, "application/pdf")), ("tep", ("b.pdf", PDF, "application/pdf"))],
        )
        assert r.status_code == 422
        assert "'tep'" in r.json()["error"]["message"]

    def test_missing_auth_is_401(self, client: TestClient) -> None:
        r = upload(client, {}, [("a.pdf", PDF, "application/pdf")], META)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "not_authenticated"

    def test_bad_token_is_401(self, client: TestClient) -> None:
        r = upload(client, {"Authorization": "Bearer hl_nonsense"}, [("a.pdf", PDF, "application/pdf")], META)
        assert r.status_code == 401

    def test_student_cannot_upload(self, runtime, client: TestClient) -> None:  # type: ignore[no-untyped-def]
        make_user(runtime, "hs_an", Role.student)
        r = upload(client, token_for(client, "hs_an"), [("a.pdf", PDF, "application/pdf")], META)
        assert r.status_code == 403

    def test_unknown_material_and_file(self, client: TestClient, teacher: dict[str, str]) -> None:
        assert client.get("/api/v1/materials/khong-co").status_code == 404
        m = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], META).json()
        r = client.get(f"/api/v1/materials/{m['id']}/files/khong-co", headers=teacher)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"

    def test_bad_paging(self, client: TestClient) -> None:
        r = client.get("/api/v1/materials?size=1000")
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "size"


class TestVisibility:
    def test_drafts_are_private_to_their_owner(
        self, runtime, client: TestClient, teacher: dict[str, str]
    ) -> None:  # type: ignore[no-untyped-def]
        m = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], META).json()
        make_user(runtime, "co_hoa", Role.teacher)
        other = token_for(client, "co_hoa")
        for headers in ({}, other):
            assert client.get(f"/api/v1/materials/{m['id']}", headers=headers).status_code == 404
            assert client.get(m["files"][0]["url"], headers=headers).status_code == 404
            assert client.get("/api/v1/materials", headers=headers).json()["total"] == 0
        mine = client.get("/api/v1/materials?mine=true", headers=teacher).json()
        assert [i["id"] for i in mine["items"]] == [m["id"]]

    def test_listing_pages(self, client: TestClient, teacher: dict[str, str]) -> None:
        ids = [
            upload(client, teacher, [(f"{i}.txt", f"bài {i}".encode(), "text/plain")], META).json()["id"]
            for i in range(3)
        ]
        page1 = client.get("/api/v1/materials?size=2&page=1", headers=teacher).json()
        page2 = client.get("/api/v1/materials?size=2&page=2", headers=teacher).json()
        assert page1["total"] == 3
        assert len(page1["items"]) == 2
        assert len(page2["items"]) == 1
        assert {i["id"] for i in page1["items"] + page2["items"]} == set(ids)


class TestRestart:
    def test_material_survives_a_restart(self, runtime, client: TestClient, teacher: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        from web.app import create_app

        m = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], META).json()
        from repository.runtime import build_runtime

        fresh = build_runtime(runtime.settings)  # new engine, new blob store object: a new process
        try:
            with TestClient(create_app(fresh.settings, runtime=fresh, run_worker=False)) as c2:
                got = c2.get(m["files"][0]["url"], headers=teacher)
                assert got.status_code == 200
                assert got.content == PDF
        finally:
            fresh.close()


class TestRestrictedDownloadAudit:
    def test_downloading_a_draft_is_audited_and_a_public_file_is_not(
        self,
        runtime,
        client: TestClient,  # type: ignore[no-untyped-def]
        teacher: dict[str, str],
    ) -> None:
        from repository.models import AuditEvent

        m = upload(client, teacher, [("a.pdf", PDF, "application/pdf")], META).json()
        assert client.get(m["files"][0]["url"], headers=teacher).status_code == 200
        with runtime.db.read() as s:
            events = s.scalars(
                select(AuditEvent).where(AuditEvent.action == "material.restricted_download")
            ).all()
        assert [(e.subject_id, e.data["file_id"]) for e in events] == [(m["id"], m["files"][0]["id"])]
        assert events[0].actor_id is not None and events[0].ip
