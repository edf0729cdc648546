"""Limits before work: each test sends what an attacker would and checks the refusal came early.

Before (wave 1): a JSON body of any size was buffered before authentication; a multipart upload
could have any number of parts and could stall for ever; a malformed multipart body was a 500;
``Upload-Length: ²`` was a 500 (``str.isdigit`` accepts it, ``int`` does not); nobody had a
storage quota.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import socket
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from repository.models import Material, Upload
from tests.factories import upload
from tests.servers import start_server, stop_server

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
    b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _staged(runtime: Any) -> list[Path]:
    return [p for p in runtime.blobs.staging_dir.iterdir() if p.is_file()]


def _materials(runtime: Any) -> int:
    with runtime.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Material)) or 0)


def _raw_exchange(port: int, head: bytes, body_chunks: list[bytes], *, pause_s: float = 0.0) -> bytes:
    """Send a request by hand (chunked bodies, stalls) and return what the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the end: that is the point
        if pause_s:
            time.sleep(pause_s)
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
                head_end = answer.find(b"\r\n\r\n")
                if head_end >= 0:  # stop once the whole body the headers announce has arrived
                    length = re.search(rb"(?im)^content-length: *(\d+)\r$", answer[:head_end + 2])
                    if length and len(answer) >= head_end + 4 + int(length.group(1)):
                        break
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


class TestJsonBodyCap:
    def test_an_oversized_json_body_is_413_before_authentication(
        self, runtime: Any, client: TestClient
    ) -> None:
        big = json.dumps({"username": "x" * (runtime.settings.max_json_body_bytes + 10), "role": "admin"})
        r = client.post("/api/v1/admin/users", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413  # not 401: the body was refused before anyone was asked who sent it
        assert r.json()["error"]["code"] == "payload_too_large"

    def test_a_body_just_under_the_cap_reaches_the_route(self, runtime: Any, client: TestClient) -> None:
        body = json.dumps({"name": "x" * 1000})
        r = client.post("/api/v1/auth/tokens", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 401  # under the cap: the route runs and asks for a token

    def test_forms_are_capped_too(self, runtime: Any, client: TestClient) -> None:
        r = client.post(
            "/api/v1/auth/token",
            content=b"username=a&password=" + b"p" * (runtime.settings.max_json_body_bytes + 1),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413

    def test_a_chunked_body_is_cut_off_while_it_streams(self, runtime: Any) -> None:
        """No Content-Length: the server counts the chunks and answers 413 at the cap, without
        waiting for the 20 MB the client says nothing about."""
        port, proc = start_server(runtime, timeout=120)
        try:
            head = (
                b"POST /api/v1/admin/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            piece = b"x" * 65536
            chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * 320  # 20 MB if it were all read
            started = time.monotonic()
            answer = _raw_exchange(port, head, chunks)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
            assert time.monotonic() - started < 20
        finally:
            stop_server(proc)

    def test_a_lying_content_length_is_refused_without_reading(
        self, runtime: Any, client: TestClient
    ) -> None:
        r = client.post(
            "/api/v1/auth/token",
            content=b"username=a&password=b",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "99999999999"},
        )
        assert r.status_code == 413


class TestMultipart:
    def test_too_many_parts_is_413_and_nothing_is_staged(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        runtime.settings.max_upload_parts = 10
        files = [(f"anh-{i}.png", PNG, "image/png") for i in range(11)]
        r = upload(client, people["co_lan"], files, metadata={"title": "Nhiều phần"})
        assert r.status_code == 413, r.text
        assert "parts" in r.json()["error"]["message"]
        assert _staged(runtime) == []
        assert _materials(runtime) == 0

    def test_malformed_multipart_is_400(self, client: TestClient, people: Any) -> None:
        boundary = "6a60aa3719fa2d9c21fc9121dbe85446"
        body = (
            f"--{boundary}\r\n".encode()
            + "\U000f3225\U000a696c\x84¡".encode()
            + f"--{boundary}--\r\n".encode()
        )
        r = client.post(
            "/api/v1/materials",
            content=body,
            headers=people["co_lan"] | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status_code == 400, r.text
        assert "malformed" in r.json()["error"]["message"]

    def test_multipart_without_boundary_is_415(self, client: TestClient, people: Any) -> None:
        r = client.post(
            "/api/v1/materials",
            content=b"xx",
            headers=people["co_lan"] | {"Content-Type": "multipart/form-data"},
        )
        assert r.status_code == 415

    def test_a_stalled_upload_is_dropped_after_the_idle_timeout(
        self, runtime: Any, client: TestClient, people: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOCLIEU_UPLOAD_IDLE_TIMEOUT_S", "1")
        port, proc = start_server(runtime, timeout=120)
        try:
            boundary = b"hoclieu-boundary"
            start = (
                b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\n" + b"\x00" * 4096
            )
            head = (
                b"POST /api/v1/materials HTTP/1.1\r\nHost: x\r\n"
                + f"Authorization: {people['co_lan']['Authorization']}\r\n".encode()
                + b"Content-Type: multipart/form-data; boundary="
                + boundary
                + b"\r\n"
                + b"Content-Length: 10000000\r\n\r\n"
            )
            started = time.monotonic()
            answer = _raw_exchange(port, head, [start])  # then nothing more: a slow-loris upload
            waited = time.monotonic() - started
            assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
            assert b"stalled" in answer
            assert waited < 15
        finally:
            stop_server(proc)
        assert _staged(runtime) == []
        assert _materials(runtime) == 0


class TestQuota:
    def test_multipart_upload_past_the_quota_is_507_and_leaves_nothing(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        runtime.settings.user_quota_bytes = 3000
        first = upload(client, people["co_lan"], [("a.bin", os.urandom(2000), "application/octet-stream")])
        assert first.status_code == 201, first.text
        second = upload(client, people["co_lan"], [("b.bin", os.urandom(2000), "application/octet-stream")])
        assert second.status_code == 507, second.text
        error = second.json()["error"]
        assert error["code"] == "quota_exceeded"
        assert error["details"][0]["used"] == 2000
        assert error["details"][0]["allowed"] == 3000
        assert _staged(runtime) == []
        assert _materials(runtime) == 1
        # Another account has its own quota.
        other = upload(client, people["quan_tri"], [("c.bin", os.urandom(2000), "application/octet-stream")])
        assert other.status_code == 201

    def test_resumable_upload_reserves_its_length_against_the_quota(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        runtime.settings.user_quota_bytes = 5000
        name = base64.b64encode(b"video.mp4").decode()
        headers = people["co_lan"] | {"Tus-Resumable": "1.0.0", "Upload-Metadata": f"filename {name}"}
        assert client.post("/api/v1/uploads", headers=headers | {"Upload-Length": "4000"}).status_code == 201
        r = client.post("/api/v1/uploads", headers=headers | {"Upload-Length": "2000"})
        assert r.status_code == 507
        with runtime.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Upload)) == 1

    def test_zero_means_no_quota(self, runtime: Any, client: TestClient, people: Any) -> None:
        runtime.settings.user_quota_bytes = 0
        r = upload(client, people["co_lan"], [("a.bin", os.urandom(5000), "application/octet-stream")])
        assert r.status_code == 201


class TestTusHeaders:
    @pytest.mark.parametrize(
        "value", ["\u00b2", "\u0661\u0662", "1e3", "-1", "0x10", "12 34", "9" * 30, "", "\uff11\uff12"]
    )
    def test_upload_length_that_is_not_plain_ascii_digits_is_400(
        self, client: TestClient, people: Any, value: str
    ) -> None:
        name = base64.b64encode(b"a.mp4").decode()
        headers = people["co_lan"] | {"Upload-Metadata": f"filename {name}"}
        # httpx sends header values as UTF-8 bytes; the server reads them as latin-1, as a real one does.
        r = client.post("/api/v1/uploads", headers=headers | {"Upload-Length": value.encode("utf-8")})  # type: ignore[dict-item]
        assert r.status_code == 400, (value, r.text)

    @pytest.mark.parametrize("value", ["\u00b3", "\u0663", "+0", "1.0"])
    def test_upload_offset_that_is_not_plain_ascii_digits_is_400(
        self, client: TestClient, people: Any, value: str
    ) -> None:
        name = base64.b64encode(b"a.mp4").decode()
        created = client.post(
            "/api/v1/uploads",
            headers=people["co_lan"] | {"Upload-Length": "10", "Upload-Metadata": f"filename {name}"},
        )
        assert created.status_code == 201
        r = client.patch(
            created.json()["url"],
            content=b"0123456789",
            headers=people["co_lan"]
            | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": value.encode("utf-8")},  # type: ignore[dict-item]
        )
        assert r.status_code == 400, (value, r.text)

    def test_upload_metadata_with_nul_is_400(self, client: TestClient, people: Any) -> None:
        headers = people["co_lan"] | {
            "Upload-Length": "10",
            "Upload-Metadata": "filename "
            + base64.b64encode(b"a.mp4").decode()
            + ",filetype "
            + base64.b64encode(b"video/mp4\x00x").decode(),
        }
        assert client.post("/api/v1/uploads", headers=headers).status_code == 400


def _zip(members: list[tuple[str, bytes]], *, level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


class TestArchives:
    """A package's total expanded size and entry count are capped whatever each member's ratio."""

    def test_many_small_members_each_under_the_ratio_exemption_still_hit_the_total(
        self, tmp_path: Path
    ) -> None:
        from ingest.processors.packages import RATIO_EXEMPT_BYTES, inspect_package
        from ingest.processors.sandbox import ProcessingFailed

        # Each member is below the size where the ratio check applies; together they pass the cap.
        member = b"\x00" * (RATIO_EXEMPT_BYTES // 2)
        path = tmp_path / "bai-giang.zip"
        path.write_bytes(
            _zip([("index.html", b"<html>bai</html>")] + [(f"m{i}.bin", member) for i in range(12)])
        )
        (tmp_path / "out").mkdir()
        with pytest.raises(ProcessingFailed, match="unpack to more than"):
            inspect_package(path, tmp_path / "out", max_total_bytes=5 * 1024 * 1024)
        assert not any((tmp_path / "out").rglob("*.bin"))

    def test_incompressible_members_are_capped_as_well(self, tmp_path: Path) -> None:
        from ingest.processors.packages import inspect_package
        from ingest.processors.sandbox import ProcessingFailed

        path = tmp_path / "bai-giang.zip"
        members = [("index.html", b"<html>bai</html>")] + [
            (f"r{i}.bin", os.urandom(300_000)) for i in range(5)
        ]
        path.write_bytes(_zip(members))
        (tmp_path / "out").mkdir()
        with pytest.raises(ProcessingFailed, match="unpack to more than"):
            inspect_package(path, tmp_path / "out", max_total_bytes=1_000_000)

    def test_sizes_that_lie_in_the_directory_are_caught_while_unpacking(self, tmp_path: Path) -> None:
        from ingest.processors.packages import inspect_package
        from ingest.processors.sandbox import ProcessingFailed

        real = _zip([("index.html", b"<html>" + b"a" * 200_000 + b"</html>")])
        # Declare 10 bytes where 200 KB are stored (central directory and local header).
        lying = bytearray(real)
        for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
            at = lying.find(signature)
            lying[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
        path = tmp_path / "nho.zip"
        path.write_bytes(bytes(lying))
        (tmp_path / "out").mkdir()
        with pytest.raises(ProcessingFailed):
            inspect_package(path, tmp_path / "out")
        assert not any(p.stat().st_size > 10 for p in (tmp_path / "out").rglob("*") if p.is_file())

    def test_directory_entries_count_towards_the_entry_limit(self, tmp_path: Path) -> None:
        from ingest.processors.packages import inspect_package
        from ingest.processors.sandbox import ProcessingFailed

        path = tmp_path / "thu-muc.zip"
        path.write_bytes(_zip([("index.html", b"<html></html>")] + [(f"d{i}/", b"") for i in range(30)]))
        (tmp_path / "out").mkdir()
        with pytest.raises(ProcessingFailed, match="more than the limit"):
            inspect_package(path, tmp_path / "out", max_files=20)

    def test_a_plain_zip_listing_refuses_a_bomb_made_of_small_members(self, tmp_path: Path) -> None:
        from ingest.processors.sandbox import ProcessingFailed
        from ingest.processors.text import MAX_INFLATED_BYTES, _zip_listing

        count = MAX_INFLATED_BYTES // (2 * 1024 * 1024) + 2
        path = tmp_path / "bom.zip"
        path.write_bytes(_zip([(f"m{i}.txt", b" " * (2 * 1024 * 1024)) for i in range(count)]))
        with pytest.raises(ProcessingFailed, match="decompression bomb"):
            _zip_listing(str(path))
