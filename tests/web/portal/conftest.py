"""One portal instance per test session: a data dir with demo materials, a real uvicorn server.

The server (``create_app`` under uvicorn in a child process, embedded mode) is the single
indexer and runs every ingest and index job, exactly as ``hoclieu serve`` does; the TestClient
tests read the same database and index, and the browser tests drive the server itself.
Only part of the demo set is loaded (a video, a PDF, a PPTX, audio, an image and a text
worksheet): enough for every viewer, and fast enough to set up in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.servers import free_port

PASSWORD = "mat-khau-rat-dai-1"
DEMO_FILES = (
    "toan-5-dien-tich-hinh-tam-giac.mp4",
    "toan-5-phan-so-thap-phan.pdf",
    "toan-5-so-thap-phan.pptx",
    "am-nhac-2-bai-hat-luyen-nhip-2-4.mp3",
    "sinh-hoc-11-so-do-quang-hop.jpg",
    "toan-5-phieu-on-tap-phan-so.html",
)
USERS: tuple[tuple[str, str, dict[str, list[str]]], ...] = (
    ("co_lan", "teacher", {}),
    ("thay_minh", "curator", {"subjects": ["toan"]}),
    ("quan_tri", "admin", {}),
)
READY_TIMEOUT_S = 300  # ingest of the demo video under a loaded, shared machine
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class Portal:
    """The running instance: its settings, base URL, demo material ids and work folder."""

    settings: object
    base_url: str
    materials: dict[str, str]  # demo file name → material id
    workdir: Path
    content_origin: str = ""  # where packages and HTML lessons play (`hoclieu serve`'s second port)


def _load(settings: object, workdir: Path) -> dict[str, str]:
    from ingest.sources.demo import demo_items
    from repository import runtime as runtime_module
    from repository.curation.accounts import accounts
    from repository.curation.schemas import UserAdminCreate
    from repository.db import Database
    from repository.material.service import create_from_path
    from repository.migrate import upgrade
    from repository.models import WorkflowState
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    migrations_db = Database(settings.sqlalchemy_url)  # type: ignore[attr-defined]
    upgrade(migrations_db)
    migrations_db.dispose()  # an engine left to the garbage collector warns about open connections
    user_service.configure_hashing(fast=True)
    rt = runtime_module.configure(settings)  # type: ignore[arg-type]
    items = [i for i in demo_items(workdir / "demo") if i.path.name in DEMO_FILES]
    ids: dict[str, str] = {}
    with UnitOfWork(rt.db) as uow:
        system = user_service.system_user(uow.session)
        for item in items:
            material, _ = create_from_path(
                rt.blobs, uow.session, system, item.path, metadata=item.metadata, state=WorkflowState.approved
            )
            ids[item.path.name] = material.id
        for username, role, scope in USERS:
            accounts.create_user(
                uow.session,
                None,
                UserAdminCreate(
                    username=username, role=role, password=PASSWORD, display_name=username, scope=scope
                ),
            )
    return ids


def _wait_ready(base_url: str, ids: dict[str, str], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = set(ids.values())
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the portal server exited with status {proc.returncode}")
        try:
            for material_id in list(pending):
                body = httpx.get(f"{base_url}/api/v1/materials/{material_id}", timeout=5).json()
                if all(f["status"] in ("ready", "failed") for f in body["files"]):
                    pending.discard(material_id)
            if not pending:
                found = httpx.get(f"{base_url}/api/v1/search", params={"size": 50}, timeout=5).json()
                if found["total"] >= len(ids):
                    return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"demo materials not ready after {READY_TIMEOUT_S} s: {sorted(pending)}")


def run_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The body of the session fixture ``portal`` (declared in tests/conftest.py, so that the
    portal tests and the browser attacks of tests/security share one server per session)."""
    from repository.config import Settings
    from search.service import close_backend

    workdir = tmp_path_factory.mktemp("portal")
    data = workdir / "data"
    settings = Settings(
        env="testing",
        data_dir=data,
        database_url=f"sqlite:///{data / 'hoclieu.db'}",
        in_process_worker=True,
        redis_url=None,
        max_upload_bytes=200 * 1024 * 1024,
    )
    data.mkdir(parents=True)
    ids = _load(settings, workdir)
    port = free_port()
    env = os.environ | {
        "HOCLIEU_ENV": "testing",
        "HOCLIEU_DATA_DIR": str(data),
        "HOCLIEU_DATABASE_URL": settings.sqlalchemy_url,
        "HOCLIEU_IN_PROCESS_WORKER": "true",
        "HOCLIEU_MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        "HOCLIEU_LOG_LEVEL": "WARNING",
    }
    env.pop("HOCLIEU_REDIS_URL", None)
    env.pop("HOCLIEU_CONTENT_ORIGIN", None)
    env.pop("HOCLIEU_OPENSEARCH_URL", None)
    log = (workdir / "server.log").open("wb")
    content_port = free_port()
    # `hoclieu serve` itself: the portal, and the content origin on a second port (localhost:
    # another host than 127.0.0.1, so the portal's cookies never reach it).
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "web.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--content-port",
            str(content_port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[3],
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, ids, proc)
        yield Portal(
            settings=settings,
            base_url=base_url,
            materials=ids,
            workdir=workdir,
            content_origin=f"http://localhost:{content_port}",
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        close_backend(settings)  # type: ignore[arg-type]


@pytest.fixture
def client(portal: Portal) -> Iterator[TestClient]:
    """A TestClient on the same data (no job runner: the server process runs the jobs).

    ``https://`` so the Secure session and CSRF cookies are sent back, as a browser would.
    """
    from repository import runtime as runtime_module
    from web.app import create_app

    rt = runtime_module.configure(portal.settings)  # type: ignore[arg-type]
    app = create_app(portal.settings, runtime=rt, run_worker=False)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


def sign_in(client: TestClient, username: str) -> None:
    """Sign in through the form (with its CSRF token)."""
    page = client.get("/signin")
    token = csrf_of(page.text)
    r = client.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def csrf_of(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def run_browser() -> Iterator[Any]:
    """The body of the session fixture ``browser`` (declared in tests/conftest.py: the sync API
    allows one Playwright instance per thread, so every browser test module shares this one)."""
    import shutil

    from tests.conftest import skip_or_fail

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install playwright==1.65.2)")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
