"""``hoclieu package``, ``hoclieu verify-package`` and ``hoclieu apply-update``: offline packages.

The logic lives in :mod:`repository.offline.package`; these commands only parse options and print.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from repository.errors import RepositoryError
from repository.offline.package import (
    PackageReport,
    Selection,
    apply_update,
    build,
    build_update,
    read_document,
    verify_package,
)
from repository.signing import signer_for
from web.cli.common import err, open_runtime


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


@click.command()
@click.option("--grade", type=int, help="Grade 1-12 (required unless --since gives the old package's).")
@click.option("--subject", help="Subject code, e.g. toan (default: every subject of the grade).")
@click.option("--series", help="Textbook series code, e.g. ket-noi-tri-thuc.")
@click.option("--lesson", help="Only this lesson (accents optional), e.g. 'Bài 4: Phân số thập phân'.")
@click.option(
    "--since",
    type=click.Path(exists=True, path_type=Path),
    help="An older package (zip or folder): write an update holding only what changed since it.",
)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def package(
    grade: int | None,
    subject: str | None,
    series: str | None,
    lesson: str | None,
    since: Path | None,
    out: Path,
) -> None:
    """Write an offline package (a static site in a zip) of approved materials to OUT."""
    if grade is None and since is None:
        raise click.UsageError("--grade is required (or --since OLD to update an older package)")
    runtime = open_runtime()
    settings = runtime.settings
    selection = (
        Selection(grade=grade, subject=subject, series=series, lesson=lesson) if grade is not None else None
    )
    started = time.monotonic()
    try:
        signer = signer_for(settings)
        with runtime.db.read() as session:
            if since is None:
                assert selection is not None
                plan = build(session, runtime.blobs, signer, selection, out, source=settings.base_url)
                changed, deleted = sorted(plan.entries), list[str]()
            else:
                plan, changed, deleted = build_update(
                    session,
                    runtime.blobs,
                    signer,
                    read_document(since),
                    out,
                    source=settings.base_url,
                    selection=selection,
                )
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    elapsed = time.monotonic() - started
    kind = "update" if since is not None else "package"
    err.print(
        f"{kind} {out.name}: {len(plan.manifest['materials'])} materials, "
        f"{len(changed)} files{f' changed, {len(deleted)} removed' if since is not None else ''}, "
        f"{_mb(out.stat().st_size)} written in {elapsed:.1f} s"
    )
    click.echo(plan.package_id)


def _print(report: PackageReport, as_json: bool, what: str) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "package_id": report.package_id,
                    "key_id": report.key_id,
                    "materials": report.materials,
                    "files": report.files,
                    "problems": report.problems,
                    "notes": report.notes,
                },
                ensure_ascii=False,
            )
        )
        return
    status = "OK" if report.ok else "FAILED"
    click.echo(f"{what}: {status} ({report.materials} materials, {report.files} files, key {report.key_id})")
    for p in report.problems:
        click.echo(f"  - {p}")
    for n in report.notes:
        click.echo(f"  note: {n}")


def _trusted(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        doc: Any = json.loads(path.read_text("utf-8"))
        keys = doc["keys"] if isinstance(doc, dict) and "keys" in doc else doc
        if isinstance(keys, dict):
            keys = [keys]
        return {str(k["key_id"]): str(k["public_key"]) for k in keys}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"cannot read the keys in {path}: {exc}") from None


@click.command("verify-package")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The repository's published keys (saved from GET /api/v1/keys) to check the signer against.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report.")
def verify_package_cmd(path: Path, keys_file: Path | None, as_json: bool) -> None:
    """Check an offline package (zip or unpacked folder): signatures and the sha256 of every file."""
    report = verify_package(path, trusted_keys=_trusted(keys_file))
    _print(report, as_json, path.name)
    sys.exit(0 if report.ok else 1)


@click.command("apply-update")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("update", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The repository's published keys, to accept an update signed with a newer key.",
)
def apply_update_cmd(folder: Path, update: Path, keys_file: Path | None) -> None:
    """Apply an update package to an unpacked offline package FOLDER, in place, then verify it."""
    try:
        report = apply_update(folder, update, trusted_keys=_trusted(keys_file))
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    _print(report, False, folder.name)
    sys.exit(0 if report.ok else 1)
