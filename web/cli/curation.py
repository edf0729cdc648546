"""Curation commands on ``hoclieu``: keys, fixity, verify, and the --approve-as import step."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from repository.audit.service import audit
from repository.curation.accounts import accounts
from repository.curation.decisions import reviews
from repository.curation.signing import signatures
from repository.errors import RepositoryError
from repository.fixity import FixityCheck
from repository.models import Role, WorkflowState
from repository.policy.roles import has_role
from repository.runtime import Runtime
from repository.signing import SigningKeyError, rotate, signer_for
from repository.uow import UnitOfWork
from web.cli.common import err, open_runtime, progress_bar


@click.group()
def keys() -> None:
    """Approval signing keys: list them, rotate to a new one."""


@keys.command("list")
def keys_list() -> None:
    """Every published key (current and retired) with its validity period."""
    runtime = open_runtime()
    try:
        signer = signer_for(runtime.settings)
    except SigningKeyError as exc:
        raise click.ClickException(exc.message) from None
    for k in signer.ring:
        status = "current" if k.key_id == signer.key_id else "retired"
        click.echo(f"{k.key_id}  {status:8}  from {k.valid_from or '-'}  until {k.valid_until or '-'}")


@keys.command("rotate")
def keys_rotate() -> None:
    """Create a new Ed25519 signing key; the old one is retired but stays published (audited)."""
    runtime = open_runtime()
    try:
        retired, current = rotate(runtime.settings)
    except SigningKeyError as exc:
        raise click.ClickException(exc.message) from None
    with UnitOfWork(runtime.db) as uow:
        audit.record(
            uow.session,
            actor=None,
            action="keys.rotated",
            subject_type="key",
            subject_id=current.key_id,
            data={"retired": retired.key_id, "at": current.valid_from},
        )
    click.echo(f"new signing key {current.key_id}; {retired.key_id} retired at {retired.valid_until}")


def publish_imported(runtime: Runtime, results: list[dict[str, Any]], admin_username: str) -> int:
    """Approve and sign imported materials in ``admin_username``'s name (``import --approve-as``).

    Returns how many were published; rows that failed to import are skipped.
    """
    signer = signer_for(runtime.settings)
    published = 0
    for row in results:
        if not row.get("material_id"):
            continue
        try:
            with UnitOfWork(runtime.db) as uow:
                admin = accounts.get_user(uow.session, admin_username)
                reviews.publish_direct(
                    uow.session,
                    admin,
                    row["material_id"],
                    signer=signer,
                    note="published by import --approve-as (curated elsewhere)",
                )
            row["state"] = WorkflowState.approved.value
            published += 1
        except RepositoryError as exc:
            row.update(status="failed", error=exc.message)
    return published


def check_approver(runtime: Runtime, username: str) -> None:
    """Refuse early (before importing anything) when ``username`` is not an active admin."""
    with runtime.db.read() as session:
        try:
            found = accounts.get_user(session, username)
        except RepositoryError as exc:
            raise click.UsageError(f"--approve-as: {exc.message}") from None
        if not has_role(found, Role.admin):
            raise click.UsageError(f"--approve-as: {username} is not an active admin")


@click.command()
@click.option("--restart", is_flag=True, help="Ignore the checkpoint of an interrupted run and start over.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def fixity(restart: bool, as_json: bool) -> None:
    """Re-hash every stored blob and re-check every signed approval (exit 1 on any problem).

    Resumable: an interrupted run continues where it stopped. Problems are recorded on the
    affected materials for curators (GET /api/v1/review/integrity).
    """
    runtime = open_runtime()
    with progress_bar(err) as progress:
        task = progress.add_task("fixity", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = FixityCheck(runtime, restart=restart, on_progress=advance).run()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "checked": report.checked,
                    "resumed_from": report.resumed_from,
                    "problems": [p.__dict__ for p in report.problems],
                },
                ensure_ascii=False,
            )
        )
    else:
        if report.resumed_from:
            err.print(f"resumed after {report.resumed_from}")
        err.print(f"checked {report.checked} blobs: {len(report.problems)} problem(s)")
        for p in report.problems:
            where = ", ".join(p.material_ids) or "-"
            err.print(f"  [red]{p.problem}[/red] {p.storage_key}: {p.detail} (materials: {where})")
    if not report.ok:
        sys.exit(1)


@click.command()
@click.argument("target")
def verify(target: str) -> None:
    """Check a material (by id) or a file against its signed approval. Exit 0 only when all matches.

    TARGET is a material id; a downloaded file (its sha256 must be in a valid signed manifest);
    or a signature document saved from GET /api/v1/materials/ID/signature.
    """
    runtime = open_runtime()
    try:
        signer = signer_for(runtime.settings)
    except SigningKeyError as exc:
        raise click.ClickException(exc.message) from None
    path = Path(target)
    if path.is_file():
        ok, lines = _verify_file(runtime, path, signer)
    else:
        with runtime.db.read() as session:
            report = signatures.verify(session, target, signer=signer, blobs=runtime.blobs)
        ok = report.ok
        lines = [
            f"material {report.material_id} version {report.version}: "
            f"{'OK' if ok else 'FAILED'} ({report.checked_files} file(s) re-hashed)"
        ]
        lines += [f"  - {p}" for p in report.problems]
    for line in lines:
        click.echo(line)
    sys.exit(0 if ok else 1)


def _verify_file(runtime: Runtime, path: Path, signer: Any) -> tuple[bool, list[str]]:
    raw = path.read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        doc = None
    if isinstance(doc, dict) and {"manifest", "signature"} <= set(doc):
        problem = signer.check(doc.get("key_id"), doc["manifest"], doc["signature"])
        return problem is None, [
            f"signature document {path.name}: "
            + (f"OK (key {doc.get('key_id')})" if problem is None else f"FAILED ({problem})")
        ]
    digest = hashlib.sha256(raw).hexdigest()
    with runtime.db.read() as session:
        found = signatures.find_signed_file(session, digest, len(raw), signer=signer)
        if found is not None:
            material, version, filename = found
            return True, [
                f"{path.name}: OK, signed in material {material.id} version {version.number} as {filename}"
            ]
    return False, [f"{path.name}: FAILED, sha256 {digest} is in no valid signed approval"]
