"""Secrets and files: a short secret key is refused in production; what the embedded mode writes
is owner-only whatever the umask.

Before (wave 1): production accepted ``HOCLIEU_SECRET_KEY=abc`` (only the default was refused);
the SQLite database and the blob store were created 0644/0755 under the usual umask 022, so
any account on the machine could read password hashes, token digests and unpublished uploads.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from repository.config import MIN_SECRET_BYTES, Settings


class TestSecretKey:
    @pytest.mark.parametrize("secret", ["abc", "x" * (MIN_SECRET_BYTES - 1), "ngắn-quá"])
    def test_production_refuses_a_short_secret(self, secret: str) -> None:
        with pytest.raises(ValidationError, match="at least 32 bytes"):
            Settings(env="production", secret_key=secret)

    def test_production_accepts_a_long_secret(self) -> None:
        assert Settings(env="production", secret_key="k" * MIN_SECRET_BYTES).env == "production"

    def test_development_keeps_working_with_the_default(self) -> None:
        assert Settings(env="development").secret_key

    def test_the_length_counts_bytes(self) -> None:
        # 16 two-byte letters are 32 bytes: enough key material.
        assert Settings(env="production", secret_key="đ" * 16).env == "production"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestOwnerOnlyFiles:
    def test_database_blobs_and_keys_are_owner_only(self, tmp_path: Path, loose_umask: None) -> None:
        del loose_umask
        from repository.migrate import upgrade
        from repository.runtime import build_runtime
        from repository.signing import signer_for

        settings = Settings(env="testing", data_dir=tmp_path / "data" / "hoclieu", database_url=None)
        runtime = build_runtime(settings)
        try:
            upgrade(runtime.db)
            staged = runtime.blobs.stage()
            staged.write(b"bai giang chua duyet")
            blob = staged.commit()
            signer_for(settings)
        finally:
            runtime.close()
        data = settings.data_dir
        assert _mode(data) == 0o700
        assert _mode(data.parent) == 0o700  # created by us too
        database = data / "hoclieu.db"
        assert _mode(database) == 0o600
        for extra in (data / "hoclieu.db-wal", data / "hoclieu.db-shm"):
            if extra.exists():
                assert _mode(extra) == 0o600, extra
        blob_path = runtime.blobs.local_path(blob.key)
        assert blob_path is not None
        assert _mode(blob_path) == 0o600
        folder = blob_path.parent
        while folder != data:
            assert _mode(folder) == 0o700, folder
            folder = folder.parent
        keys = list((data / "keys").glob("*.pem"))
        assert keys
        assert all(_mode(k) == 0o600 for k in keys)
        assert _mode(data / "keys") == 0o700

    def test_an_existing_folder_keeps_the_operators_mode(self, tmp_path: Path, loose_umask: None) -> None:
        del loose_umask
        from repository.runtime import build_runtime

        mounted = tmp_path / "volume"
        mounted.mkdir(mode=0o750)
        os.chmod(mounted, 0o750)
        runtime = build_runtime(Settings(env="testing", data_dir=mounted, database_url=None))
        runtime.close()
        assert _mode(mounted) == 0o750
        assert _mode(mounted / "hoclieu.db") == 0o600
