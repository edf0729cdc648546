"""Ingest with the blobs in a real S3 bucket (SeaweedFS): the original is downloaded into the
job's folder, derivatives are written to the bucket, and nothing is left on the local disk."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from repository.s3 import S3BlobStore
from tests.factories import make_user, token_for, upload
from tests.ingest.test_pipeline import _text, ingest

META = {"title": "Toán lớp 12: Đề thi", "grades": [12], "subjects": ["toan"], "type": "de-kiem-tra"}


def _local_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class TestIngestFromS3:
    def test_pdf_is_processed_from_the_bucket_and_leaves_no_local_copy(
        self, s3_runtime: Any, shared_data: Path
    ) -> None:
        assert isinstance(s3_runtime.blobs, S3BlobStore)
        source = shared_data / "01_vietnamese_edu/exam_pdfs_2018_thptqg/Toan_101.pdf"
        f = ingest(s3_runtime, source)
        assert f.status == "ready", f.error
        assert "BỘ GIÁO DỤC VÀ ĐÀO TẠO" in _text(s3_runtime, f)
        keys = set(s3_runtime.blobs.iter_keys())
        assert f.storage_key in keys
        assert {d.storage_key for d in f.derivatives} <= keys
        assert any(d.kind == "preview" for d in f.derivatives)
        for d in f.derivatives:
            assert s3_runtime.blobs.verify(d.storage_key)
        data = s3_runtime.settings.data_dir
        # no blob on the local disk, no leftover download in the job folders, an empty spool
        assert _local_files(data / "blobs") == []
        assert _local_files(data / "work") == []
        assert _local_files(s3_runtime.settings.spool) == []

    def test_upload_and_download_through_the_api(self, s3_runtime: Any, shared_data: Path) -> None:
        from web.app import create_app

        app = create_app(s3_runtime.settings, runtime=s3_runtime, run_worker=False)
        content = (shared_data / "01_vietnamese_edu/exam_pdfs_2018_thptqg/Toan_101.pdf").read_bytes()
        make_user(s3_runtime, "co_lan")
        with TestClient(app) as client:
            headers = token_for(client, "co_lan")
            r = upload(client, headers, [("Đề Toán.pdf", content, "application/pdf")], META)
            assert r.status_code == 201, r.text
            m = r.json()
            f = m["files"][0]
            assert f["sha256"] == hashlib.sha256(content).hexdigest()
            assert _local_files(s3_runtime.settings.spool) == []  # staged, uploaded, removed
            # Downloads redirect to a presigned URL of the bucket (HOCLIEU_S3_DOWNLOADS=presigned).
            r = client.get(f"/api/v1/materials/{m['id']}/files/{f['id']}", headers=headers, follow_redirects=False)
            assert r.status_code == 307
            assert httpx.get(r.headers["location"]).content == content
