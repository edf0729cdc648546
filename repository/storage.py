"""Content-addressed blob storage.

Blobs are keyed by their SHA-256. Writes stream through a staging file (hashing as they go),
are fsync'd, and are renamed into place atomically, so a reader never sees a partial blob and
a killed upload leaves at most a staging file, which ``cleanup_staging`` removes. Identical
content is stored once.

Resumable uploads (``repository.upload``) keep their partial files apart, in ``resumable/``,
because they must outlive the age-based staging sweep for as long as their session lives:
``resumable(name)`` gives one such file (append at an offset under an exclusive lock, fsync per
chunk), ``promote_file`` stores a finished one, and ``cleanup_resumable`` removes the files no
live session names.

``BlobStore`` is the interface; ``LocalBlobStore`` keeps blobs on a local disk (embedded mode,
or a shared volume). An S3 implementation plugs in behind the same interface at scale.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from repository.errors import Conflict, PayloadTooLarge, ValidationFailed
from repository.files import private_dir

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BlobInfo:
    key: str
    sha256: str
    size: int


class StagedBlob(Protocol):
    """A blob being written. ``write`` then ``commit`` (or ``abort``)."""

    size: int

    def write(self, data: bytes) -> None: ...

    def commit(self) -> BlobInfo: ...

    def abort(self) -> None: ...

    @property
    def sha256(self) -> str: ...

    @property
    def path(self) -> Path: ...


class BlobStore(Protocol):
    def stage(self, *, max_size: int | None = None) -> StagedBlob: ...

    def put_file(self, path: Path) -> BlobInfo: ...

    def open(self, key: str) -> BinaryIO: ...

    def local_path(self, key: str) -> Path | None: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None: ...

    def verify(self, key: str) -> bool: ...

    def cleanup_staging(self, *, older_than_s: float) -> int: ...

    def iter_keys(self) -> Iterator[str]: ...

    def resumable(self, name: str) -> ResumableFile: ...

    def promote_file(self, path: Path, *, sha256: str | None = None) -> BlobInfo: ...

    def cleanup_resumable(self, *, live: Collection[str], older_than_s: float) -> int: ...


def key_for(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class _LocalStaged:
    def __init__(self, store: LocalBlobStore, max_size: int | None) -> None:
        self._store = store
        self._max = max_size
        fd, name = tempfile.mkstemp(dir=store.staging_dir, prefix="upload-", suffix=".part")
        self._fh = os.fdopen(fd, "wb")
        self._path = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0
        self._done = False

    @property
    def path(self) -> Path:
        """The staging file, with pending writes flushed so it can be read (e.g. sniffed)."""
        if not self._fh.closed:
            self._fh.flush()
        return self._path

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._max is not None and self.size > self._max:
            self.abort()
            raise PayloadTooLarge(f"file is larger than the limit of {_human(self._max)}")
        self._hash.update(data)
        self._fh.write(data)

    def commit(self) -> BlobInfo:
        if self._done:
            raise RuntimeError("staged blob already committed or aborted")
        if self.size == 0:
            self.abort()
            raise ValidationFailed("file is empty (0 bytes)")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._done = True
        return self._store._promote(self._path, self.sha256, self.size)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._fh.close()
        self._path.unlink(missing_ok=True)


class ResumableWriter:
    """Appends to a resumable file from a given offset, holding an exclusive lock on it.

    Use as a context manager: the lock is released on exit. ``sync`` makes what was written
    durable (call it before acknowledging the new offset); ``rollback`` drops everything this
    writer wrote.
    """

    def __init__(self, path: Path, offset: int, limit: int) -> None:
        self._fh = open(path, "r+b")
        try:
            # flock is per open file, so it also excludes a second request in this process.
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            raise Conflict("another request is still writing this upload: retry in a moment") from None
        size = os.fstat(self._fh.fileno()).st_size
        if size < offset:
            self.close()
            raise Conflict(f"the stored part is shorter ({size} bytes) than the offset {offset}")
        # Bytes past the acknowledged offset are what a crash cut off mid-chunk: never acknowledged.
        self._fh.truncate(offset)
        self._fh.seek(offset)
        self.start = offset
        self.position = offset
        self._limit = limit

    def write(self, data: bytes) -> None:
        """Append ``data``. Raises PayloadTooLarge (writing nothing) past the declared length."""
        if self.position + len(data) > self._limit:
            raise PayloadTooLarge(f"the upload is longer than its declared length of {self._limit} bytes")
        self._fh.write(data)
        self.position += len(data)

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def rollback(self) -> None:
        self._fh.flush()
        self._fh.truncate(self.start)
        self.position = self.start
        self.sync()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()  # closing releases the flock

    def __enter__(self) -> ResumableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ResumableFile:
    """The partial file of one resumable upload, kept outside the staging sweep."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def create(self) -> None:
        """Create the empty file (and make its directory entry durable)."""
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        _fsync_dir(self.path.parent)

    def exists(self) -> bool:
        return self.path.is_file()

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def writer(self, offset: int, *, limit: int) -> ResumableWriter:
        """Lock the file and position it at ``offset`` (see ``ResumableWriter``).

        Raises:
            Conflict: another writer holds the lock, or fewer than ``offset`` bytes are stored.
        """
        return ResumableWriter(self.path, offset, limit)

    def sha256(self, length: int) -> str:
        """SHA-256 of the first ``length`` bytes (the whole upload once it is complete)."""
        digest = hashlib.sha256()
        left = length
        with open(self.path, "rb") as fh:
            while left > 0 and (chunk := fh.read(min(CHUNK * 4, left))):
                digest.update(chunk)
                left -= len(chunk)
        return digest.hexdigest()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs_dir = self.root / "sha256"
        self.staging_dir = self.root / "staging"
        # Not inside staging/: the age-based sweep there must not eat a live resumable upload.
        self.resumable_dir = self.root / "resumable"
        # Owner-only: unpublished uploads live here (blob files themselves are made 0600 by mkstemp).
        for folder in (self.root, self.blobs_dir, self.staging_dir, self.resumable_dir):
            private_dir(folder)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if len(parts) != 3 or not all(p and p.isalnum() for p in parts):
            raise ValueError(f"not a blob key: {key!r}")
        return self.blobs_dir / key

    def stage(self, *, max_size: int | None = None) -> StagedBlob:
        return _LocalStaged(self, max_size)

    def put_file(self, path: Path) -> BlobInfo:
        staged = self.stage()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    staged.write(chunk)
        except BaseException:
            staged.abort()
            raise
        return staged.commit()

    def _promote(self, staged: Path, sha256: str, size: int) -> BlobInfo:
        key = key_for(sha256)
        final = self._path(key)
        if final.exists() and final.stat().st_size == size:
            staged.unlink(missing_ok=True)  # de-duplicated: same content is already stored
        else:
            private_dir(final.parent)
            os.replace(staged, final)
            _fsync_dir(final.parent)
        return BlobInfo(key=key, sha256=sha256, size=size)

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def verify(self, key: str) -> bool:
        """Re-hash the blob; True when its content still matches its key."""
        path = self._path(key)
        if not path.is_file():
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == key.rsplit("/", 1)[-1]

    def cleanup_staging(self, *, older_than_s: float) -> int:
        """Remove staging files left by killed uploads. Returns how many were removed."""
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in self.staging_dir.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    if entry.is_dir():
                        shutil.rmtree(entry, ignore_errors=True)
                    else:
                        entry.unlink(missing_ok=True)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def iter_keys(self) -> Iterator[str]:
        for path in self.blobs_dir.glob("*/*/*"):
            if path.is_file():
                yield str(path.relative_to(self.blobs_dir)).replace(os.sep, "/")

    def resumable(self, name: str) -> ResumableFile:
        """The partial file of the resumable upload ``name`` (an id: letters, digits, dashes)."""
        if not name or not all(ch.isalnum() or ch == "-" for ch in name):
            raise ValueError(f"not a resumable upload name: {name!r}")
        return ResumableFile(self.resumable_dir / f"{name}.part")

    def promote_file(self, path: Path, *, sha256: str | None = None) -> BlobInfo:
        """Store a finished file as a blob, leaving ``path`` itself in place.

        The file is hard-linked into staging and promoted from there (a copy where links are not
        possible), so the caller's file stays valid until its own transaction has committed and
        it removes it. ``sha256`` may be given when already known (a resumable upload hashes
        on its last chunk); otherwise it is computed here.
        """
        size = path.stat().st_size
        if size == 0:
            raise ValidationFailed("file is empty (0 bytes)")
        if sha256 is None:
            sha256 = ResumableFile(path).sha256(size)
        fd, name = tempfile.mkstemp(dir=self.staging_dir, prefix="promote-", suffix=".part")
        os.close(fd)
        staged = Path(name)
        staged.unlink()
        try:
            try:
                os.link(path, staged)
            except OSError:
                shutil.copyfile(path, staged)
                with open(staged, "rb+") as fh:
                    os.fsync(fh.fileno())
            return self._promote(staged, sha256, size)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise

    def cleanup_resumable(self, *, live: Collection[str], older_than_s: float) -> int:
        """Remove resumable files that no live session names (expired, deleted, or orphaned by a
        crash between creating the file and committing its session). Files younger than
        ``older_than_s`` are kept, so a session being created right now is never raced."""
        cutoff = time.time() - older_than_s
        keep = {f"{name}.part" for name in live}
        removed = 0
        for entry in self.resumable_dir.iterdir():
            if entry.name in keep:
                continue
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink(missing_ok=True)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"
