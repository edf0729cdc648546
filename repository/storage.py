"""Content-addressed blob storage.

Blobs are keyed by their SHA-256. Writes stream through a staging file (hashing as they go),
are fsync'd, and are renamed into place atomically, so a reader never sees a partial blob and
a killed upload leaves at most a staging file, which ``cleanup_staging`` removes. Identical
content is stored once.

``BlobStore`` is the interface; ``LocalBlobStore`` keeps blobs on a local disk (embedded mode,
or a shared volume). An S3 implementation plugs in behind the same interface at scale.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from repository.errors import PayloadTooLarge, ValidationFailed

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


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs_dir = self.root / "sha256"
        self.staging_dir = self.root / "staging"
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.staging_dir.mkdir(parents=True, exist_ok=True)

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
            final.parent.mkdir(parents=True, exist_ok=True)
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
