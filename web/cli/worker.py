"""``hoclieu worker``: run queued jobs (ingest, indexing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from repository.runtime import Runtime
from repository.workers.service import QUEUES
from web.cli.common import job_runner, open_runtime

if TYPE_CHECKING:
    from repository.jobs import RQDispatcher


@click.command()
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(QUEUES),
    help="Serve only this queue (repeatable): 'default' is ingest, 'index' search indexing. "
    "Without it: 'default', plus 'index' with HOCLIEU_OPENSEARCH_URL. With the embedded index, "
    "'index' takes the index writer and is refused while `hoclieu serve` (its usual indexer) holds it.",
)
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run queued jobs (ingest, indexing). Many workers may run at once, on many machines.

    With HOCLIEU_REDIS_URL this is an RQ worker, plus a dispatcher that moves rows of the
    durable job table to RQ; otherwise it runs the job table directly. It prints the queues it
    serves; `/api/v1/health/ready` and `hoclieu search-check` report a queue nobody serves.
    """
    from search.service import close_backend
    from search.service import search as search_service

    runtime = open_runtime()
    settings = runtime.settings
    # With the embedded Tantivy index only one process may write it (normally `hoclieu serve`),
    # so a worker runs ingest only unless asked; OpenSearch takes writes from every worker.
    names = queues or (("default", "index") if settings.opensearch_url else ("default",))
    # The embedded index's queue runs from the job table in this process, which must hold the
    # writer (never in RQ work horses: a forked child must not inherit an index writer).
    local_index = "index" in names and not settings.opensearch_url
    if local_index and not search_service.open_indexer(settings):
        raise click.ClickException(
            "the embedded search index already has its indexer (another process holds the index "
            "writer, normally `hoclieu serve`): run this worker without `--queue index`, or stop "
            "that process first"
        )
    try:
        _work(runtime, names, burst=burst, local_index=local_index)
    finally:
        if local_index:
            close_backend(settings)


def _work(runtime: Runtime, names: tuple[str, ...], *, burst: bool, local_index: bool) -> None:
    import signal
    import threading

    from repository.workers.service import Presence, process_name

    settings = runtime.settings
    rq_names = tuple(n for n in names if n != "index" or not local_index) if settings.redis_url else ()
    db_names = tuple(n for n in names if n not in rq_names)
    mode = f"RQ on {_redact(settings.redis_url)}" if rq_names else "the job table"
    if rq_names and db_names:
        mode = f"RQ for {', '.join(rq_names)}, the job table for {', '.join(db_names)}"
    served = ", ".join(names)
    click.echo(f"hoclieu worker {process_name('worker')}: serving queue(s) {served} via {mode}", err=True)
    runner = job_runner(runtime, name=process_name("worker"), queues=db_names) if db_names else None
    if burst:
        ran = runner.run_until_empty() if runner is not None else 0
        if rq_names:
            from rq import SimpleWorker

            dispatcher = _dispatcher(runtime, rq_names)
            dispatcher.requeue_lost()
            ran += dispatcher.dispatch_once(limit=10_000)
            # No fork in burst mode: it is for tests and one-off drains.
            rq_queues = [dispatcher.rq_queue(n) for n in rq_names]
            SimpleWorker(rq_queues, connection=dispatcher.redis).work(burst=True)
        click.echo(f"ran {ran} jobs")
        return
    if not rq_names:
        assert runner is not None
        # SIGTERM (docker stop, systemd) finishes the current job's bookkeeping and unregisters.
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        runner.work(role="indexer" if local_index else "runner")
        return

    from repository.jobs import JOB_PATHS, parent_bound_worker_class, resolve

    # Import the job modules once here: every work horse is forked from this process and starts
    # with them loaded, instead of importing the ingest stack again for each job.
    for path in JOB_PATHS:
        resolve(path)

    dispatcher = _dispatcher(runtime, rq_names)
    stop = threading.Event()
    threads = [
        threading.Thread(target=dispatcher.work, args=(stop,), name="hoclieu-dispatcher", daemon=True)
    ]
    if runner is not None:  # the embedded index's queue, beside RQ
        threads.append(
            threading.Thread(
                target=runner.work, kwargs={"role": "indexer"}, name="hoclieu-indexer", daemon=True
            )
        )
    for thread in threads:
        thread.start()
    presence = Presence(
        runtime.db, process_name("rq"), queues=rq_names, role="rq", heartbeat_s=settings.job_heartbeat_s
    ).start()
    try:
        worker_class = parent_bound_worker_class()
        worker_class([dispatcher.rq_queue(n) for n in rq_names], connection=dispatcher.redis).work()
    finally:
        stop.set()
        if runner is not None:
            runner.stop()
        for thread in threads:
            thread.join(timeout=10)
        presence.stop()


def _redact(url: str | None) -> str:
    """A URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _dispatcher(runtime: Runtime, queues: tuple[str, ...]) -> RQDispatcher:
    """The bridge from the database's job table to RQ's queues, for these queue names."""
    from repository.jobs import RQDispatcher

    settings = runtime.settings
    return RQDispatcher(
        runtime.db,
        settings.redis_url or "",
        queues=queues,
        stale_after_s=settings.job_stale_after_s,
        heartbeat_s=settings.job_heartbeat_s,
    )
