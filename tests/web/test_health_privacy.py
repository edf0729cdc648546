"""The anonymous health endpoint reports what failed, never the server's paths or URLs (issue 16)."""

from __future__ import annotations

import logging
import shutil
from typing import Any

import pytest
from fastapi.testclient import TestClient


class TestHealthShowsNoServerDetail:
    def test_a_storage_failure_names_its_kind_not_the_folder(
        self, client: TestClient, runtime: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        data_dir = runtime.settings.data_dir
        shutil.rmtree(data_dir)
        with caplog.at_level(logging.ERROR):
            r = client.get("/api/v1/health")
        storage = r.json()["components"]["storage"]
        assert storage == {"status": "error", "error": "FileNotFoundError"}
        assert str(data_dir) not in r.text
        assert str(data_dir) in caplog.text  # the operator still learns which folder

    def test_a_search_engine_failure_hides_its_url(
        self, settings: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        from search.service import close_backend
        from search.service import search as search_service

        broken = settings.model_copy(update={"opensearch_url": "http://admin:s3cret-word@127.0.0.1:9/"})
        try:
            with caplog.at_level(logging.ERROR):
                report = search_service.health(broken)
        finally:
            close_backend(broken)
        assert report["status"] == "error"
        assert "s3cret" not in str(report)
        assert "127.0.0.1" not in str(report)
