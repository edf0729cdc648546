"""Resumable uploads (tus 1.0) under /api/v1/uploads, and materials made from them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from repository.models import Material, Role, Upload, utcnow
from repository.storage import key_for
from tests.factories import PASSWORD, make_user, token_for
from tests.servers import start_server, stop_server

TUS = {"Tus-Resumable": "1.0.0"}
META = {"title": "Bài giảng: Diện tích hình tam giác", "grades": [5], "subjects": ["toan"]}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def teacher(runtime, client: TestClient) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user(runtime, "co_lan", Role.teacher)
    return token_for(client, "co_lan") | TUS


@pytest.fixture
def other(runtime, client: TestClient) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user(runtime, "co_mai", Role.teacher)
    return token_for(client, "co_mai") | TUS


@pytest.fixture
def video(shared_data: Path) -> bytes:
    """A real MP4 (AV1, ~0.5 MB) from the media corpus."""
    return (shared_data / "03_media" / "video" / "hdr10-av1.mp4").read_bytes()


def create(
    client: Any,
    headers: dict[str, str],
    length: int,
    filename: str = "bài giảng.mp4",
    filetype: str = "video/mp4",
) -> Any:
    return client.post(
        "/api/v1/uploads",
        headers=headers
        | {
            "Upload-Length": str(length),
            "Upload-Metadata": f"filename {b64(filename)},filetype {b64(filetype)}",
        },
    )


def patch(client: Any, headers: dict[str, str], url: str, offset: int, data: bytes) -> Any:
    return client.patch(
        url,
        content=data,
        headers=headers | {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
    )


def send_all(
    client: Any, headers: dict[str, str], url: str, data: bytes, start: int = 0, chunk: int = 128 * 1024
) -> None:
    offset = start
    while offset < len(data):
        r = patch(client, headers, url, offset, data[offset : offset + chunk])
        assert r.status_code == 204, r.text
        offset = int(r.headers["Upload-Offset"])


def offset_of(client: Any, headers: dict[str, str], url: str) -> int:
    r = client.head(url, headers=headers)
    assert r.status_code == 200
    return int(r.headers["Upload-Offset"])


def part_path(runtime: Any, upload_id: str) -> Path:
    return runtime.blobs.resumable(upload_id).path


def count(runtime: Any, model: Any) -> int:
    with runtime.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


class TestProtocol:
    def test_options_advertises_version_extensions_and_limit(self, client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
        r = client.options("/api/v1/uploads")
        assert r.status_code == 204
        assert r.headers["Tus-Version"] == "1.0.0"
        assert set(r.headers["Tus-Extension"].split(",")) == {"creation", "expiration", "termination"}
        assert r.headers["Tus-Max-Size"] == str(runtime.settings.max_upload_bytes)

    def test_create_then_head_reports_offset_zero(self, client: TestClient, teacher: dict[str, str]) -> None:
        r = create(client, teacher, 1000, filename="Bài 1: Phân số.mp4")
        assert r.status_code == 201, r.text
        url = r.headers["Location"]
        assert url == f"/api/v1/uploads/{r.json()['id']}"
        assert r.headers["Tus-Resumable"] == "1.0.0"
        assert r.json()["filename"] == "Bài 1: Phân số.mp4"
        assert r.json()["content_type"] == "video/mp4"
        head = client.head(url, headers=teacher)
        assert head.status_code == 200
        assert head.headers["Upload-Offset"] == "0"
        assert head.headers["Upload-Length"] == "1000"
        assert head.headers["Cache-Control"] == "no-store"
        assert "GMT" in head.headers["Upload-Expires"]

    def test_chunks_append_and_the_result_is_byte_identical(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,
        video: bytes,  # type: ignore[no-untyped-def]
    ) -> None:
        url = create(client, teacher, len(video)).headers["Location"]
        send_all(client, teacher, url, video, chunk=100_000)
        state = client.get(url, headers=teacher).json()
        assert state["complete"] is True
        assert state["offset"] == len(video)
        assert state["sha256"] == hashlib.sha256(video).hexdigest()
        assert part_path(runtime, state["id"]).read_bytes() == video

    def test_offset_mismatch_is_409_with_the_stored_offset(
        self, client: TestClient, teacher: dict[str, str]
    ) -> None:
        url = create(client, teacher, 10).headers["Location"]
        assert patch(client, teacher, url, 0, b"12345").status_code == 204
        r = patch(client, teacher, url, 3, b"45678")
        assert r.status_code == 409
        assert r.json()["error"]["details"][0]["offset"] == 5
        again = patch(client, teacher, url, 0, b"12345")  # a retried chunk that already arrived
        assert again.status_code == 409
        assert offset_of(client, teacher, url) == 5

    def test_declared_length_above_the_limit_is_413(
        self, client: TestClient, teacher: dict[str, str], runtime
    ) -> None:  # type: ignore[no-untyped-def]
        r = create(client, teacher, runtime.settings.max_upload_bytes + 1)
        assert r.status_code == 413
        assert count(runtime, Upload) == 0
        assert list(runtime.blobs.resumable_dir.iterdir()) == []

    def test_chunk_past_the_declared_length_is_413_and_stores_nothing(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,  # type: ignore[no-untyped-def]
    ) -> None:
        r = create(client, teacher, 8)
        url = r.headers["Location"]
        assert patch(client, teacher, url, 0, b"abcd").status_code == 204
        too_long = patch(client, teacher, url, 4, b"efghij")
        assert too_long.status_code == 413
        assert offset_of(client, teacher, url) == 4
        assert part_path(runtime, r.json()["id"]).read_bytes() == b"abcd"

    def test_bad_requests_get_clear_errors(self, client: TestClient, teacher: dict[str, str]) -> None:
        assert create(client, teacher, 0).status_code == 422  # empty file
        no_length = client.post(
            "/api/v1/uploads", headers=teacher | {"Upload-Metadata": f"filename {b64('a.mp4')}"}
        )
        assert no_length.status_code == 400
        assert "Upload-Length" in no_length.json()["error"]["message"]
        bad_meta = client.post(
            "/api/v1/uploads", headers=teacher | {"Upload-Length": "5", "Upload-Metadata": "filename @@"}
        )
        assert bad_meta.status_code == 400
        no_name = client.post("/api/v1/uploads", headers=teacher | {"Upload-Length": "5"})
        assert no_name.status_code == 422
        url = create(client, teacher, 5).headers["Location"]
        wrong_type = client.patch(
            url,
            content=b"12345",
            headers=teacher | {"Upload-Offset": "0", "Content-Type": "application/json"},
        )
        assert wrong_type.status_code == 415
        no_offset = client.patch(
            url, content=b"12345", headers=teacher | {"Content-Type": "application/offset+octet-stream"}
        )
        assert no_offset.status_code == 400
        old = client.head(url, headers=teacher | {"Tus-Resumable": "0.2.2"})
        assert old.status_code == 412
        assert old.headers["Tus-Version"] == "1.0.0"

    def test_delete_ends_the_session_and_removes_the_file(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,  # type: ignore[no-untyped-def]
    ) -> None:
        r = create(client, teacher, 10)
        url, upload_id = r.headers["Location"], r.json()["id"]
        patch(client, teacher, url, 0, b"12345")
        assert client.delete(url, headers=teacher).status_code == 204
        assert client.head(url, headers=teacher).status_code == 404
        assert not part_path(runtime, upload_id).exists()


class TestOwnership:
    def test_someone_elses_upload_does_not_exist_for_them(
        self,
        client: TestClient,
        teacher: dict[str, str],
        other: dict[str, str],
        runtime,  # type: ignore[no-untyped-def]
    ) -> None:
        r = create(client, teacher, 10)
        url, upload_id = r.headers["Location"], r.json()["id"]
        patch(client, teacher, url, 0, b"12345")
        assert client.head(url, headers=other).status_code == 404
        assert client.get(url, headers=other).status_code == 404
        assert patch(client, other, url, 5, b"67890").status_code == 404
        assert client.delete(url, headers=other).status_code == 404
        stolen = client.post(
            "/api/v1/materials", headers=other, json={"uploads": [upload_id], "metadata": META}
        )
        assert stolen.status_code == 404
        assert offset_of(client, teacher, url) == 5  # untouched

    def test_anonymous_and_students_are_refused(self, client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
        assert create(client, TUS, 10).status_code == 401
        make_user(runtime, "hoc_sinh", Role.student)
        assert create(client, token_for(client, "hoc_sinh") | TUS, 10).status_code == 403


class TestExpiry:
    def test_an_expired_session_is_gone_and_swept_with_its_file(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,  # type: ignore[no-untyped-def]
    ) -> None:
        from web.api.uploads import expire_uploads

        r = create(client, teacher, 10)
        url, upload_id = r.headers["Location"], r.json()["id"]
        patch(client, teacher, url, 0, b"12345")
        with runtime.db.session(write=True) as s:
            s.get(Upload, upload_id).expires_at = utcnow() - timedelta(minutes=1)
            s.commit()
        gone = client.head(url, headers=teacher)
        assert gone.status_code == 410
        assert patch(client, teacher, url, 5, b"67890").status_code == 410
        assert expire_uploads(runtime) == 1
        assert count(runtime, Upload) == 0
        assert not part_path(runtime, upload_id).exists()

    def test_the_staging_sweep_spares_a_live_session_and_removes_orphans(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,  # type: ignore[no-untyped-def]
    ) -> None:
        from web.api.uploads import expire_uploads

        r = create(client, teacher, 10)
        upload_id = r.json()["id"]
        patch(client, teacher, r.headers["Location"], 0, b"12345")
        orphan = runtime.blobs.resumable_dir / "0000-orphan.part"
        orphan.write_bytes(b"left by a crash before the session committed")
        old = time.time() - 3 * 24 * 3600
        for path in (part_path(runtime, upload_id), orphan):
            os.utime(path, (old, old))
        runtime.blobs.cleanup_staging(older_than_s=24 * 3600)
        assert expire_uploads(runtime) == 0
        assert part_path(runtime, upload_id).read_bytes() == b"12345"
        assert not orphan.exists()


class TestRestart:
    def test_a_session_survives_a_fresh_runtime(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,
        video: bytes,  # type: ignore[no-untyped-def]
    ) -> None:
        from repository.runtime import build_runtime
        from web.app import create_app

        half = len(video) // 2
        url = create(client, teacher, len(video)).headers["Location"]
        send_all(client, teacher, url, video[:half], chunk=100_000)
        client.close()  # the first "server" is gone
        fresh = build_runtime(runtime.settings)  # new engine, new blob store object: nothing in memory
        try:
            with TestClient(create_app(fresh.settings, runtime=fresh, run_worker=False)) as again:
                assert offset_of(again, teacher, url) == half
                send_all(again, teacher, url, video, start=half, chunk=100_000)
                assert again.get(url, headers=teacher).json()["sha256"] == hashlib.sha256(video).hexdigest()
        finally:
            fresh.close()


class TestMaterialFromUploads:
    def test_json_body_makes_a_material_and_consumes_the_upload(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,
        video: bytes,  # type: ignore[no-untyped-def]
    ) -> None:
        r = create(client, teacher, len(video), filename="Diện tích hình tam giác.mp4")
        url, upload_id = r.headers["Location"], r.json()["id"]
        send_all(client, teacher, url, video, chunk=200_000)
        made = client.post(
            "/api/v1/materials", headers=teacher, json={"uploads": [upload_id], "metadata": META}
        )
        assert made.status_code == 201, made.text
        (f,) = made.json()["files"]
        assert f["filename"] == "Diện tích hình tam giác.mp4"
        assert f["media_type"] == "video/mp4"
        assert f["sha256"] == hashlib.sha256(video).hexdigest()
        assert f["size"] == len(video)
        assert client.get(f["url"], headers=teacher).content == video
        assert runtime.blobs.verify(key_for(f["sha256"]))
        # The session ended with the material: no row, no partial file, not usable twice.
        assert client.head(url, headers=teacher).status_code == 404
        assert not part_path(runtime, upload_id).exists()
        twice = client.post("/api/v1/materials", headers=teacher, json={"uploads": [upload_id]})
        assert twice.status_code == 404

    def test_multipart_files_and_uploads_mix(
        self,
        client: TestClient,
        teacher: dict[str, str],
        video: bytes,  # type: ignore[no-untyped-def]
    ) -> None:
        r = create(client, teacher, len(video))
        send_all(client, teacher, r.headers["Location"], video, chunk=300_000)
        pdf = b"%PDF-1.4\n" + "Phiếu bài tập".encode() + b"\n%%EOF\n"
        made = client.post(
            f"/api/v1/materials?upload={r.json()['id']}",
            headers=teacher,
            files=[
                ("file", ("phieu.pdf", pdf, "application/pdf")),
                ("metadata", (None, '{"title": "Bài 5"}')),
            ],
        )
        assert made.status_code == 201, made.text
        assert [f["media_type"] for f in made.json()["files"]] == ["application/pdf", "video/mp4"]

    def test_an_incomplete_upload_is_refused_and_stays_resumable(
        self,
        client: TestClient,
        teacher: dict[str, str],
        runtime,  # type: ignore[no-untyped-def]
    ) -> None:
        r = create(client, teacher, 10)
        url, upload_id = r.headers["Location"], r.json()["id"]
        patch(client, teacher, url, 0, b"12345")
        refused = client.post(
            "/api/v1/materials", headers=teacher, json={"uploads": [upload_id], "metadata": META}
        )
        assert refused.status_code == 409
        assert "5 of 10 bytes" in refused.json()["error"]["message"]
        assert count(runtime, Material) == 0
        assert offset_of(client, teacher, url) == 5

    def test_bad_json_bodies(self, client: TestClient, teacher: dict[str, str]) -> None:
        empty = client.post("/api/v1/materials", headers=teacher, json={"uploads": []})
        assert empty.status_code == 422
        assert (
            client.post("/api/v1/materials", headers=teacher, json={"uploads": ["nope"]}).status_code == 404
        )


# --- a real server killed in the middle of a chunk ----------------------------------------------


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:  # type: ignore[no-untyped-def]
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        stop_server(proc)


class TestKilledServer:
    def test_killed_mid_chunk_then_resumed_on_a_restarted_server(
        self,
        runtime,
        servers: list[subprocess.Popen[bytes]],  # type: ignore[no-untyped-def]
    ) -> None:
        # Generated, not a corpus file: the cut must land past the server's 1 MB write buffer.
        payload = hashlib.sha256(b"hoclieu").digest() * (3 * 1024 * 1024 // 32) + b"tail"
        make_user(runtime, "co_lan", Role.teacher)
        port, proc = start_server(runtime)
        servers.append(proc)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "co_lan", "password": PASSWORD}
        ).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"} | TUS
        r = httpx.post(
            f"{base}/api/v1/uploads",
            headers=auth
            | {"Upload-Length": str(len(payload)), "Upload-Metadata": f"filename {b64('bai-giang.bin')}"},
        )
        url, upload_id = base + r.headers["Location"], r.json()["id"]
        first = 1024 * 1024
        assert patch(httpx, auth, url, 0, payload[:first]).status_code == 204

        # The second chunk: headers and 1.5 MB of its body sent, then the server dies under it.
        part = part_path(runtime, upload_id)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                (
                    f"PATCH /api/v1/uploads/{upload_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: {auth['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
                    f"Upload-Offset: {first}\r\n"
                    "Content-Type: application/offset+octet-stream\r\n"
                    f"Content-Length: {len(payload) - first}\r\n\r\n"
                ).encode()
                + payload[first : first + 1536 * 1024]
            )
            deadline = time.monotonic() + 10
            while part.stat().st_size <= first and time.monotonic() < deadline:
                time.sleep(0.05)  # the server is writing the chunk
            assert part.stat().st_size > first, "the chunk never reached the disk"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

        port, proc = start_server(runtime)
        servers.append(proc)
        url = f"http://127.0.0.1:{port}/api/v1/uploads/{upload_id}"
        # Only the acknowledged offset counts; the unacknowledged tail on disk is dropped.
        assert offset_of(httpx, auth, url) == first
        send_all(httpx, auth, url, payload, start=first, chunk=1024 * 1024)
        done = httpx.get(url, headers=auth).json()
        assert done["sha256"] == hashlib.sha256(payload).hexdigest()
        assert part.read_bytes() == payload
        made = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/materials",
            headers=auth,
            json={"uploads": [upload_id], "metadata": META},
        )
        assert made.status_code == 201, made.text
        assert made.json()["files"][0]["sha256"] == hashlib.sha256(payload).hexdigest()

    def test_a_chunk_cut_off_by_the_client_keeps_what_arrived(
        self,
        runtime,
        servers: list[subprocess.Popen[bytes]],  # type: ignore[no-untyped-def]
    ) -> None:
        payload = hashlib.sha256(b"3G").digest() * (2 * 1024 * 1024 // 32)
        make_user(runtime, "co_lan", Role.teacher)
        port, proc = start_server(runtime)
        servers.append(proc)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "co_lan", "password": PASSWORD}
        ).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"} | TUS
        r = httpx.post(
            f"{base}/api/v1/uploads",
            headers=auth
            | {"Upload-Length": str(len(payload)), "Upload-Metadata": f"filename {b64('video.mp4')}"},
        )
        upload_id = r.json()["id"]
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                (
                    f"PATCH /api/v1/uploads/{upload_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: {auth['Authorization']}\r\nUpload-Offset: 0\r\n"
                    "Content-Type: application/offset+octet-stream\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n"
                ).encode()
                + payload[:700_000]
            )
        url = f"{base}/api/v1/uploads/{upload_id}"
        deadline = time.monotonic() + 10
        while offset_of(httpx, auth, url) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        kept = offset_of(httpx, auth, url)
        assert 0 < kept <= 700_000  # acknowledged without a response: the next PATCH starts there
        assert part_path(runtime, upload_id).read_bytes() == payload[:kept]


class TestUploadIntoANewVersion:
    def test_a_finished_upload_becomes_a_file_of_the_working_version(
        self,
        client: TestClient,
        teacher: dict[str, str],
        video: bytes,
    ) -> None:
        made = client.post(
            "/api/v1/materials",
            headers=teacher,
            files=[("file", ("ghi-chu.txt", "Ghi chú bài học".encode(), "text/plain"))],
            data={"metadata": json.dumps(META)},
        )
        assert made.status_code == 201, made.text
        r = create(client, teacher, len(video), filename="bài giảng bổ sung.mp4")
        url, upload_id = r.headers["Location"], r.json()["id"]
        send_all(client, teacher, url, video, chunk=200_000)
        added = client.post(
            f"/api/v1/materials/{made.json()['id']}/files", headers=teacher, params={"upload": upload_id}
        )
        assert added.status_code == 201, added.text
        assert len(added.json()["file_ids"]) == 2
        files = client.get(f"/api/v1/materials/{made.json()['id']}", headers=teacher).json()["files"]
        assert [f["filename"] for f in files] == ["ghi-chu.txt", "bài giảng bổ sung.mp4"]
        assert files[1]["sha256"] == hashlib.sha256(video).hexdigest()
        assert client.head(url, headers=teacher).status_code == 404  # the upload was consumed
