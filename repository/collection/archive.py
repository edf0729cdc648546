"""A collection sent over the API: a ZIP (a completed resumable upload) holding the table and its
files, unpacked safely into a scratch folder and imported like ``hoclieu import --collection``.

Unpacking refuses what could escape or exhaust the scratch folder: absolute names, ``..``,
symbolic links, more entries than :data:`MAX_ENTRIES`, and more bytes than the upload limit in
all (counted while copying, so a ZIP that lies about its sizes is stopped too).
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from repository.collection.mapping import MAX_ROWS, parse_mapping, rows_from_table
from repository.collection.service import CollectionImport, RowResult
from repository.db import Database
from repository.errors import Conflict, PermissionDenied, ValidationFailed
from repository.models import MemberRole, Role, User
from repository.organisation.service import organisations
from repository.policy.roles import has_role
from repository.storage import BlobStore
from repository.upload.service import upload as upload_service

MAX_ENTRIES = MAX_ROWS + 100
_CHUNK = 1024 * 1024


def unpack(archive: Path, into: Path, *, max_bytes: int) -> None:
    """Extract the regular files of ``archive`` under ``into``.

    Raises:
        ValidationFailed: not a ZIP, an unsafe name, too many entries or bytes.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationFailed(f"the collection must be a ZIP file ({exc})") from None
    with zf:
        entries = zf.infolist()
        if len(entries) > MAX_ENTRIES:
            raise ValidationFailed(f"the ZIP holds {len(entries)} entries; at most {MAX_ENTRIES} per import")
        total = 0
        for info in entries:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise ValidationFailed(
                    f"the ZIP entry {info.filename!r} would be written outside the collection"
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ValidationFailed(
                    f"the ZIP entry {info.filename!r} is a symbolic link; send the file itself"
                )
            if info.is_dir() or not parts:
                continue
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        total += len(chunk)
                        if total > max_bytes:
                            raise ValidationFailed(
                                f"the collection unpacks to more than {max_bytes} bytes; "
                                "split it into several"
                            )
                        dst.write(chunk)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                # Damaged data, encrypted entries, unsupported compression.
                raise ValidationFailed(f"the ZIP entry {info.filename!r} cannot be read: {exc}") from None


def _table(root: Path, name: str | None) -> Path:
    if name:
        candidate = (root / name).resolve()
        if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
            raise ValidationFailed(f"the ZIP has no table {name!r}")
        return candidate
    tables = sorted(p for p in root.rglob("*.csv") if p.is_file())
    if len(tables) != 1:
        found = [str(p.relative_to(root)) for p in tables]
        raise ValidationFailed(
            f"name the table to read (table): the ZIP holds {len(tables)} CSV files {found[:10]}"
        )
    return tables[0]


def may_import(session: Session, actor: User, slug: str) -> None:
    """Managers of the organisation and admins import collections in its name.

    Raises:
        NotFound: no such organisation. PermissionDenied: anybody else.
    """
    org = organisations.get(session, slug)
    if (
        not has_role(actor, Role.admin)
        and organisations.role_of(session, actor, org) is not MemberRole.manager
    ):
        raise PermissionDenied("only the organisation's managers and admins import collections in its name")
    if not has_role(actor, Role.teacher):
        raise PermissionDenied("importing creates materials: the account must be a teacher or above")


def import_upload(
    db: Database,
    blobs: BlobStore,
    actor: User,
    slug: str,
    *,
    upload_id: str,
    mapping: str,
    table: str | None,
    dry_run: bool,
    max_bytes: int,
    scratch: Path,
) -> list[RowResult]:
    """Check (``dry_run``) or import the collection in the completed upload ``upload_id``.

    The upload is left in place, so the same ZIP can be checked, then imported, then imported
    again after an interruption (what is done is skipped by content hash). Materials belong to
    ``actor`` and name the organisation.

    Raises:
        NotFound, PermissionDenied: the organisation, the upload (the actor's own only).
        Conflict: the upload is not complete.
        ValidationFailed: the mapping, the ZIP or the table is unusable.
    """
    with db.read() as session:
        may_import(session, actor, slug)
        upload = upload_service.get(session, actor, upload_id)
        if not upload.complete:
            raise Conflict(
                f"upload {upload_id!r} is not complete: {upload.received} of {upload.length} bytes"
            )
        part = blobs.resumable(upload.id).path
    return import_archive(
        db,
        blobs,
        actor,
        slug,
        archive=part,
        mapping=mapping,
        table=table,
        dry_run=dry_run,
        max_bytes=max_bytes,
        scratch=scratch,
    )


def import_archive(
    db: Database,
    blobs: BlobStore,
    actor: User,
    slug: str,
    *,
    archive: Path,
    mapping: str,
    table: str | None,
    dry_run: bool,
    max_bytes: int,
    scratch: Path,
) -> list[RowResult]:
    """Check or import the collection in the ZIP at ``archive`` (see :func:`import_upload`)."""
    parsed = parse_mapping(
        mapping, name="mapping.json" if mapping.lstrip().startswith("{") else "mapping.toml"
    )
    with db.read() as session:
        may_import(session, actor, slug)
        username = actor.username
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="collection-", dir=scratch))
    try:
        unpack(archive, folder, max_bytes=max_bytes)
        rows = rows_from_table(_table(folder, table), parsed, root=folder)
        job = CollectionImport(db, blobs, owner=username, organisation=slug, max_bytes=max_bytes)
        results = job.check(rows) if dry_run else job.run(rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for r in results:  # the scratch folder is gone: name files as the ZIP does
        r.problems = [p.replace(str(folder) + "/", "") for p in r.problems]
    return results
