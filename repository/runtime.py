"""The process-wide wiring of settings to a database and a blob store.

Entry points (``create_app``, the CLI, job functions) call ``get_runtime()``; tests call
``configure(settings)`` to point everything at their own database and folders.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from repository.config import Settings, get_settings
from repository.db import Database
from repository.files import private_dir, private_file
from repository.storage import BlobStore, LocalBlobStore


@dataclass
class Runtime:
    settings: Settings
    db: Database
    blobs: BlobStore

    def close(self) -> None:
        self.db.dispose()
        self.blobs.close()


_lock = threading.Lock()
_runtime: Runtime | None = None


def build_runtime(settings: Settings) -> Runtime:
    private_dir(settings.data_dir)
    if not settings.database_url:
        # SQLite creates its file with the umask's mode (often 0644); an empty file made 0600 first
        # is a valid empty database, and SQLite gives its -wal and -shm files the same mode.
        private_file(settings.data_dir / "hoclieu.db")
    return Runtime(settings=settings, db=Database(settings.sqlalchemy_url), blobs=build_blob_store(settings))


def build_blob_store(settings: Settings, *, target: str | None = None) -> BlobStore:
    """The blob store the settings choose: S3 when ``HOCLIEU_S3_ENDPOINT_URL`` or
    ``HOCLIEU_S3_BUCKET`` is set, else the local disk. ``target`` ("s3" or "local") forces one
    (``hoclieu storage migrate``)."""
    use_s3 = bool(settings.s3_endpoint_url or settings.s3_bucket) if target is None else target == "s3"
    if not use_s3:
        return LocalBlobStore(settings.blob_dir)
    if not settings.s3_bucket:
        raise RuntimeError("HOCLIEU_S3_BUCKET must be set to keep blobs on S3")
    from repository.s3 import S3BlobStore

    return S3BlobStore(
        endpoint_url=settings.s3_endpoint_url,
        bucket=settings.s3_bucket,
        spool_dir=settings.spool,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        region=settings.s3_region,
        public_base_url=settings.s3_public_base_url,
    )


def configure(settings: Settings) -> Runtime:
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.close()
        _runtime = build_runtime(settings)
        return _runtime


def get_runtime() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = build_runtime(get_settings())
        return _runtime


def reset() -> None:
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.close()
        _runtime = None
