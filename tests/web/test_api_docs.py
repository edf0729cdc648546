"""``/api/docs`` works offline: every asset comes from Hoclieu, and a real Chromium that may reach
nothing but the loopback renders the operations."""

from __future__ import annotations

import re
import shutil
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
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail("Debian chromium is not installed (apt-get install chromium)")
    port, proc = start_server(runtime)
    blocked: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()

            def route(r: Any) -> None:
                if r.request.url.startswith(f"http://127.0.0.1:{port}/") or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(f"http://127.0.0.1:{port}/api/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            browser.close()
    finally:
        stop_server(proc)
    assert blocked == []
    assert any("/api/v1/oauth/token" in p for p in paths)
    assert len(paths) > 30
