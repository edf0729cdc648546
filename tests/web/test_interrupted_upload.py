"""Uploads cut off half-way, against a real server process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.models import Material, Role
from tests.factories import PASSWORD, make_user
from tests.servers import start_server, stop_server


@pytest.fixture
def server(runtime) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:  # type: ignore[no-untyped-def]
    make_user(runtime, "co_lan", Role.teacher)
    port, proc = start_server(runtime)
    try:
        yield port, proc
    finally:
        stop_server(proc)


def _token(port: int) -> str:
    import httpx2

    r = httpx2.post(
        f"http://127.0.0.1:{port}/api/v1/auth/token", data={"username": "co_lan", "password": PASSWORD}
    )
    return str(r.json()["access_token"])


def _start_upload(port: int, token: str) -> socket.socket:
    boundary = "hoclieuboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="video.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    total = len(head) + 50 * 1024 * 1024
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        (
            "POST /api/v1/materials HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n"
        ).encode()
        + head
    )
    chunk = b"\0" * 65536
    for _ in range(16):  # 1 MB of the 50 announced
        sock.sendall(chunk)
    return sock


def _staging_files(runtime) -> list[Path]:  # type: ignore[no-untyped-def]
    return list(runtime.blobs.staging_dir.iterdir())


def _wait_for(predicate, timeout: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _materials(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Material)) or 0)


class TestInterruptedUpload:
    def test_client_disconnect_leaves_nothing(self, runtime, server) -> None:  # type: ignore[no-untyped-def]
        port, _ = server
        sock = _start_upload(port, _token(port))
        assert _wait_for(lambda: len(_staging_files(runtime)) == 1)
        sock.close()
        assert _wait_for(lambda: _staging_files(runtime) == []), "staging file not removed after disconnect"
        assert list(runtime.blobs.iter_keys()) == []
        assert _materials(runtime) == 0

    def test_server_killed_mid_upload_leaves_no_blob_and_no_material(self, runtime, server) -> None:  # type: ignore[no-untyped-def]
        port, proc = server
        sock = _start_upload(port, _token(port))
        assert _wait_for(lambda: len(_staging_files(runtime)) == 1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        sock.close()
        assert list(runtime.blobs.iter_keys()) == []
        assert _materials(runtime) == 0
        # What the dead process left is only a staging file, removed by the next start's sweep.
        (leftover,) = _staging_files(runtime)
        old = time.time() - 48 * 3600
        os.utime(leftover, (old, old))
        from fastapi.testclient import TestClient

        from web.app import create_app

        with TestClient(create_app(runtime.settings, runtime=runtime, run_worker=False)):
            pass
        assert _staging_files(runtime) == []
