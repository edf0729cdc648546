"""Bulk import of an organisation's collection: check it (dry run), import it (resumable), report.

**Dry run** (:meth:`CollectionImport.check`) reads every file to hash it and validates every row's
metadata, and only reads the database (one read session): no row, no blob, no job is written. It
says per row what a real run would do (``would_create``, ``would_skip``) or every problem
(``invalid``).

**Run** (:meth:`CollectionImport.run`) commits each file in its own transaction, so a run that is
killed leaves the files before it imported and nothing half-made (a blob written before its row
committed is an unreferenced, content-addressed blob; the next run reuses it). A re-run skips
every file whose content (SHA-256) is already a material's, so it resumes where the killed one
stopped and never duplicates.

**Report**: one :class:`RowResult` per row, written as CSV and JSON by :func:`write_report`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repository.collection.mapping import SourceRow
from repository.db import Database
from repository.errors import MetadataInvalid, NotFound, PermissionDenied, RepositoryError
from repository.material.store import MaterialStore
from repository.metadata import metadata_title_from_filename, validate_metadata
from repository.models import Role, WorkflowState
from repository.organisation.service import organisations
from repository.policy.roles import has_role
from repository.storage import BlobStore
from repository.uow import UnitOfWork
from repository.user.service import user as user_service

#: Dry-run statuses, then real-run statuses.
WOULD_CREATE, WOULD_SKIP, INVALID = "would_create", "would_skip", "invalid"
CREATED, SKIPPED, FAILED = "created", "skipped", "failed"
REPORT_COLUMNS = ("row", "file", "status", "material_id", "sha256", "size", "title", "problems")


@dataclass
class RowResult:
    row: int
    file: str
    status: str
    material_id: str | None = None
    sha256: str | None = None
    size: int | None = None
    title: str | None = None
    problems: list[str] = field(default_factory=list)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _details(exc: MetadataInvalid) -> list[str]:
    found = [f"{d.get('field') or 'metadata'}: {d.get('message')}" for d in exc.details]
    return found or [exc.message]


class CollectionImport:
    """One import of a collection's rows, by ``owner`` (the system account when None), in the name
    of ``organisation`` (a slug, or None).

    Raises (from the constructor's checks, before any row is looked at):
        NotFound: no such owner or organisation.
        PermissionDenied: the owner may not upload, or is not a member of the organisation.
    """

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        *,
        owner: str | None,
        organisation: str | None,
        max_bytes: int,
        state: WorkflowState = WorkflowState.draft,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.owner = owner
        self.organisation = organisation
        self.max_bytes = max_bytes
        self.state = state
        with db.read() as session:
            if owner is None:
                # The system account (an admin, created by the first real import) needs no check.
                if organisation is not None:
                    organisations.get(session, organisation)
                return
            actor = user_service.get_by_username(session, owner)
            if actor is None:
                raise NotFound(f"no account named {owner!r}")
            if not has_role(actor, Role.teacher):
                raise PermissionDenied(f"{actor.username} cannot upload materials (teachers and above can)")
            if organisation is not None:
                organisations.for_material(session, actor, organisation)

    # --- one row ---------------------------------------------------------------------------

    def _prepare(self, row: SourceRow) -> tuple[RowResult, dict[str, Any] | None]:
        """The row's checks that need no database: file, size, metadata. Returns the result so far
        and the validated metadata (None when the row has a problem)."""
        result = RowResult(row=row.number, file=row.file, status=INVALID, problems=list(row.problems))
        doc: dict[str, Any] | None = None
        if row.path is not None:
            try:
                result.sha256, result.size = _sha256(row.path)
            except OSError as exc:
                result.problems.append(f"{row.file}: cannot be read ({exc.strerror or exc})")
            if result.size is not None and result.size > self.max_bytes:
                result.problems.append(
                    f"{row.file}: {result.size} bytes, above the limit of {self.max_bytes}"
                )
            if result.size == 0:
                result.problems.append(f"{row.file}: the file is empty")
        meta = dict(row.metadata)
        if not str(meta.get("title", "")).strip() and row.file:
            meta["title"] = metadata_title_from_filename(Path(row.file).name)
        try:
            doc = validate_metadata(meta)
            result.title = doc["title"]
        except MetadataInvalid as exc:
            result.problems.extend(_details(exc))
            doc = None
        return result, (doc if not result.problems else None)

    # --- dry run ---------------------------------------------------------------------------

    def check(
        self, rows: Sequence[SourceRow], *, progress: Callable[[], None] | None = None
    ) -> list[RowResult]:
        """What a run would do with each row, writing nothing (see the module docstring)."""
        results: list[RowResult] = []
        seen: dict[str, int] = {}
        with self.db.read() as session:
            store = MaterialStore.from_session(session)
            for row in rows:
                result, doc = self._prepare(row)
                if doc is not None and result.sha256 is not None:
                    existing = store.material_with_sha256(result.sha256)
                    if existing is not None:
                        result.status, result.material_id = WOULD_SKIP, existing
                        result.problems.append("already imported (same content)")
                    elif result.sha256 in seen:
                        result.status = WOULD_SKIP
                        result.problems.append(f"same file as row {seen[result.sha256]}")
                    else:
                        result.status = WOULD_CREATE
                        seen[result.sha256] = row.number
                results.append(result)
                if progress is not None:
                    progress()
        return results

    # --- real run --------------------------------------------------------------------------

    def run(
        self, rows: Sequence[SourceRow], *, progress: Callable[[], None] | None = None
    ) -> list[RowResult]:
        """Import every valid row, one transaction per file; skip what is already imported."""
        from repository.material.service import create_from_path

        results: list[RowResult] = []
        for row in rows:
            result, doc = self._prepare(row)
            if doc is None or row.path is None or result.sha256 is None:
                result.status = FAILED
            else:
                try:
                    with UnitOfWork(self.db) as uow:
                        existing = MaterialStore.from_session(uow.session).material_with_sha256(result.sha256)
                        if existing is not None:
                            result.status, result.material_id = SKIPPED, existing
                            result.problems.append("already imported (same content)")
                        else:
                            actor = (
                                user_service.system_user(uow.session)
                                if self.owner is None
                                else user_service.get_by_username(uow.session, self.owner)
                            )
                            if actor is None:
                                raise NotFound(f"no account named {self.owner!r}")
                            org = (
                                organisations.for_material(uow.session, actor, self.organisation)
                                if self.organisation is not None
                                else None
                            )
                            material, created = create_from_path(
                                self.blobs,
                                uow.session,
                                actor,
                                row.path,
                                metadata=doc,
                                state=self.state,
                                organisation=org,
                            )
                            result.material_id = material.id
                            result.status = CREATED if created else SKIPPED
                            if material.files and material.files[0].sha256 != result.sha256:
                                # The file changed between hashing and storing: say so, keep what was stored.
                                result.problems.append("the file changed while it was imported")
                except RepositoryError as exc:
                    result.status = FAILED
                    result.problems.append(exc.message)
            results.append(result)
            if progress is not None:
                progress()
        return results


def summary(results: Iterable[RowResult]) -> dict[str, int]:
    """Rows per status, and the total."""
    counts = Counter(r.status for r in results)
    return {"rows": sum(counts.values()), **dict(sorted(counts.items()))}


def report_csv(results: Sequence[RowResult]) -> str:
    """The report as CSV text (one line per row, problems joined with " | ")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for r in results:
        writer.writerow(
            [r.row, r.file, r.status, r.material_id or "", r.sha256 or "", r.size or "", r.title or "",
             " | ".join(r.problems)]
        )  # fmt: skip
    return out.getvalue()


def report_json(results: Sequence[RowResult], *, dry_run: bool) -> dict[str, Any]:
    """The report as a JSON document: ``{"dry_run", "summary", "rows"}``."""
    return {"dry_run": dry_run, "summary": summary(results), "rows": [asdict(r) for r in results]}


def write_report(results: Sequence[RowResult], out: Path, *, dry_run: bool) -> tuple[Path, Path]:
    """Write ``<out>.csv`` and ``<out>.json`` (``out`` without its suffix); returns both paths."""
    base = out.with_suffix("") if out.suffix in (".csv", ".json") else out
    csv_path, json_path = base.with_name(base.name + ".csv"), base.with_name(base.name + ".json")
    base.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: spreadsheet programs then read the Vietnamese text right.
    csv_path.write_text(report_csv(results), encoding="utf-8-sig", newline="")
    body = report_json(results, dry_run=dry_run)
    json_path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return csv_path, json_path


__all__ = [
    "CREATED",
    "FAILED",
    "INVALID",
    "SKIPPED",
    "WOULD_CREATE",
    "WOULD_SKIP",
    "CollectionImport",
    "RowResult",
    "report_csv",
    "report_json",
    "summary",
    "write_report",
]
