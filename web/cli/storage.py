"""``hoclieu storage migrate``: move the blobs between the local disk and S3."""

from __future__ import annotations

import sys

import click

from repository.blob_migration import migrate_blobs, referenced_keys
from repository.runtime import build_blob_store
from web.cli.common import err, open_runtime, progress_bar


@click.group()
def storage() -> None:
    """Blob storage: local disk or S3."""


@storage.command("migrate")
@click.option("--to", "to", type=click.Choice(["s3", "local"]), required=True, help="Where the blobs go.")
@click.option(
    "--verify-existing", is_flag=True, help="Re-hash blobs the target already has instead of skipping them."
)
@click.option(
    "--jobs", default=4, show_default=True, type=click.IntRange(1, 32), help="Objects copied at once."
)
def storage_migrate(to: str, verify_existing: bool, jobs: int) -> None:
    """Copy every blob to the other store (disk → S3 with --to s3, S3 → disk with --to local),
    verifying each object's sha256; resumable (rerun after an interruption: what was copied is
    skipped). The source is left in place. Exit 1 on any problem.

    S3 is the one the HOCLIEU_S3_* settings name; the local disk is DATA_DIR/blobs. Once the run
    is clean, set (or unset) HOCLIEU_S3_BUCKET and restart the processes.
    """
    runtime = open_runtime()
    settings = runtime.settings
    try:
        source = build_blob_store(settings, target="local" if to == "s3" else "s3")
        target = build_blob_store(settings, target=to)
    except RuntimeError as exc:
        err.print(f"[red]{exc}[/red]")
        sys.exit(2)
    target.prepare()
    referenced = referenced_keys(runtime.db)
    with progress_bar(err) as progress:
        task = progress.add_task(f"to {to}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = migrate_blobs(
            source,
            target,
            scratch=settings.spool / "migrate",
            referenced=referenced,
            verify_existing=verify_existing,
            jobs=jobs,
            on_progress=advance,
        )
    source.close()
    target.close()
    err.print(
        f"{report.total} blobs: {report.copied} copied ({report.bytes_copied / 1e6:.1f} MB), "
        f"{report.skipped} already there, {len(report.failed)} failed"
    )
    for key, reason in report.failed:
        err.print(f"  [red]failed[/red] {key}: {reason}")
    for key in report.missing_in_target:
        err.print(f"  [red]missing[/red] {key}: referenced by the database but not in the target store")
    if not report.ok:
        sys.exit(1)
