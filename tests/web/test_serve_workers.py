"""hoclieu serve --workers N: several web processes on one port. In the embedded mode exactly one
of them writes the search index and the others read its commits; every worker's connections have
TCP_NODELAY (the cause of the old ~40-50 ms floor with two uvicorn workers, see web/serve.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from repository.models import Role, WorkflowState
from repository.uow import UnitOfWork
from tests.conftest import REPO_ROOT
from tests.factories import create_material, create_user
from tests.servers import free_port
from web.multiproc import TcpConfig


def test_the_bound_socket_gives_tcp_nodelay_connections() -> None:
    config = TcpConfig("web.app:create_app", host="127.0.0.1", port=free_port(), workers=2)
    sock = config.bind_socket()
    assert sock.proto == socket.IPPROTO_TCP
    seen: list[int] = []

    async def main() -> None:
        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            s = writer.get_extra_info("socket")
            seen.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    # In a thread of its own: a session fixture (Playwright's sync API) may already run an event
    # loop in this thread of the test worker.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, main()).result(timeout=60)
    assert seen and seen[0] != 0


def test_two_web_processes_one_indexer_both_find_new_material(runtime: Any, tmp_path: Path) -> None:
    port = free_port()
    env = os.environ | {
        "HOCLIEU_DATA_DIR": str(runtime.settings.data_dir),
        "HOCLIEU_DATABASE_URL": runtime.settings.sqlalchemy_url,
        "HOCLIEU_IN_PROCESS_WORKER": "true",
        "HOCLIEU_LOG_LEVEL": "INFO",
        "HOCLIEU_JOB_STALE_AFTER_S": "30",
    }
    env.pop("HOCLIEU_REDIS_URL", None)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "web.cli", "serve",
                "--port", str(port), "--content-port", str(free_port()), "--workers", "2",
            ],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(base + "/api/v1/health", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        # Both workers have started (each logs its startup) before we count indexers.
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        # One process took the index writer, the other stands by (the election's warning). The
        # election runs in a thread each process starts at startup: its line may come after
        # "Application startup complete".
        deadline = time.monotonic() + 60
        while "search.indexer_standby" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        text = log.read_text()
        assert "Child process" not in text or "died" not in text, text
        assert text.count("search.indexer_standby") == 1, text

        with UnitOfWork(runtime.db) as uow:
            admin = create_user(uow.session, username="quan_tri", role=Role.admin)
            m = create_material(
                uow.session, runtime, admin, title="Hình thang cân lớp 8", state=WorkflowState.approved,
                content="Hình thang cân có hai cạnh bên bằng nhau.".encode(), filename="hinh-thang.txt",
            )
            mid = m.id
        # Every answer, from whichever worker a fresh connection lands on, finds it soon.
        deadline = time.monotonic() + 60
        found: list[bool] = []
        while time.monotonic() < deadline:
            found = []
            for _ in range(8):
                with httpx.Client(base_url=base, timeout=10) as c:  # a new connection each time
                    r = c.get("/api/v1/search", params={"q": "hình thang cân"})
                    found.append(r.status_code == 200 and any(h["id"] == mid for h in r.json()["hits"]))
            if all(found):
                break
            time.sleep(0.5)
        assert all(found), found
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
