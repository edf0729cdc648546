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


_lock = threading.Lock()
_runtime: Runtime | None = None


def build_runtime(settings: Settings) -> Runtime:
    private_dir(settings.data_dir)
    if not settings.database_url:
        # SQLite creates its file with the umask's mode (often 0644); an empty file made 0600 first
        # is a valid empty database, and SQLite gives its -wal and -shm files the same mode.
        private_file(settings.data_dir / "hoclieu.db")
    if settings.s3_endpoint_url:
        # The S3 store belongs to the scale issue; refuse clearly rather than silently use disk.
        raise RuntimeError("HOCLIEU_S3_ENDPOINT_URL is set but S3 blob storage is not available yet")
    return Runtime(
        settings=settings,
        db=Database(settings.sqlalchemy_url),
        blobs=LocalBlobStore(settings.blob_dir),
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
