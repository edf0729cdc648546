"""Prometheus metrics at ``/metrics`` and the request-latency middleware.

``install(app, runtime)`` is the one call ``create_app`` makes. Request latency is a histogram by
method, route template (``/api/v1/materials/{material_id}``, never the raw path, so the label set
stays small) and status class. The job-queue and index-lag gauges are read from the database at
scrape time (``repository.metrics.JobQueueCollector``); blob-store errors and ingest durations
are counted where they happen (``repository.metrics``).

Several processes (``hoclieu serve --workers N``, gunicorn, RQ workers): set
``PROMETHEUS_MULTIPROC_DIR`` to a folder shared by the processes of one machine (emptied at
start) and ``/metrics`` sums every process's samples (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repository.metrics import JobQueueCollector
from repository.runtime import Runtime

HTTP_LATENCY = Histogram(
    "hoclieu_http_request_duration_seconds",
    "Time from request to the last byte of the response, by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class MetricsMiddleware:
    """Times every HTTP request and labels it with the route template that handled it."""

    def __init__(self, app: ASGIApp, *, routes_of: FastAPI) -> None:
        self.app = app
        self._fastapi = routes_of
        self._templates: dict[int, str] | None = None

    def _template(self, route: object) -> str:
        """The full path template (prefixes included) of the route that handled a request."""
        if route is None:
            return "unmatched"
        if self._templates is None:  # every route is registered by the first request
            self._templates = {}
            for ctx in iter_route_contexts(self._fastapi.routes):
                original = getattr(ctx, "original_route", None)
                path = getattr(ctx, "path_format", None) or getattr(ctx, "path", None)
                if original is not None and path:
                    self._templates.setdefault(id(original), path)
        return self._templates.get(id(route)) or getattr(route, "path", None) or "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = self._template(scope.get("route"))
            if template != "/metrics":  # (a `return` here would swallow the app's exception)
                HTTP_LATENCY.labels(scope["method"], template, f"{status // 100}xx").observe(
                    time.perf_counter() - started
                )


def exposition(runtime: Runtime) -> bytes:
    """This process's metrics (or, in multiprocess mode, every process's), then the cluster-wide
    gauges read from the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        own = generate_latest(processes)
    else:
        own = generate_latest(REGISTRY)
    shared = CollectorRegistry()
    shared.register(JobQueueCollector(runtime.db))
    return own + generate_latest(shared)


def install(app: FastAPI, runtime: Runtime) -> None:
    app.add_middleware(MetricsMiddleware, routes_of=app)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        token = request.app.state.settings.metrics_token
        if token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return Response("metrics need the HOCLIEU_METRICS_TOKEN bearer token\n", status_code=401,
                                media_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
        return Response(exposition(runtime), media_type=CONTENT_TYPE_LATEST)
