"""Prometheus /metrics: request latency by route template, job queues and index lag from the
database, blob store errors, ingest durations; the optional bearer token; JSON logs."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from repository.jobs import JobRunner
from repository.logs import JsonFormatter
from repository.models import Role
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


class TestMetrics:
    def test_latency_by_route_template_queues_and_index_lag(self, runtime: Any, client: TestClient) -> None:
        with UnitOfWork(runtime.db) as uow:
            owner = create_user(uow.session, username="co_lan", role=Role.teacher)
            m = create_material(uow.session, runtime, owner, content=b"Bai hoc ve phan so " * 10,
                                filename="phan-so.txt")
        route = "/api/v1/materials/{material_id}"
        key = {"method": "GET", "route": route, "status": "4xx"}
        before = _value(_samples(client.get("/metrics").text), "hoclieu_http_request_duration_seconds_count", **key)
        for _ in range(3):
            client.get(f"/api/v1/materials/{m.id}")
        client.get("/api/v1/materials/khong-co")
        client.get("/khong/co/trang/nay")
        r = client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        s = _samples(r.text)
        after = _value(s, "hoclieu_http_request_duration_seconds_count", **key)
        assert after == (before or 0) + 4  # anonymous on a draft is 404 too; labelled by template
        assert not any("khong" in dict(labels).get("route", "") for _, labels in s)
        # created: one ingest job (default) and one index job, both waiting
        assert _value(s, "hoclieu_job_queue_depth", queue="default") == 1
        assert _value(s, "hoclieu_job_queue_depth", queue="index") == 1
        assert _value(s, "hoclieu_job_oldest_age_seconds", queue="index") >= 0
        assert _value(s, "hoclieu_index_lag_seconds") is not None
        JobRunner(runtime.db, queues=("default", "index")).run_until_empty()
        s = _samples(client.get("/metrics").text)
        assert _value(s, "hoclieu_job_queue_depth", queue="default") in (None, 0)
        assert _value(s, "hoclieu_index_lag_seconds") == 0
        assert _value(s, "hoclieu_ingest_duration_seconds_count", processor="total", outcome="ready") >= 1
        assert _value(s, "hoclieu_ingest_duration_seconds_count", processor="detect", outcome="ready") >= 1

    def test_token(self, runtime: Any) -> None:
        from web.app import create_app

        settings = runtime.settings.model_copy(update={"metrics_token": "bi-mat-rat-dai"})
        with TestClient(create_app(settings, runtime=runtime, run_worker=False)) as c:
            assert c.get("/metrics").status_code == 401
            assert c.get("/metrics", headers={"Authorization": "Bearer sai"}).status_code == 401
            ok = c.get("/metrics", headers={"Authorization": "Bearer bi-mat-rat-dai"})
            assert ok.status_code == 200 and "hoclieu_job_queue_depth" in ok.text


def test_json_log_lines() -> None:
    try:
        raise ValueError("tệp hỏng")
    except ValueError:
        import sys

        record = logging.LogRecord("ingest", logging.ERROR, __file__, 1, "ingest.failed file_id=%s", ("f1",),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "ingest"
    assert entry["message"] == "ingest.failed file_id=f1"
    assert "ValueError: tệp hỏng" in entry["exception"]
    assert "\n" not in line
