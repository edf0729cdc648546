"""``/api/docs`` works offline: every asset comes from Hoclieu, and a real Chromium that may reach
nothing but the loopback renders the operations."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import skip_or_fail
from tests.servers import start_server, stop_server

CHROMIUM = "/usr/bin/chromium"


def test_the_page_references_only_local_assets(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text) + re.findall(
        r"url: ?'([^']+)'", page.text
    )
    assert urls, "no asset references found"
    assert all(not u.startswith(("http:", "https:", "//")) for u in urls), urls
    for asset in ("/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css"):
        response = client.get(asset)
        assert response.status_code == 200
        assert len(response.content) > 10_000
    assert "SwaggerUIBundle" in client.get("/api/docs/assets/swagger-ui-bundle.js").text


@pytest.mark.slow
def test_swagger_ui_renders_with_no_internet(runtime: Any) -> None:
    """Headless Chromium where every host but the loopback fails to resolve (no internet): the
    page still renders its operations. (A CLI run, not Playwright: the portal's browser tests keep
    a Playwright session open in the same worker, and a second one cannot start beside it.)"""
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if chromium is None:
        skip_or_fail("Debian chromium is not installed (apt-get install chromium)")
    port, proc = start_server(runtime)
    try:
        dom = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--virtual-time-budget=20000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/api/docs",
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        ).stdout
    finally:
        stop_server(proc)
    paths = re.findall(r'class="opblock-summary-path"[^>]*data-path="([^"]+)"', dom)
    assert "/api/v1/oauth/token" in paths
    assert len(paths) > 30
