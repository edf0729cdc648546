"""Rate limits: token buckets per API client and per anonymous address → 429, then recovery.

The loopback test drives a real ``hoclieu serve`` over HTTP; the Redis test shares one bucket
between two apps through a private ``redis-server`` on a free port (never the shared one).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from base64 import b64encode
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from repository.models import Role
from tests.conftest import skip_or_fail
from tests.factories import make_user, token_for
from tests.servers import free_port, start_server, stop_server


def _hammer(get: Any, url: str, *, limit: int) -> tuple[int, Any]:
    """Request until refused (bounded); returns how many went through and the 429 response."""
    for n in range(limit):
        response = get(url)
        if response.status_code == 429:
            return n, response
        assert response.status_code == 200, response.text
    raise AssertionError(f"no 429 after {limit} requests")


class TestLoopback:
    def test_an_anonymous_address_is_limited_then_recovers(self, runtime: Any) -> None:
        port, proc = start_server(runtime, env={"HOCLIEU_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "30"})
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                first = http.get("/api/v1/vocabularies")
                assert first.headers["ratelimit-limit"] == "30"
                assert first.headers["ratelimit-policy"] == "30;w=60"
                assert int(first.headers["ratelimit-remaining"]) == 29
                assert http.get("/api/v1/health").headers.get("ratelimit-limit") is None  # exempt
                passed, refused = _hammer(http.get, "/api/v1/vocabularies", limit=200)
                assert passed >= 25  # the burst: a minute's worth, less the first request
                assert refused.json()["error"]["code"] == "rate_limited"
                assert refused.headers["ratelimit-remaining"] == "0"
                wait = int(refused.headers["retry-after"])
                assert 1 <= wait <= 2  # 30 per minute: one token every 2 s
                time.sleep(wait + 0.2)
                assert http.get("/api/v1/vocabularies").status_code == 200
        finally:
            stop_server(proc)


class TestBuckets:
    @pytest.fixture
    def limited(self, runtime: Any) -> Any:
        runtime.settings.rate_limit_client_per_minute = 5
        runtime.settings.rate_limit_anonymous_per_minute = 20
        return runtime

    def test_a_client_has_its_own_bucket(self, limited: Any) -> None:
        from web.app import create_app

        with TestClient(create_app(limited.settings, runtime=limited, run_worker=False)) as client:
            make_user(limited, "quan_tri", Role.admin)
            admin = token_for(client, "quan_tri")  # a person's token: the per-token bucket (5)
            vendor = client.post(
                "/api/v1/admin/clients", headers=admin, json={"name": "LMS", "scopes": ["materials:read"]}
            ).json()
            basic = b64encode(f"{vendor['id']}:{vendor['client_secret']}".encode()).decode()
            token = client.post(
                "/api/v1/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            ).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            passed, refused = _hammer(
                lambda u: client.get(u, headers=bearer), "/api/v1/vocabularies", limit=50
            )
            assert passed == 5 and refused.headers["ratelimit-limit"] == "5"
            # Two tokens of one client share its bucket.
            second = client.post(
                "/api/v1/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            )
            other = {"Authorization": f"Bearer {second.json()['access_token']}"}
            assert client.get("/api/v1/vocabularies", headers=other).status_code == 429
            # The anonymous address has its own, larger bucket; a made-up token counts as anonymous.
            anon = client.get("/api/v1/vocabularies", headers={"Authorization": "Bearer hlc_made_up"})
            assert anon.status_code == 200 and anon.headers["ratelimit-limit"] == "20"


@pytest.fixture
def private_redis() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from redis import Redis

        deadline = time.monotonic() + 10
        while True:
            try:
                Redis(port=port).ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class TestRedis:
    def test_two_web_processes_share_one_bucket(self, runtime: Any, private_redis: str) -> None:
        from web.app import create_app

        settings = runtime.settings.model_copy(
            update={"redis_url": private_redis, "rate_limit_anonymous_per_minute": 6}
        )
        first = create_app(settings, runtime=runtime, run_worker=False)
        second = create_app(settings, runtime=runtime, run_worker=False)
        with TestClient(first) as a, TestClient(second) as b:
            for _ in range(3):
                assert a.get("/api/v1/vocabularies").status_code == 200
                assert b.get("/api/v1/vocabularies").status_code == 200
            refused = b.get("/api/v1/vocabularies")
            # 6 a minute: the next token comes within 10 s (less as time passes during the test).
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 10
            assert a.get("/api/v1/vocabularies").status_code == 429
