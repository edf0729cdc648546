"""The ``hoclieu`` command line."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from repository.config import get_settings
from repository.curation.accounts import accounts
from repository.curation.schemas import UserAdminCreate
from repository.errors import RepositoryError
from repository.jobs import JobRunner
from repository.material.service import create_from_path
from repository.logs import configure_logging
from repository.migrate import upgrade
from repository.models import Role, WorkflowState
from repository.runtime import Runtime, get_runtime
from repository.uow import UnitOfWork
from repository.user.service import SYSTEM_USERNAME
from repository.user.service import user as user_service
from repository.workers.service import QUEUES

err = Console(stderr=True)


def _runtime(migrate: bool = True) -> Runtime:
    runtime = get_runtime()
    if migrate:
        upgrade(runtime.db)
    return runtime


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Hoclieu: the national digital learning-materials repository."""
    settings = get_settings()
    configure_logging(logging.DEBUG if verbose else settings.log_level, settings.log_format)


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    runtime = _runtime(migrate=False)
    upgrade(runtime.db)
    runtime.blobs.prepare()  # an S3 store creates its bucket
    click.echo(f"database is up to date ({runtime.db.engine.dialect.name})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--content-port",
    default=None,
    type=click.IntRange(0, 65535),
    help="Port of the content origin that plays e-lecture packages and HTML lessons "
    "(default: --port + 1; 0: do not serve it here, HOCLIEU_CONTENT_ORIGIN is served elsewhere).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web processes sharing the port. In the embedded mode exactly one of them writes the search "
    "index; the others read its commits.",
)
def serve(host: str, port: int, content_port: int | None, workers: int) -> None:
    """Run the web portal and API (embedded mode: also the job worker) and the content origin."""
    runtime = _runtime()
    content = port + 1 if content_port is None else content_port
    if workers > 1:
        from web.multiproc import run_workers

        run_workers(runtime, host=host, port=port, content_port=content, workers=workers)
        return
    from web.serve import run

    run(runtime, host=host, port=port, content_port=content)


def job_runner(
    runtime: Runtime, *, name: str | None = None, queues: tuple[str, ...] | None = None
) -> JobRunner:
    s = runtime.settings
    return JobRunner(
        runtime.db, name=name, queues=queues, stale_after_s=s.job_stale_after_s, heartbeat_s=s.job_heartbeat_s
    )


@main.command()
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

    runtime = _runtime()
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

            from repository.jobs import RQDispatcher

            dispatcher = RQDispatcher(
                runtime.db,
                settings.redis_url or "",
                queues=rq_names,
                stale_after_s=settings.job_stale_after_s,
                heartbeat_s=settings.job_heartbeat_s,
            )
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

    from repository.jobs import JOB_PATHS, RQDispatcher, parent_bound_worker_class, resolve

    # Import the job modules once here: every work horse is forked from this process and starts
    # with them loaded, instead of importing the ingest stack again for each job.
    for path in JOB_PATHS:
        resolve(path)

    dispatcher = RQDispatcher(
        runtime.db,
        settings.redis_url or "",
        queues=rq_names,
        stale_after_s=settings.job_stale_after_s,
        heartbeat_s=settings.job_heartbeat_s,
    )
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


@main.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (scripts); without it the "
    "password is asked for, hidden, twice.",
)
@click.option("--display-name", default="")
@click.option("--subject", "subjects", multiple=True, help="Curator scope: subject code (repeatable).")
@click.option(
    "--grade", "grades", multiple=True, type=click.IntRange(1, 12), help="Curator scope: grade (repeatable)."
)
def users_create(
    username: str,
    role: str,
    password_stdin: bool,
    display_name: str,
    subjects: tuple[str, ...],
    grades: tuple[int, ...],
) -> None:
    """Create a user account (curators: --subject/--grade limit what they review).

    Every account gets a password: from standard input with --password-stdin, else asked for
    (no input, e.g. a closed stdin, aborts without creating anything).
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        raise click.UsageError("an account needs a password (at least 8 characters)")
    runtime = _runtime()
    try:
        data = UserAdminCreate(
            username=username,
            role=role,
            password=password,
            display_name=display_name,
            scope={"subjects": list(subjects), "grades": list(grades)},
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        with UnitOfWork(runtime.db) as uow:
            created = accounts.create_user(uow.session, None, data)
            user_id = created.id
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created {role} {username} ({user_id})")


def _walk(paths: tuple[Path, ...]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
        else:
            yield p


def _manifest(path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                file_path = Path(entry["path"])
                meta = entry.get("metadata") or {}
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise click.UsageError(
                    f'{path}:{n}: each line must be {{"path": ..., "metadata": {{...}}}} ({exc})'
                )
            if not file_path.is_absolute():
                file_path = path.parent / file_path
            yield file_path, meta


def import_items(
    runtime: Runtime,
    items: list[tuple[Path, dict[str, Any]]],
    *,
    owner: str | None,
    state: WorkflowState,
    as_json: bool,
    console: Console,
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with _progress(console) as progress:
        task = progress.add_task("importing", total=len(items))
        for path, meta in items:
            row: dict[str, Any] = {"path": str(path), "material_id": None, "file_id": None}
            try:
                if not path.is_file():
                    raise RepositoryError(f"no such file: {path}")
                with UnitOfWork(runtime.db) as uow:
                    if owner:
                        actor = user_service.get_by_username(uow.session, owner)
                        if actor is None:
                            raise RepositoryError(f"no user named {owner!r}")
                    else:
                        actor = user_service.system_user(uow.session)
                    material, created = create_from_path(
                        runtime.blobs, uow.session, actor, path, metadata=meta, state=state
                    )
                    f = material.files[0]
                    row.update(
                        material_id=material.id, file_id=f.id, status=f.status, error=f.error, created=created
                    )
            except RepositoryError as exc:
                row.update(status="failed", error=exc.message)
            results.append(row)
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
            progress.advance(task)
    return results


def _wait(runtime: Runtime, results: list[dict[str, Any]], *, as_json: bool) -> None:
    from repository.material.store import MaterialStore

    # Ingest only: in the embedded mode the index writer belongs to the serving process.
    runner = job_runner(runtime, name="cli-import", queues=("default",))
    runner.run_until_empty()
    with runtime.db.read() as session:
        store = MaterialStore.from_session(session)
        for row in results:
            if row.get("material_id"):
                m = store.get_full(row["material_id"])
                f = next((f for f in (m.files if m else []) if f.id == row["file_id"]), None)
                if f is not None:
                    row.update(status=f.status, error=f.error)
            if as_json:
                click.echo(json.dumps(row | {"final": True}, ensure_ascii=False))


@main.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSONL file: one {"path": ..., "metadata": {...}} per line.',
)
@click.option(
    "--metadata", "metadata_json", help="JSON metadata applied to every file (manifest entries override)."
)
@click.option("--owner", help="Username that owns the imported materials (default: the system account).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per file.")
@click.option(
    "--wait",
    is_flag=True,
    help="Process the queued ingest jobs and wait until every file is ready or failed.",
)
@click.option(
    "--approve-as",
    "approve_as",
    metavar="ADMIN",
    help="Publish directly (collections curated elsewhere): approved and signed in this admin's name.",
)
def import_(
    paths: tuple[Path, ...],
    manifest: Path | None,
    metadata_json: str | None,
    owner: str | None,
    as_json: bool,
    wait: bool,
    approve_as: str | None,
) -> None:
    """Import files and folders as materials (one material per file)."""
    base: dict[str, Any] = {}
    if metadata_json:
        try:
            base = json.loads(metadata_json)
        except json.JSONDecodeError as exc:
            raise click.UsageError(f"--metadata is not valid JSON: {exc}") from None
        if not isinstance(base, dict):
            raise click.UsageError("--metadata must be a JSON object")
    items = [(p, dict(base)) for p in _walk(paths)]
    if manifest:
        items += [(p, base | meta) for p, meta in _manifest(manifest)]
    if not items:
        raise click.UsageError("nothing to import: give files, folders or --manifest")
    runtime = _runtime()
    if approve_as:
        cli_curation.check_approver(runtime, approve_as)
    results = import_items(
        runtime, items, owner=owner, state=WorkflowState.draft, as_json=as_json, console=err
    )
    if approve_as:
        published = cli_curation.publish_imported(runtime, results, approve_as)
        err.print(f"published {published} materials, signed in the name of {approve_as}")
    if wait:
        _wait(runtime, results, as_json=as_json)
    failed = [r for r in results if r.get("status") == "failed"]
    if not as_json:
        err.print(f"imported {len(results) - len(failed)} of {len(results)} files")
        for r in failed:
            err.print(f"  [red]failed[/red] {r['path']}: {r['error']}")
    if failed:
        sys.exit(1)


@main.command()
@click.option(
    "--wait/--no-wait",
    default=True,
    help="Process the demo files, then publish the ready ones (--no-wait: import only, publish nothing).",
)
def demo(wait: bool) -> None:
    """Load the sample Vietnamese materials shipped with Hoclieu (approved, ready to browse).

    Files are processed first; only materials whose files are ready are approved and signed.
    A file that fails stays an unpublished draft, and the command names it with its reason.
    Running it again publishes what has become ready since.
    """
    from ingest.sources.demo import demo_items

    runtime = _runtime()
    workdir = Path(tempfile.mkdtemp(prefix="hoclieu-demo-", dir=runtime.settings.data_dir))
    err.print("generating demo materials…")
    items = [(item.path, item.metadata) for item in demo_items(workdir)]
    results = import_items(runtime, items, owner=None, state=WorkflowState.draft, as_json=False, console=err)
    new = sum(1 for r in results if r.get("created"))
    if not wait:
        err.print(
            f"demo: {new} new materials imported, none published yet: they are published once "
            "processed, by running `hoclieu demo` again"
        )
        return
    _wait(runtime, results, as_json=False)
    # Published like a curated collection: approved and signed by the system account, so the
    # portal shows a verifiable approval and `hoclieu verify` passes on the demo too. Only what
    # is ready: a signature vouches for what readers get, and a failed file gives them nothing.
    ready = [r for r in results if r.get("material_id") and r.get("status") == "ready"]
    published = cli_curation.publish_imported(runtime, ready, SYSTEM_USERNAME)
    failed = [r for r in results if r not in ready or r.get("status") == "failed"]
    err.print(
        f"demo: {new} new materials, {len(results) - new} already present; "
        f"{published} of {len(results)} ready and published"
    )
    if failed:
        err.print(f"[red]{len(failed)} demo materials failed and were left unpublished (drafts):[/red]")
        for r in failed:
            err.print(f"  [red]failed[/red] {Path(r['path']).name}: {r.get('error') or r.get('status')}")


import web.cli_search  # noqa: E402, F401  (registers reindex, search-check)
from web import cli_curation  # noqa: E402  (registers fixity, verify, users set on `main`)
from web import cli_storage  # noqa: E402, F401  (registers storage migrate)
from web import cli_offline  # noqa: E402, F401  (registers package, verify-package, apply-update)
import web.cli_clients  # noqa: E402, F401  (registers clients create/list)
import web.cli_stats  # noqa: E402, F401  (registers stats aggregate)

if __name__ == "__main__":
    main()
