"""Move every blob from one store to another (``hoclieu storage migrate --to s3|local``).

Each object is copied through a temporary file in the target's spool: its sha256 is computed on
the way and must equal its key (a source blob that rotted is reported, never copied), and after
the write the target re-reads and re-hashes it. The run is resumable by construction: a blob the
target already holds at the right size is skipped (``verify_existing`` re-hashes those too), and
both stores write atomically, so an interrupted run never leaves half an object behind.
The source is left untouched; switch the settings once the report is clean.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from repository.db import Database
from repository.models import Derivative, MaterialFile
from repository.storage import CHUNK, BlobStore


@dataclass
class MigrationReport:
    total: int = 0
    copied: int = 0
    skipped: int = 0
    bytes_copied: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing_in_target: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.missing_in_target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK * 4):
            digest.update(chunk)
    return digest.hexdigest()


def referenced_keys(db: Database) -> set[str]:
    """Every storage key the database refers to (files and their derivatives)."""
    with db.read() as s:
        keys = set(s.scalars(select(MaterialFile.storage_key)))
        keys |= set(s.scalars(select(Derivative.storage_key)))
    return keys


def migrate_blobs(
    source: BlobStore,
    target: BlobStore,
    *,
    scratch: Path,
    referenced: Iterable[str] = (),
    verify_existing: bool = False,
    jobs: int = 4,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> MigrationReport:
    """Copy every blob of ``source`` into ``target``; then check that every ``referenced`` key
    (the database's files and derivatives) is in the target."""
    report = MigrationReport()
    keys = sorted(set(source.iter_keys()))
    report.total = len(keys)
    lock = threading.Lock()
    done = 0
    scratch.mkdir(parents=True, exist_ok=True)
    on_progress(0, len(keys))

    def copy(key: str) -> None:
        nonlocal done
        outcome: str
        size = 0
        try:
            outcome, size = _copy_one(source, target, key, scratch, verify_existing)
        except Exception as exc:  # one bad object must not stop the others
            outcome = f"error: {type(exc).__name__}: {exc}"
        with lock:
            if outcome == "copied":
                report.copied += 1
                report.bytes_copied += size
            elif outcome == "skipped":
                report.skipped += 1
            else:
                report.failed.append((key, outcome))
            done += 1
            on_progress(done, len(keys))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(copy, keys))
    report.failed.sort()
    present = set(target.iter_keys())
    report.missing_in_target = sorted(set(referenced) - present)
    return report


def _copy_one(
    source: BlobStore, target: BlobStore, key: str, scratch: Path, verify_existing: bool
) -> tuple[str, int]:
    want = key.rsplit("/", 1)[-1]
    size = source.size(key)
    if target.exists(key) and target.size(key) == size:
        if not verify_existing or target.verify(key):
            return "skipped", 0
    workdir = Path(tempfile.mkdtemp(prefix="migrate-", dir=scratch))
    try:
        tmp = workdir / "blob"
        source.download_to(key, tmp)
        got = _sha256(tmp)
        if got != want:
            return f"the source bytes do not match their sha256 (got {got[:12]}…): not copied", 0
        blob = target.promote_file(tmp, sha256=got, replace=True)
        if blob.key != key or not target.verify(key):
            return "the copy in the target does not match its sha256 after writing", 0
        return "copied", size
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
