"""Blobs in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph RGW...).

Object keys mirror the local layout (``sha256/ab/cd/<sha256>``) so a bucket and a local blob
folder can be compared and migrated key for key. Writes still stream through a local **spool**
(staging files and resumable parts, ``HOCLIEU_SPOOL_DIR``): a web process needs only that
bounded scratch space, never a persistent disk. A staged blob is hashed while it is written,
uploaded in one PUT (multipart above 64 MB, by boto3's transfer manager) under its sha256 and
then removed from the spool; a PUT is atomic, so a reader never sees half an object and a killed
upload leaves at most a spool file, which ``cleanup_staging`` sweeps.

The client is created per process (``os.getpid()``): RQ forks a work horse per job and a boto3
client's connection pool must not cross a fork.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from repository.errors import ValidationFailed
from repository.metrics import BLOB_STORE_ERRORS
from repository.storage import CHUNK, BlobInfo, BlobStat, LocalBlobStore, ResumableFile, check_key

MULTIPART_THRESHOLD = 64 * 1024 * 1024
PREFIX = "sha256/"

_MISSING = {"404", "NoSuchKey", "NotFound"}


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(exc, ClientError) and str(exc.response.get("Error", {}).get("Code")) in _MISSING


class S3BlobStore(LocalBlobStore):
    """Blobs in a bucket; staging and resumable parts in the local spool folder.

    It extends ``LocalBlobStore`` for the spool side only (``stage``, ``resumable``,
    ``cleanup_staging``, ``cleanup_resumable`` act on the spool's folders) and overrides every
    method that touches a stored blob.
    """

    kind = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        bucket: str,
        spool_dir: Path,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        public_base_url: str | None = None,
    ) -> None:
        super().__init__(spool_dir)
        self.endpoint_url = endpoint_url
        self.bucket = bucket
        self.region = region
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._credentials = (access_key, secret_key)
        self._lock = threading.Lock()
        self._client_pid = -1
        self._client_obj: Any = None
        self._transfer: Any = None

    # -- the client -------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client_pid != os.getpid():
            with self._lock:
                if self._client_pid != os.getpid():
                    import boto3
                    from boto3.s3.transfer import TransferConfig
                    from botocore.config import Config

                    session = boto3.session.Session()
                    self._client_obj = session.client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        aws_access_key_id=self._credentials[0],
                        aws_secret_access_key=self._credentials[1],
                        region_name=self.region,
                        config=Config(
                            s3={"addressing_style": "path"},
                            signature_version="s3v4",
                            retries={"max_attempts": 4, "mode": "standard"},
                            connect_timeout=5,
                            read_timeout=60,
                            max_pool_connections=32,
                        ),
                    )
                    self._transfer = TransferConfig(
                        multipart_threshold=MULTIPART_THRESHOLD,
                        multipart_chunksize=MULTIPART_THRESHOLD,
                        max_concurrency=4,
                    )
                    self._client_pid = os.getpid()
        return self._client_obj

    def close(self) -> None:
        """Close this process's connection pool (a new one is made on the next call)."""
        with self._lock:
            if self._client_obj is not None and self._client_pid == os.getpid():
                self._client_obj.close()
            self._client_obj = None
            self._client_pid = -1

    def _object(self, key: str) -> str:
        check_key(key)
        return PREFIX + key

    def _call(self, operation: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _is_missing(exc):
                raise FileNotFoundError(f"blob not in bucket {self.bucket}: {args or kwargs}") from exc
            BLOB_STORE_ERRORS.labels(store=self.kind, operation=operation).inc()
            raise

    def prepare(self) -> None:
        self.ensure_bucket()

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (idempotent)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) not in {"404", "NoSuchBucket", "NotFound"}:
                BLOB_STORE_ERRORS.labels(store=self.kind, operation="ensure_bucket").inc()
                raise
            self._call("ensure_bucket", self.client.create_bucket, Bucket=self.bucket)

    # -- writes -----------------------------------------------------------------------------

    def _upload(self, path: Path, sha256: str, size: int, replace: bool = False) -> BlobInfo:
        key = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        if not replace:
            try:
                if self.stat(key).size == size:
                    return BlobInfo(key=key, sha256=sha256, size=size)  # de-duplicated
            except FileNotFoundError:
                pass
        self._call(
            "put",
            self.client.upload_file,
            str(path),
            self.bucket,
            self._object(key),
            ExtraArgs={"Metadata": {"sha256": sha256}},
            Config=self._transfer,
        )
        return BlobInfo(key=key, sha256=sha256, size=size)

    def _promote(self, staged: Path, sha256: str, size: int, replace: bool = False) -> BlobInfo:
        try:
            return self._upload(staged, sha256, size, replace)
        finally:
            staged.unlink(missing_ok=True)

    def promote_file(self, path: Path, *, sha256: str | None = None, replace: bool = False) -> BlobInfo:
        size = path.stat().st_size
        if size == 0:
            raise ValidationFailed("file is empty (0 bytes)")
        if sha256 is None:
            sha256 = ResumableFile(path).sha256(size)
        return self._upload(path, sha256, size, replace)

    def delete(self, key: str) -> None:
        self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=self._object(key))

    # -- reads ------------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        resp = self._call("get", self.client.get_object, Bucket=self.bucket, Key=self._object(key))
        body: BinaryIO = resp["Body"]
        return body

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        resp = self._call(
            "get",
            self.client.get_object,
            Bucket=self.bucket,
            Key=self._object(key),
            Range=f"bytes={start}-{end}",
        )
        body = resp["Body"]
        try:
            while chunk := body.read(CHUNK):
                yield chunk
        finally:
            body.close()

    def stat(self, key: str) -> BlobStat:
        head = self._call("head", self.client.head_object, Bucket=self.bucket, Key=self._object(key))
        return BlobStat(size=int(head["ContentLength"]), modified=head["LastModified"])

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except FileNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return self.stat(key).size

    def verify(self, key: str) -> bool:
        """Re-hash the object as stored in the bucket; True when it still matches its key."""
        digest = hashlib.sha256()
        try:
            with self.open(key) as body:
                while chunk := body.read(CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return False
        return digest.hexdigest() == key.rsplit("/", 1)[-1]

    def download_to(self, key: str, dest: Path) -> None:
        self._call(
            "get",
            self.client.download_file,
            self.bucket,
            self._object(key),
            str(dest),
            Config=self._transfer,
        )

    def local_path(self, key: str) -> Path | None:
        check_key(key)
        return None

    def iter_keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=PREFIX):
                for obj in page.get("Contents", ()):
                    yield obj["Key"][len(PREFIX) :]
        except Exception:
            BLOB_STORE_ERRORS.labels(store=self.kind, operation="list").inc()
            raise

    def presigned_url(
        self, key: str, *, expires_s: int, filename: str | None = None, media_type: str | None = None
    ) -> str | None:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self._object(key)}
        if media_type:
            params["ResponseContentType"] = media_type
        if filename is not None:
            from urllib.parse import quote

            params["ResponseContentDisposition"] = f"attachment; filename*=utf-8''{quote(filename)}"
        url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
        return url

    def public_url(self, key: str) -> str | None:
        """The object's URL under ``public_base_url`` (a CDN or a public-read bucket), if set."""
        if self.public_base_url is None:
            return None
        return f"{self.public_base_url}/{self._object(key)}"
