"""``hoclieu reindex`` and ``hoclieu search-check``: keep the search index a projection of the DB.

With the embedded index only one process may write. ``hoclieu serve`` takes the writer at start-up
(it is the single indexer), so ``reindex`` is run with the server stopped, or it refuses with a
clear message instead of waiting or corrupting anything. With OpenSearch it runs at any time: it
builds a new index and swaps the alias.
"""

from __future__ import annotations

import json
import sys
import time

import click

from repository.errors import Conflict, RepositoryError
from repository.jobs import waiting_by_queue
from repository.material.service import index_job
from repository.uow import UnitOfWork
from repository.workers.service import how_to_serve, queue_report
from search.service import backend_for, close_backend
from search.tasks import check, count_materials, reindex_all
from web.cli.common import err, open_runtime, progress_bar


@click.command()
def reindex() -> None:
    """Rebuild the search index from the database (readers switch to it atomically at the end)."""
    runtime = open_runtime()
    settings = runtime.settings
    try:
        backend = backend_for(settings)
        open_writer = getattr(backend, "open_writer", None)
        if open_writer is not None:
            # Fail before reading a single material when the server (or another reindex) holds it.
            open_writer()
        total = count_materials(runtime)
        started = time.monotonic()
        with progress_bar(err) as progress:
            task = progress.add_task("indexing", total=total)
            written = reindex_all(runtime, progress=lambda n: progress.update(task, completed=n))
    except Conflict as exc:
        raise click.ClickException(
            f"{exc.message}. The embedded index has a single writer: stop `hoclieu serve` and run "
            "`hoclieu reindex` again."
        ) from None
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        close_backend(settings)
    err.print(f"reindexed {written} materials in {time.monotonic() - started:.1f} s ({backend.name})")


@click.command()
def vectors() -> None:
    """Compute the search vectors of files ingested without one (before vectors, or under another
    model), from their stored text; their materials are indexed again."""
    from ingest.pipeline import add_vectors

    runtime = open_runtime()
    started = time.monotonic()
    try:
        with progress_bar(err) as progress:
            task = progress.add_task("vectors", total=None)
            made = add_vectors(runtime, lambda n, total: progress.update(task, completed=n, total=total))
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    err.print(f"computed {made} vectors in {time.monotonic() - started:.1f} s; the index jobs are queued")


@click.command("search-check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--repair", is_flag=True, help="Queue an index job for every material that is off.")
@click.option("--limit", default=20, show_default=True, help="Ids listed per kind (text output).")
def search_check(as_json: bool, repair: bool, limit: int) -> None:
    """Report materials missing from, stale in, or orphaned in the search index, and job queues
    with no live worker (exit 1 if any material is off, or index jobs wait with no live indexer)."""
    runtime = open_runtime()
    try:
        report = check(runtime)
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        close_backend(runtime.settings)
    queues = queue_report(runtime.db, stale_after_s=runtime.settings.job_stale_after_s)
    with runtime.db.read() as session:
        waiting = waiting_by_queue(session)
    # Index jobs waiting with no live indexer: those changes never reach the index (exit 1). An
    # unserved ingest queue is reported too, but the index itself is not wrong because of it.
    stuck = "index" in queues["unserved"] and waiting.get("index", 0) > 0
    off = [i for kind in ("missing", "stale", "orphaned") for i in report[kind]]
    if repair and off:
        # The outbox row per material; the indexer (the server's job runner) applies them.
        with UnitOfWork(runtime.db) as uow:
            for material_id in off:
                index_job(uow.session, material_id)
    if as_json:
        click.echo(
            json.dumps(
                report
                | {
                    "repair_queued": len(off) if repair else 0,
                    "unserved_queues": queues["unserved"],
                    "waiting_jobs": waiting,
                }
            )
        )
    else:
        for q in queues["unserved"]:
            err.print(
                f"no live worker serves queue '{q}' ({waiting.get(q, 0)} jobs waiting); "
                + how_to_serve(runtime.settings, [q])
            )
        for kind in ("missing", "stale", "orphaned"):
            ids = report[kind]
            err.print(f"{kind}: {len(ids)}")
            for material_id in ids[:limit]:
                err.print(f"  {material_id}")
            if len(ids) > limit:
                err.print(f"  … and {len(ids) - limit} more")
        if not off:
            err.print("the search index matches the database" + (" so far" if stuck else ""))
        elif repair:
            err.print(f"queued {len(off)} index jobs; `hoclieu serve` (or `hoclieu worker`) applies them")
        else:
            err.print("run `hoclieu search-check --repair` or `hoclieu reindex` to fix")
    if off or stuck:
        sys.exit(1)
