"""``hoclieu import`` and ``hoclieu demo``: files and folders in, materials out."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from repository.errors import RepositoryError
from repository.material.service import create_from_path
from repository.models import WorkflowState
from repository.runtime import Runtime
from repository.uow import UnitOfWork
from repository.upload.intake import file_states
from repository.user.service import SYSTEM_USERNAME
from repository.user.service import user as user_service
from web.cli import curation as cli_curation
from web.cli.common import err, job_runner, open_runtime, progress_bar


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
                ) from None
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
    with progress_bar(console) as progress:
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
    # Ingest only: in the embedded mode the index writer belongs to the serving process.
    runner = job_runner(runtime, name="cli-import", queues=("default",))
    runner.run_until_empty()
    created = [(r["material_id"], r["file_id"]) for r in results if r.get("material_id")]
    states = file_states(runtime.db, created)
    for row in results:
        if row.get("file_id") in states:
            status, error = states[row["file_id"]]
            row.update(status=status, error=error)
        if as_json:
            click.echo(json.dumps(row | {"final": True}, ensure_ascii=False))


@click.command("import")
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
@click.option(
    "--collection",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An organisation's table (CSV, UTF-8) of files and their metadata, read with --mapping.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML (or JSON) file mapping the table's columns to Hoclieu's metadata fields.",
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder the table's file names are relative to (default: the table's folder); files must be inside.",
)
@click.option(
    "--organisation", metavar="SLUG", help="The contributing organisation of every imported material."
)
@click.option(
    "--dry-run", is_flag=True, help="Check every file and row and say what would be created; write nothing."
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the per-file report to REPORT.csv and REPORT.json.",
)
def import_(
    paths: tuple[Path, ...],
    manifest: Path | None,
    metadata_json: str | None,
    owner: str | None,
    as_json: bool,
    wait: bool,
    approve_as: str | None,
    collection: Path | None,
    mapping: Path | None,
    root: Path | None,
    organisation: str | None,
    dry_run: bool,
    report: Path | None,
) -> None:
    """Import files and folders as materials (one material per file).

    With --collection/--mapping, --organisation, --dry-run or --report, files are checked first
    (metadata validated, content hashed) and what is already imported is skipped by content hash,
    so a run that was interrupted can simply be run again.
    """
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
    if collection or mapping or organisation or dry_run or report:
        _import_collection(
            items,
            collection=collection,
            mapping=mapping,
            root=root,
            base=base,
            owner=owner,
            organisation=organisation,
            dry_run=dry_run,
            report=report,
            as_json=as_json,
            wait=wait,
            approve_as=approve_as,
        )
        return
    if not items:
        raise click.UsageError("nothing to import: give files, folders or --manifest")
    runtime = open_runtime()
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


def _import_collection(
    items: list[tuple[Path, dict[str, Any]]],
    *,
    collection: Path | None,
    mapping: Path | None,
    root: Path | None,
    base: dict[str, Any],
    owner: str | None,
    organisation: str | None,
    dry_run: bool,
    report: Path | None,
    as_json: bool,
    wait: bool,
    approve_as: str | None,
) -> None:
    from web.cli import collection as cli_collection

    if dry_run and (wait or approve_as):
        raise click.UsageError("--dry-run writes nothing: it cannot --wait or --approve-as")
    rows = cli_collection.load_rows(collection, mapping, root, items)
    for row in rows:  # --metadata is the default of every row, a column's value wins
        row.metadata = base | row.metadata
    runtime = open_runtime()  # migrating an up-to-date database changes nothing
    if approve_as:
        cli_curation.check_approver(runtime, approve_as)
    results = cli_collection.run_collection(
        runtime,
        rows,
        owner=owner,
        organisation=organisation,
        dry_run=dry_run,
        report=report,
        as_json=as_json,
        console=err,
        progress_factory=progress_bar,
    )
    if approve_as:
        published = cli_curation.publish_imported(runtime, cli_collection.created_rows(results), approve_as)
        err.print(f"published {published} materials, signed in the name of {approve_as}")
    if wait:
        job_runner(runtime, name="cli-import", queues=("default",)).run_until_empty()
    cli_collection.finish(results)


@click.command()
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

    runtime = open_runtime()
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
