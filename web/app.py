"""The web application: JSON API under /api/v1, the portal at /."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from repository.config import Settings, get_settings
from repository.jobs import JobRunner
from repository.runtime import Runtime, build_runtime
from repository.stats.recorder import UsageRecorder
from repository.workers.service import process_name
from search.indexer import IndexerElection
from web import errors, lti, metrics, openapi, portal, ratelimit, security_headers
from web.api import (
    accounts,
    admin,
    auth,
    captions,
    cartridge,
    clients,
    docs,
    exports,
    health,
    keys,
    materials,
    oai,
    organisations,
    packages,
    review,
    stats,
    uploads,
    vocabularies,
)
from web.api import search as search_api
from web.deps import client_scope_guard
from web.input_guard import InputGuard

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, run_worker: bool | None = None
) -> FastAPI:
    """Build the app. ``run_worker=False`` starts no job runner at all (tests), ``True`` runs
    every queue in this process; by default (``None``):

    * the embedded index (no OpenSearch): this process competes for the index writer and, when
      it holds it, is the single indexer (runs the ``"index"`` queue), whatever the queue
      backend; other serving processes stand by (:class:`search.indexer.IndexerElection`);
    * without Redis and with ``in_process_worker``: this process also runs the ``"default"``
      (ingest) queue, and with OpenSearch the ``"index"`` queue too;
    * with Redis: ingest (and OpenSearch indexing) is for ``hoclieu worker``.
    """
    settings = settings or get_settings()
    runtime = runtime or build_runtime(settings)
    if run_worker is None:
        in_process = settings.in_process_worker and not settings.redis_url
        run_worker = True
    else:
        in_process = run_worker  # an explicit True runs every queue here (tests, the demo)
    elect_indexer = run_worker and not settings.opensearch_url
    queues: tuple[str, ...] = ()
    if run_worker and in_process:
        queues = ("default",) if elect_indexer else ("index", "default")

    usage = UsageRecorder(
        runtime.db,
        enabled=settings.stats_enabled,
        flush_s=settings.stats_flush_s,
        aggregate_every_s=settings.stats_aggregate_every_s,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.blobs.prepare()  # an S3 store creates its bucket on first start
        # Staging files older than a day are what killed uploads left behind.
        runtime.blobs.cleanup_staging(older_than_s=24 * 3600)
        # Resumable uploads live apart from staging; expired sessions and their files go here.
        uploads.expire_uploads(runtime)
        usage.start()  # writes the usage events requests buffer (web/usage.py)
        runners: list[JobRunner] = []
        threads: list[threading.Thread] = []
        election = IndexerElection(settings, runtime.db).start() if elect_indexer else None
        # One runner per queue: indexing never waits behind a long transcode, so an approval
        # shows in search at once even while videos are being processed.
        for queue in queues:
            runner = JobRunner(
                runtime.db,
                name=process_name(f"in-process-{queue}"),
                queues=(queue,),
                stale_after_s=settings.job_stale_after_s,
                heartbeat_s=settings.job_heartbeat_s,
            )
            thread = threading.Thread(target=runner.work, name=f"hoclieu-worker-{queue}", daemon=True)
            thread.start()
            runners.append(runner)
            threads.append(thread)
        try:
            yield
        finally:
            for runner in runners:
                runner.stop()
            for thread in threads:
                thread.join(timeout=30)
            if election is not None:
                election.stop()  # releases the index writer lock
            usage.stop()  # writes what is still buffered
            await ratelimit.close(app)

    app = FastAPI(
        title="Hoclieu",
        summary="Kho học liệu số: the national digital learning-materials repository",
        version="0.1.0",
        docs_url=None,  # web/api/docs.py serves it without a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        # API clients' tokens are held to their scopes on every route (web/deps.py).
        dependencies=[Depends(client_scope_guard)],
    )
    app.state.runtime = runtime
    app.state.usage = usage
    docs.install(app, openapi_url="/api/openapi.json", title="Hoclieu")
    app.state.settings = settings
    errors.install(app)
    openapi.install(app)
    for router in (
        health.router,
        auth.router,
        materials.router,
        vocabularies.router,
        search_api.router,
        review.router,
        keys.router,
        admin.router,
        accounts.router,
        uploads.router,
        clients.router,
        organisations.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(exports.router, prefix="/api/v1")
    app.include_router(packages.router, prefix="/api/v1")  # offline packages (issue 14)
    app.include_router(captions.router, prefix="/api/v1")  # video captions (issue 14)
    app.include_router(cartridge.router, prefix="/api/v1")
    app.include_router(stats.router, prefix="/api/v1")  # usage statistics (issue 13)
    app.include_router(oai.router)  # /oai: harvesters expect the OAI-PMH base URL outside the API
    app.include_router(lti.router)  # /lti: LTI 1.3 tool endpoints (login, launch, jwks, deep linking)
    app.include_router(lti.api, prefix="/api/v1")
    portal.install(app)  # portal pages, /static, gzip for text responses
    metrics.install(app, runtime)  # /metrics and request latency
    ratelimit.install(app, settings)  # per client / per anonymous address token buckets
    security_headers.install(app, settings)  # CSP with nonces, frame-ancestors, nosniff, private caching
    app.add_middleware(InputGuard, max_body_bytes=settings.max_json_body_bytes)  # first to see a request
    return app
