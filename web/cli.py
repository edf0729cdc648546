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
from repository.migrate import upgrade
from repository.models import Role, WorkflowState
from repository.runtime import Runtime, get_runtime
from repository.uow import UnitOfWork
from repository.user.service import SYSTEM_USERNAME
from repository.user.service import user as user_service

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
    logging.basicConfig(
        level=logging.DEBUG if verbose else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    runtime = _runtime(migrate=False)
    upgrade(runtime.db)
    click.echo(f"database is up to date ({runtime.db.engine.dialect.name})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web portal and API (embedded mode: also the job worker)."""
    import uvicorn

    from web.app import create_app

    runtime = _runtime()
    app = create_app(runtime.settings, runtime=runtime)
    click.echo(f"Hoclieu on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.run(app, host=host, port=port, log_level=runtime.settings.log_level.lower())


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
    type=click.Choice(["default", "index"]),
    help="Only these queues (repeatable; default: all).",
)
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run queued jobs (ingest, indexing). Many workers may run at once, on many machines.

    With HOCLIEU_REDIS_URL this is an RQ worker, plus a dispatcher that moves rows of the
    durable job table to RQ; otherwise it runs the job table directly.
    """
    runtime = _runtime()
    settings = runtime.settings
    # With the embedded Tantivy index only the serving process may write it, so a worker runs
    # ingest only unless asked (`--queue index` when no server is running); OpenSearch takes
    # writes from every worker.
    names = queues or (("default", "index") if settings.opensearch_url else ("default",))
    if not settings.redis_url:
        runner = job_runner(runtime, queues=names)
        if burst:
            click.echo(f"ran {runner.run_until_empty()} jobs")
        else:
            runner.work()
        return
    import threading

    from rq import SimpleWorker, Worker

    from repository.jobs import RQDispatcher

    dispatcher = RQDispatcher(
        runtime.db, settings.redis_url, queues=names, stale_after_s=settings.job_stale_after_s
    )
    rq_queues = [dispatcher.rq_queue(n) for n in names]
    if burst:
        dispatcher.requeue_lost()
        dispatcher.dispatch_once(limit=10_000)
        # No fork in burst mode: it is for tests and one-off drains.
        SimpleWorker(rq_queues, connection=dispatcher.redis).work(burst=True)
        return
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.work, args=(stop,), name="hoclieu-dispatcher", daemon=True)
    thread.start()
    try:
        Worker(rq_queues, connection=dispatcher.redis).work()
    finally:
        stop.set()
        thread.join(timeout=10)


@main.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
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
    """Create a user account (curators: --subject/--grade limit what they review)."""
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
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
@click.option("--wait/--no-wait", default=True, help="Process the demo files before returning.")
def demo(wait: bool) -> None:
    """Load the sample Vietnamese materials shipped with Hoclieu (approved, ready to browse)."""
    from ingest.sources.demo import demo_items

    runtime = _runtime()
    workdir = Path(tempfile.mkdtemp(prefix="hoclieu-demo-", dir=runtime.settings.data_dir))
    err.print("generating demo materials…")
    items = [(item.path, item.metadata) for item in demo_items(workdir)]
    results = import_items(runtime, items, owner=None, state=WorkflowState.draft, as_json=False, console=err)
    # Published like a curated collection: approved and signed by the system account, so the
    # portal shows a verifiable approval and `hoclieu verify` passes on the demo too.
    fresh = [r for r in results if r.get("created")]
    cli_curation.publish_imported(runtime, fresh, SYSTEM_USERNAME)
    if wait:
        _wait(runtime, results, as_json=False)
    new = len(fresh)
    err.print(f"demo: {new} new materials, {len(results) - new} already present")


import web.cli_search  # noqa: E402, F401  (registers reindex, search-check)
from web import cli_curation  # noqa: E402  (registers fixity, verify, users set on `main`)
import web.cli_clients  # noqa: E402, F401  (registers clients create/list)

if __name__ == "__main__":
    main()
