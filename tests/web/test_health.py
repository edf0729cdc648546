"""Liveness vs readiness: a process that answers is live; it is ready only when the database,
storage and search work and every job queue has a live worker."""

from __future__ import annotations

from fastapi.testclient import TestClient

from repository.workers.service import Presence


class TestHealth:
    def test_live_answers_without_looking_at_anything_else(self, client: TestClient) -> None:
        r = client.get("/api/v1/health/live")
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}

    def test_not_ready_while_no_worker_serves_the_queues(self, client: TestClient) -> None:
        r = client.get("/api/v1/health/ready")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "not ready"
        assert body["components"]["queues"]["unserved"] == ["default", "index"]
        assert body["components"]["database"]["status"] == "ok"
        # The embedded index: the fix names the serving process as its indexer.
        assert "queue 'index': run `hoclieu serve`" in body["fix"]
        # The component report keeps answering 200 and shows the same gap.
        legacy = client.get("/api/v1/health")
        assert legacy.status_code == 200
        assert legacy.json()["components"]["queues"]["status"] == "error"

    def test_ready_once_every_queue_has_a_live_worker(self, client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
        with Presence(runtime.db, "h:1:ingest", queues=("default",), role="runner"):
            r = client.get("/api/v1/health/ready")
            assert r.status_code == 503
            assert r.json()["components"]["queues"]["unserved"] == ["index"]
            with Presence(runtime.db, "h:1:indexer", queues=("index",), role="indexer"):
                r = client.get("/api/v1/health/ready")
                assert r.status_code == 200, r.json()
                assert r.json()["status"] == "ready"
                assert r.json()["components"]["queues"]["workers"] == {"default": 1, "index": 1}
                assert "h:1" not in r.text  # no host names or pids to anonymous callers
        assert client.get("/api/v1/health/ready").status_code == 503
