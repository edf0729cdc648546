"""hoclieu storage migrate (disk ⇄ S3 on a real SeaweedFS) and hoclieu fixity with blobs on S3."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from repository.models import IntegrityIssue, MaterialFile
from repository.storage import LocalBlobStore
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user
from web.cli import main


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _materials(runtime: Any, n: int) -> dict[str, bytes]:
    """``n`` materials with random contents (one larger than a multipart part); key → bytes."""
    contents = {}
    with UnitOfWork(runtime.db) as uow:
        owner = create_user(uow.session, username="co_lan")
        for i in range(n):
            data = os.urandom(70 * 1024 * 1024 if i == 0 else 1000 + i)
            m = create_material(uow.session, runtime, owner, title=f"Bài {i}", content=data)
            contents[m.files[0].storage_key] = data
    return contents


def _bucket_objects(store: Any) -> list[str]:
    return [o["Key"] for p in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
            for o in p.get("Contents", ())]


class TestStorageMigrate:
    def test_there_and_back_loses_nothing(self, s3_runtime: Any) -> None:
        contents = _materials(s3_runtime, 12)
        s3 = s3_runtime.blobs
        local = LocalBlobStore(s3_runtime.settings.blob_dir)
        assert list(local.iter_keys()) == []

        r = _run("storage", "migrate", "--to", "local")
        assert r.exit_code == 0, r.output
        assert "12 blobs: 12 copied" in r.output
        for key, data in contents.items():
            with local.open(key) as fh:
                assert fh.read() == data

        # The bucket is emptied (a fresh one), then filled again from the disk.
        for name in _bucket_objects(s3):
            s3.client.delete_object(Bucket=s3.bucket, Key=name)
        assert list(s3.iter_keys()) == []
        r = _run("storage", "migrate", "--to", "s3")
        assert r.exit_code == 0, r.output
        assert "12 blobs: 12 copied" in r.output
        assert set(s3.iter_keys()) == set(contents)
        for key, data in contents.items():
            assert hashlib.sha256(b"".join(s3.read_range(key, 0, len(data) - 1))).hexdigest() == key[-64:]
        # Nothing left in the scratch folder of the migration.
        assert [p for p in (s3_runtime.settings.spool / "migrate").rglob("*") if p.is_file()] == []
        # fixity on S3 agrees
        r = _run("fixity")
        assert r.exit_code == 0, r.output
        assert "checked 12 blobs: 0 problem(s)" in r.output

    def test_resumes_skips_what_is_there_and_reports_rot(self, s3_runtime: Any) -> None:
        contents = _materials(s3_runtime, 5)
        keys = sorted(contents)
        s3 = s3_runtime.blobs
        assert _run("storage", "migrate", "--to", "local").exit_code == 0
        # An interrupted run: two objects never made it to the bucket.
        s3.delete(keys[1])
        s3.delete(keys[2])
        r = _run("storage", "migrate", "--to", "s3")
        assert r.exit_code == 0, r.output
        assert "5 blobs: 2 copied" in r.output and "3 already there" in r.output
        # A same-size but changed object in the target is only caught by --verify-existing.
        s3.client.put_object(Bucket=s3.bucket, Key="sha256/" + keys[3], Body=b"x" * len(contents[keys[3]]))
        assert "0 copied" in _run("storage", "migrate", "--to", "s3").output
        r = _run("storage", "migrate", "--to", "s3", "--verify-existing")
        assert r.exit_code == 0, r.output
        assert "1 copied" in r.output
        assert s3.verify(keys[3])
        # A blob that rotted on the disk is reported and never copied over a good one.
        local = LocalBlobStore(s3_runtime.settings.blob_dir)
        path = local.local_path(keys[4])
        assert path is not None
        path.chmod(0o644)
        path.write_bytes(b"y" * len(contents[keys[4]]))
        s3.delete(keys[4])
        r = _run("storage", "migrate", "--to", "s3")
        assert r.exit_code == 1
        flat = " ".join(r.output.split())
        assert "1 failed" in flat and "do not match their sha256" in flat
        assert keys[4][-40:] in flat and "not in the target store" in flat
        assert not s3.exists(keys[4])

    def test_refuses_without_a_bucket(self, runtime: Any) -> None:
        r = _run("storage", "migrate", "--to", "s3")
        assert r.exit_code == 2
        assert "HOCLIEU_S3_BUCKET" in r.output


class TestFixityOnS3:
    def test_a_changed_object_is_reported(self, s3_runtime: Any) -> None:
        contents = _materials(s3_runtime, 3)
        key = sorted(contents)[0]
        s3 = s3_runtime.blobs
        s3.client.put_object(Bucket=s3.bucket, Key="sha256/" + key, Body=b"z" * 10)
        r = _run("fixity")
        assert r.exit_code == 1
        assert "mismatch" in r.output
        with s3_runtime.db.read() as s:
            issues = s.scalars(select(IntegrityIssue)).all()
            files = {f.storage_key: f.material_id for f in s.scalars(select(MaterialFile))}
        assert [(i.storage_key, i.problem, i.material_id) for i in issues] == [(key, "mismatch", files[key])]
