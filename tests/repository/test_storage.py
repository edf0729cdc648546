from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repository.errors import PayloadTooLarge, ValidationFailed
from repository.storage import LocalBlobStore, key_for


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


class TestLocalBlobStore:
    def test_stream_write_is_content_addressed_and_byte_identical(self, store: LocalBlobStore) -> None:
        data = os.urandom(3 * 1024 * 1024 + 7)
        staged = store.stage()
        for i in range(0, len(data), 65536):
            staged.write(data[i : i + 65536])
        blob = staged.commit()
        assert blob.sha256 == hashlib.sha256(data).hexdigest()
        assert blob.key == key_for(blob.sha256)
        assert blob.size == len(data)
        with store.open(blob.key) as fh:
            assert fh.read() == data
        assert store.verify(blob.key)
        assert list(store.staging_dir.iterdir()) == []

    def test_identical_content_is_stored_once(self, store: LocalBlobStore) -> None:
        keys = []
        for _ in range(2):
            staged = store.stage()
            staged.write("Phân số thập phân".encode())
            keys.append(staged.commit().key)
        assert keys[0] == keys[1]
        assert list(store.iter_keys()) == [keys[0]]

    def test_oversize_write_is_refused_and_leaves_nothing(self, store: LocalBlobStore) -> None:
        staged = store.stage(max_size=10)
        with pytest.raises(PayloadTooLarge, match="larger than the limit"):
            staged.write(b"x" * 11)
        assert list(store.staging_dir.iterdir()) == []
        assert list(store.iter_keys()) == []

    def test_empty_file_is_refused(self, store: LocalBlobStore) -> None:
        with pytest.raises(ValidationFailed, match="empty"):
            store.stage().commit()
        assert list(store.staging_dir.iterdir()) == []

    def test_verify_detects_a_changed_byte(self, store: LocalBlobStore) -> None:
        staged = store.stage()
        staged.write(b"noi dung goc")
        blob = staged.commit()
        path = store.local_path(blob.key)
        assert path is not None
        path.chmod(0o644)
        path.write_bytes(b"noi dung goC")
        assert not store.verify(blob.key)
        path.unlink()
        assert not store.verify(blob.key)

    def test_rejects_keys_that_escape_the_store(self, store: LocalBlobStore) -> None:
        with pytest.raises(ValueError, match="not a blob key"):
            store.open("../../etc/passwd")

    def test_killed_writer_leaves_no_blob_and_staging_is_cleaned(self, store: LocalBlobStore) -> None:
        # A real process writing a blob is SIGKILLed half-way through.
        script = (
            "import sys, time\n"
            "from pathlib import Path\n"
            "from repository.storage import LocalBlobStore\n"
            "s = LocalBlobStore(Path(sys.argv[1])).stage()\n"
            "s.write(b'a' * 1_000_000)\n"
            "print('written', flush=True)\n"
            "time.sleep(60)\n"
            "s.write(b'b'); s.commit()\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(store.root)],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"written"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        assert list(store.iter_keys()) == []
        leftovers = list(store.staging_dir.iterdir())
        assert len(leftovers) == 1
        assert store.cleanup_staging(older_than_s=3600) == 0  # too fresh: maybe still uploading
        old = time.time() - 7200
        os.utime(leftovers[0], (old, old))
        assert store.cleanup_staging(older_than_s=3600) == 1
        assert list(store.staging_dir.iterdir()) == []
