"""``hoclieu import`` for an organisation's collection: a table read through a mapping file,
``--dry-run`` (writes nothing), a resumable run, a CSV + JSON report and a progress bar.

The rules live in ``repository.collection``; this module only reads the options and prints.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from repository.collection.mapping import SourceRow, load_mapping, rows_from_table
from repository.collection.service import (
    CREATED,
    FAILED,
    INVALID,
    CollectionImport,
    RowResult,
    summary,
    write_report,
)
from repository.errors import RepositoryError
from repository.models import WorkflowState
from repository.runtime import Runtime


def rows_from_items(items: list[tuple[Path, dict[str, Any]]]) -> list[SourceRow]:
    """Plain paths and manifest lines as rows (numbered from 1 in the order given)."""
    rows = []
    for n, (path, meta) in enumerate(items, start=1):
        ok = path.is_file()
        rows.append(
            SourceRow(
                number=n,
                file=str(path),
                path=path.resolve() if ok else None,
                metadata=dict(meta),
                problems=[] if ok else [f"no such file: {path}"],
            )
        )
    return rows


def load_rows(
    collection: Path | None, mapping: Path | None, root: Path | None, items: list[tuple[Path, dict[str, Any]]]
) -> list[SourceRow]:
    if (collection is None) != (mapping is None):
        raise click.UsageError(
            "--collection and --mapping go together: the table and how to read its columns"
        )
    rows = rows_from_items(items)
    if collection is not None and mapping is not None:
        try:
            table_rows = rows_from_table(collection, load_mapping(mapping), root=root)
        except RepositoryError as exc:
            raise click.UsageError(exc.message) from None
        rows += table_rows
    if not rows:
        raise click.UsageError("nothing to import: give files, folders, --manifest or --collection")
    return rows


def run_collection(
    runtime: Runtime,
    rows: list[SourceRow],
    *,
    owner: str | None,
    organisation: str | None,
    dry_run: bool,
    report: Path | None,
    as_json: bool,
    console: Console,
    progress_factory: Any,
) -> list[RowResult]:
    """Check or import ``rows``, print one line per problem (or JSON per row), write the report."""
    try:
        job = CollectionImport(
            runtime.db,
            runtime.blobs,
            owner=owner,
            organisation=organisation,
            max_bytes=runtime.settings.max_upload_bytes,
            state=WorkflowState.draft,
        )
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    with progress_factory(console) as progress:
        task = progress.add_task("checking" if dry_run else "importing", total=len(rows))

        def advance() -> None:
            progress.advance(task)

        results = job.check(rows, progress=advance) if dry_run else job.run(rows, progress=advance)
    if as_json:
        for r in results:
            click.echo(json.dumps(asdict(r), ensure_ascii=False))
    counts = summary(results)
    word = "dry run" if dry_run else "import"
    console.print(f"{word}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    for r in results:
        if r.status in (INVALID, FAILED):
            for problem in r.problems:
                console.print(f"  [red]{r.status}[/red] row {r.row} {r.file}: {problem}", highlight=False)
    if report is not None:
        csv_path, json_path = write_report(results, report, dry_run=dry_run)
        console.print(f"report: {csv_path} and {json_path}", highlight=False)
    return results


def exit_code(results: list[RowResult]) -> int:
    """1 when a row is invalid (dry run) or failed (run), else 0."""
    return 1 if any(r.status in (INVALID, FAILED) for r in results) else 0


def created_rows(results: list[RowResult]) -> list[dict[str, Any]]:
    """Rows of materials this run created, in the shape ``publish_imported`` takes."""
    return [
        {"path": r.file, "material_id": r.material_id, "status": r.status}
        for r in results
        if r.status == CREATED and r.material_id
    ]


def finish(results: list[RowResult]) -> None:
    sys.exit(exit_code(results))
