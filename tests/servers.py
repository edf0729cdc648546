"""A real ``hoclieu serve`` process on the loopback, for tests that kill or cut off a server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from tests.conftest import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    runtime: Any, *, timeout: float = 30, env: dict[str, str] | None = None
) -> tuple[int, subprocess.Popen[bytes]]:
    """``hoclieu serve`` on the test runtime's database and data dir (no job runner); waits until
    it accepts connections. ``env`` adds settings. Returns the port and the process."""
    port = free_port()
    environ = os.environ | {
        "HOCLIEU_DATA_DIR": str(runtime.settings.data_dir),
        "HOCLIEU_DATABASE_URL": runtime.settings.sqlalchemy_url,
        "HOCLIEU_IN_PROCESS_WORKER": "false",
        "HOCLIEU_LOG_LEVEL": "WARNING",
        "HOCLIEU_MAX_UPLOAD_BYTES": str(runtime.settings.max_upload_bytes),
    } | (env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return port, proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
