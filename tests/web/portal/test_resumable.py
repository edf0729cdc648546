"""The portal's resumable uploader in Chromium: a 20 MB file goes up in chunks through
/api/v1/uploads, one chunk request is cut off by the network, and the upload still completes
with the exact bytes."""

from __future__ import annotations

import hashlib
import random
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.conftest import skip_or_fail
from tests.web.portal.conftest import PASSWORD, Portal

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
T = TypeVar("T")


def _chromium_available() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install playwright==1.65.2)")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail("Debian chromium is not installed (apt-get install chromium)")


def _in_own_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in a thread of its own: the Playwright sync API refuses to start a second
    instance on a thread where one is running already (test_browser's session browser)."""
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # re-raised in the test's thread
            error.append(exc)

    thread = threading.Thread(target=run, name="resumable-chromium")
    thread.start()
    thread.join(timeout=300)
    if error:
        raise error[0]
    assert result, "the browser run did not finish in 5 minutes"
    return result[0]


def test_a_large_upload_survives_a_cut_connection(portal: Portal) -> None:
    _chromium_available()
    data = random.Random(6).randbytes(20 * 1024 * 1024)
    base = portal.base_url
    seen: list[tuple[str, str | None]] = []
    cut: list[str | None] = []

    def network(route: Any) -> None:
        request = route.request
        seen.append((request.method, request.headers.get("upload-offset")))
        patches = [m for m, _ in seen if m == "PATCH"]
        if request.method == "PATCH" and len(patches) == 3 and not cut:
            cut.append(request.headers.get("upload-offset"))
            route.abort("internetdisconnected")  # the 3G link drops under the third chunk
            return
        route.continue_()

    def drive() -> str | None:
        from playwright.sync_api import FilePayload, sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.goto(f"{base}/signin")
                page.fill("#username", "co_lan")
                page.fill("#password", PASSWORD)
                with page.expect_navigation():
                    page.click("form.stack button[type=submit]")
                page.route("**/api/v1/uploads**", network)
                page.goto(f"{base}/teach/upload")
                assert page.is_visible("#resumable-help")
                page.set_input_files(
                    "#files", files=[FilePayload(name="bài giảng dài.mp4", mimeType="video/mp4", buffer=data)]
                )
                page.click("#upload button[type=submit]")
                link = page.wait_for_selector("a.uploaded", timeout=120_000)
                return link.get_attribute("data-material")  # type: ignore[no-any-return]
            finally:
                browser.close()

    material_id = _in_own_thread(drive)

    methods = [m for m, _ in seen]
    assert methods[0] == "POST"  # a resumable session, not one big multipart request
    assert cut == [str(4 * 1024 * 1024)]
    after_cut = methods[methods.index("PATCH") + 3 :]
    assert after_cut[0] == "HEAD"  # asked the server where to resume
    assert sum(1 for m in methods if m == "PATCH") == 20 // 2 + 1  # ten 2 MB chunks, one of them twice

    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "co_lan", "password": PASSWORD}).json()
    got = httpx.get(
        f"{base}/api/v1/materials/{material_id}", headers={"Authorization": f"Bearer {token['access_token']}"}
    ).json()
    (f,) = got["files"]
    assert f["filename"] == "bài giảng dài.mp4"
    assert f["size"] == len(data)
    assert f["sha256"] == hashlib.sha256(data).hexdigest()
