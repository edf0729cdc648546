"""Real servers for tests: ``hoclieu serve`` on the loopback (for tests that kill or cut off a
server), and a private ``redis-server`` (tests never touch a Redis they do not own)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from repository.processes import parent_bound
from tests.conftest import REPO_ROOT

# Listening ports for test servers come from below the kernel's ephemeral range (32768-60999 by
# default): a port the kernel handed out with ``bind(0)`` and we closed can be taken again at once as
# the local port of any outgoing connection (Redis, PostgreSQL, HTTP clients of parallel tests),
# and the server started on it then fails with "address already in use".
_LISTEN_PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback TCP port nothing listens on, not handed out before by this process."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.choice(_LISTEN_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port between 20000 and 32000")


def start_server(
    runtime: Any, *, timeout: float = 30, env: dict[str, str] | None = None
) -> tuple[int, subprocess.Popen[bytes]]:
    """``hoclieu serve`` on the test runtime's database and data dir (no ingest runner; with the
    embedded index it is the indexer); ``env`` adds or overrides variables. Waits until it
    accepts connections. Returns the port and the process."""
    port = free_port()
    env = (
        os.environ
        | {
            "HOCLIEU_DATA_DIR": str(runtime.settings.data_dir),
            "HOCLIEU_DATABASE_URL": runtime.settings.sqlalchemy_url,
            "HOCLIEU_IN_PROCESS_WORKER": "false",
            "HOCLIEU_LOG_LEVEL": "WARNING",
            "HOCLIEU_MAX_UPLOAD_BYTES": str(runtime.settings.max_upload_bytes),
        }
        | (env or {})
    )
    proc = subprocess.Popen(
        # The content origin's port is picked free too (the default, port + 1, may be taken).
        # Bound to this test process, like start_redis: an interrupted test leaves no server.
        parent_bound(
            [
                sys.executable,
                "-m",
                "web.cli",
                "serve",
                "--port",
                str(port),
                "--content-port",
                str(free_port()),
            ]
        ),
        cwd=REPO_ROOT,
        env=env,
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


REDIS_ARGS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")


def start_redis(directory: Any, *, timeout: float = 15) -> tuple[str, subprocess.Popen[bytes]]:
    """A private ``redis-server`` on a free loopback port, working in ``directory`` (no
    persistence). Returns its URL and the process; raises ``FileNotFoundError`` when
    ``redis-server`` is not installed."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise FileNotFoundError("redis-server is not installed")
    port = free_port()
    # Bound to this test process: an interrupted session (Ctrl+C, a killed xdist worker) that
    # never reaches the fixture's teardown leaves no redis-server behind.
    proc = subprocess.Popen(
        parent_bound([exe, *REDIS_ARGS, "--port", str(port), "--dir", str(directory)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited early (code {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError("redis-server did not start")
