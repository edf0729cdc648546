from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repository.errors import PayloadTooLarge, ValidationFailed
from repository.storage import BlobStore, LocalBlobStore, key_for, local_copy
from tests.s3server import ACCESS_KEY, SECRET_KEY

REPO = Path(__file__).resolve().parents[2]


def _store_factory(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "local":
        return LocalBlobStore(tmp_path / "blobs")
    from repository.s3 import S3BlobStore

    endpoint = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return S3BlobStore(
        endpoint_url=endpoint,
        bucket=bucket,
        spool_dir=tmp_path / "spool",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The behaviour suite runs against both stores: local disk and a real SeaweedFS bucket."""
    st = _store_factory(request.param, tmp_path, request)
    yield st
    st.close()


def _overwrite(store: Any, key: str, data: bytes | None) -> None:
    """Change (or, with None, remove) a stored blob behind the store's back: bit rot, an operator."""
    path = store.local_path(key)
    if path is not None:
        if data is None:
            path.unlink()
        else:
            path.chmod(0o644)
            path.write_bytes(data)
        return
    if data is None:
        store.client.delete_object(Bucket=store.bucket, Key="sha256/" + key)
    else:
        store.client.put_object(Bucket=store.bucket, Key="sha256/" + key, Body=data)


def _put(store: BlobStore, data: bytes) -> Any:
    staged = store.stage()
    staged.write(data)
    return staged.commit()


class TestBlobStore:
    def test_stream_write_is_content_addressed_and_byte_identical(self, store: Any) -> None:
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

    def test_identical_content_is_stored_once(self, store: Any) -> None:
        keys = []
        for _ in range(2):
            staged = store.stage()
            staged.write("Phân số thập phân".encode())
            keys.append(staged.commit().key)
        assert keys[0] == keys[1]
        assert list(store.iter_keys()) == [keys[0]]

    def test_oversize_write_is_refused_and_leaves_nothing(self, store: Any) -> None:
        staged = store.stage(max_size=10)
        with pytest.raises(PayloadTooLarge, match="larger than the limit"):
            staged.write(b"x" * 11)
        assert list(store.staging_dir.iterdir()) == []
        assert list(store.iter_keys()) == []

    def test_empty_file_is_refused(self, store: Any) -> None:
        with pytest.raises(ValidationFailed, match="empty"):
            store.stage().commit()
        assert list(store.staging_dir.iterdir()) == []

    def test_verify_detects_a_changed_byte(self, store: Any) -> None:
        staged = store.stage()
        staged.write(b"noi dung goc")
        blob = staged.commit()
        assert store.verify(blob.key)
        _overwrite(store, blob.key, b"noi dung goC")
        assert not store.verify(blob.key)
        _overwrite(store, blob.key, None)
        assert not store.verify(blob.key)
        assert not store.exists(blob.key)

    def test_rejects_keys_that_escape_the_store(self, store: Any) -> None:
        with pytest.raises(ValueError, match="not a blob key"):
            store.open("../../etc/passwd")

    def test_killed_writer_leaves_no_blob_and_staging_is_cleaned(self, store: Any) -> None:
        # A real process writing a blob is SIGKILLed half-way through.
        # The same kind of store, built in the child from these arguments.
        args = [str(store.root)] + (
            [store.endpoint_url, store.bucket, ACCESS_KEY, SECRET_KEY] if store.kind == "s3" else []
        )
        script = (
            "import sys, time\n"
            "from pathlib import Path\n"
            "from repository.storage import LocalBlobStore\n"
            "from repository.s3 import S3BlobStore\n"
            "a = sys.argv[1:]\n"
            "st = S3BlobStore(endpoint_url=a[1], bucket=a[2], spool_dir=Path(a[0]), access_key=a[3],"
            " secret_key=a[4]) if len(a) > 1 else LocalBlobStore(Path(a[0]))\n"
            "s = st.stage()\n"
            "s.write(b'a' * 1_000_000)\n"
            "print('written', flush=True)\n"
            "time.sleep(60)\n"
            "s.write(b'b'); s.commit()\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", script, *args],
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

    def test_ranged_reads_and_stat(self, store: Any) -> None:
        data = os.urandom(2 * 1024 * 1024 + 3)
        blob = _put(store, data)
        assert b"".join(store.read_range(blob.key, 0, 0)) == data[:1]
        assert b"".join(store.read_range(blob.key, 1000, 1024 * 1024 + 5)) == data[1000 : 1024 * 1024 + 6]
        assert b"".join(store.read_range(blob.key, len(data) - 3, len(data) - 1)) == data[-3:]
        st = store.stat(blob.key)
        assert st.size == len(data) == store.size(blob.key)
        assert abs(st.modified.timestamp() - time.time()) < 120

    def test_missing_blob(self, store: Any) -> None:
        key = key_for("ab" * 32)
        assert not store.exists(key)
        assert not store.verify(key)
        with pytest.raises(FileNotFoundError):
            store.stat(key)
        with pytest.raises(FileNotFoundError):
            store.open(key).read()
        assert local_copy(store, key, store.root) is None
        store.delete(key)  # deleting what is not there is not an error

    def test_delete(self, store: Any) -> None:
        blob = _put(store, b"xoa tep nay")
        assert store.exists(blob.key)
        store.delete(blob.key)
        assert not store.exists(blob.key)
        assert list(store.iter_keys()) == []

    def test_local_copy_gives_the_bytes_on_disk(self, store: Any, tmp_path: Path) -> None:
        data = "Bài giảng: Đường tròn".encode() * 1000
        blob = _put(store, data)
        work = tmp_path / "job"
        work.mkdir()
        path = local_copy(store, blob.key, work)
        assert path is not None and path.read_bytes() == data
        # a remote store downloads into the job's folder; a local one hands out the blob itself
        assert (path.parent == work) == (store.kind == "s3")

    def test_resumable_part_is_promoted_and_kept(self, store: Any) -> None:
        data = os.urandom(300_000)
        part = store.resumable("abc-123")
        part.create()
        with part.writer(0, limit=len(data)) as w:
            w.write(data[:100_000])
            w.sync()
        with part.writer(100_000, limit=len(data)) as w:
            w.write(data[100_000:])
            w.sync()
        blob = store.promote_file(part.path, sha256=part.sha256(len(data)))
        assert blob.sha256 == hashlib.sha256(data).hexdigest()
        assert part.exists()  # the caller removes it once its transaction committed
        with store.open(blob.key) as fh:
            assert fh.read() == data
        assert store.cleanup_resumable(live=[], older_than_s=3600) == 0
        assert store.cleanup_resumable(live=[], older_than_s=-1) == 1

    def test_iter_keys_lists_every_blob(self, store: Any) -> None:
        keys = {_put(store, f"tep so {i}".encode()).key for i in range(25)}
        assert set(store.iter_keys()) == keys

    def test_presigned_url(self, store: Any) -> None:
        data = b"%PDF-1.4 Phan so"
        blob = _put(store, data)
        url = store.presigned_url(blob.key, expires_s=60, filename="Phân số.pdf", media_type="application/pdf")
        if store.kind == "local":
            assert url is None  # a local disk is served by the web process itself
            return
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.read() == data
            assert resp.headers["Content-Type"] == "application/pdf"
            assert "Ph%C3%A2n%20s%E1%BB%91.pdf" in resp.headers["Content-Disposition"]
        with pytest.raises(urllib.error.HTTPError) as err:  # the bucket is private: unsigned is refused
            urllib.request.urlopen(f"{store.endpoint_url}/{store.bucket}/sha256/{blob.key}", timeout=10)
        assert err.value.code == 403
        err.value.close()
        expired = store.presigned_url(blob.key, expires_s=1)
        time.sleep(2.1)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(expired, timeout=10)
        assert err.value.code == 403
        err.value.close()


class TestS3Store:
    def test_settings_choose_the_store(self, tmp_path: Path, s3_server: str, s3_bucket: str) -> None:
        from repository.config import Settings
        from repository.runtime import build_blob_store
        from repository.s3 import S3BlobStore

        local = build_blob_store(Settings(data_dir=tmp_path))
        assert isinstance(local, LocalBlobStore) and local.kind == "local"
        assert not isinstance(local, S3BlobStore)
        s = Settings(data_dir=tmp_path, s3_endpoint_url=s3_server, s3_bucket=s3_bucket,
                     s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY)
        remote = build_blob_store(s)
        assert isinstance(remote, S3BlobStore)
        assert remote.root == tmp_path / "spool"
        remote.close()
        with pytest.raises(RuntimeError, match="HOCLIEU_S3_BUCKET"):
            build_blob_store(Settings(data_dir=tmp_path, s3_endpoint_url=s3_server))

    def test_ensure_bucket_creates_it_once(self, tmp_path: Path, s3_server: str) -> None:
        from repository.s3 import S3BlobStore

        st = S3BlobStore(endpoint_url=s3_server, bucket="hoclieu-new-bucket", spool_dir=tmp_path,
                         access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        st.ensure_bucket()
        st.ensure_bucket()
        assert _put(st, b"mot").key in set(st.iter_keys())
        st.close()

    def test_an_unreachable_server_is_counted_as_a_store_error(self, tmp_path: Path) -> None:
        from repository.metrics import BLOB_STORE_ERRORS
        from repository.s3 import S3BlobStore
        from tests.servers import free_port

        st = S3BlobStore(endpoint_url=f"http://127.0.0.1:{free_port()}", bucket="nowhere", spool_dir=tmp_path,
                         access_key="k", secret_key="s")
        before = BLOB_STORE_ERRORS.labels(store="s3", operation="head")._value.get()
        with pytest.raises(Exception, match="Could not connect"):
            st.exists(key_for("cd" * 32))
        assert BLOB_STORE_ERRORS.labels(store="s3", operation="head")._value.get() == before + 1
        st.close()
