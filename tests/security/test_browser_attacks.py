"""The attack of issue 9, in Chromium: a teacher uploads HTML / XHTML / SVG / HTML named img.png
or notes.txt / a SCORM package whose script reads the admin page's CSRF token and posts a role
change; an admin, signed in, opens each one every way the portal offers (the file URL with
``?download=false``, the material page, the content-origin player itself).

After: the teacher is still a teacher and the browser recorded no request from the content to the
portal origin. Controls that make the test able to fail: the same script *does* promote a user when
run on the portal's origin (so the payload works), and it *does* run inside the package player (so
the package viewer renders and the sandbox, not a broken page, is what stops it).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.security.payloads import XML_XSL, scorm_zip
from tests.web.portal.conftest import PASSWORD, Portal
from tests.web.portal.test_browser import sign_in

pytestmark = pytest.mark.slow

MARK = "attack"


def payload_js(portal_url: str, victim_id: str) -> str:
    """Promote ``victim_id`` to admin the way the issue describes, from wherever it runs."""
    return (
        "(async () => {"
        "  document.documentElement.setAttribute('data-ran', '1');"
        f"  for (const base of [{json.dumps(portal_url)}, '']) {{"
        "    try {"
        f"      const page = await (await fetch(base + '/admin/users?{MARK}=read', {{credentials: 'include'}})).text();"
        "      const m = page.match(/name=\"csrf_token\" value=\"([0-9a-f]+)\"/);"
        "      const body = new URLSearchParams({csrf_token: m ? m[1] : '', role: 'admin'});"
        f"      await fetch(base + '/admin/users/{victim_id}?{MARK}=post', {{method: 'POST', body, credentials: 'include'}});"
        "    } catch (e) {}"
        "  }"
        f"  try {{ new Image().src = {json.dumps(portal_url)} + '/?{MARK}=cookie&c=' + encodeURIComponent(document.cookie); }} catch (e) {{}}"
        "  document.documentElement.setAttribute('data-done', '1');"
        "})();"
    )


def attack_files(portal_url: str, victim_id: str) -> dict[str, bytes]:
    script = f"<script>{payload_js(portal_url, victim_id)}</script>"
    html = f"<!doctype html><html><head><title>Bài tập</title></head><body><h1>Bài tập</h1>{script}</body></html>"
    xhtml = (
        '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
        f"<p>Bài tập</p><script>//<![CDATA[\n{payload_js(portal_url, victim_id)}\n//]]></script></body></html>"
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40"/>'
        f"<script>//<![CDATA[\n{payload_js(portal_url, victim_id)}\n//]]></script></svg>"
    )
    return {
        "bai-tap.html": html.encode(),
        "bai-tap.xhtml": xhtml.encode(),
        "hinh.svg": svg.encode(),
        "img.png": html.encode(),
        "notes.txt": html.encode(),
        "du-lieu.xml": XML_XSL,
        "bai-giang.zip": scorm_zip(html.encode()),
    }


def _token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _role(base: str, admin: dict[str, str], user_id: str) -> str:
    users = httpx.get(f"{base}/api/v1/admin/users", headers=admin, timeout=10).json()
    return str(next(u["role"] for u in users if u["id"] == user_id))


@pytest.fixture(scope="module")
def uploaded(portal: Portal) -> dict[str, Any]:
    base = portal.base_url
    admin = _token(base, "quan_tri")
    teacher = _token(base, "co_lan")
    users = httpx.get(f"{base}/api/v1/admin/users", headers=admin, timeout=10).json()
    victim = next(u["id"] for u in users if u["username"] == "co_lan")
    made: dict[str, dict[str, str]] = {}
    for name, data in attack_files(base, victim).items():
        r = httpx.post(
            f"{base}/api/v1/materials",
            headers=teacher,
            files=[("file", (name, data, "application/octet-stream"))],
            data={"metadata": json.dumps({"title": f"Bài tập {name}"})},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        made[name] = {"material": body["id"], "file": body["files"][0]["id"], "url": body["files"][0]["url"]}
    deadline = time.monotonic() + 180
    for info in made.values():
        while True:
            f = httpx.get(f"{base}/api/v1/materials/{info['material']}", headers=teacher, timeout=10).json()["files"][0]
            if f["status"] in ("ready", "failed"):
                info["status"] = f["status"]
                break
            assert time.monotonic() < deadline, "ingest did not finish"
            time.sleep(0.5)
    return {"files": made, "victim": victim, "admin": admin}


class _Recorder:
    def __init__(self, portal_url: str) -> None:
        self.portal_url = portal_url
        self.requests: list[tuple[str, str]] = []
        self.cookies: dict[str, str] = {}  # URL → the Cookie header the browser sent with it

    def __call__(self, request: Any) -> None:
        try:
            frame = request.frame.url
        except Exception:  # a request without a frame (service worker, download)
            frame = ""
        self.requests.append((request.url, frame))
        self.cookies[request.url] = request.all_headers().get("cookie", "")

    def to_portal_from_content(self) -> list[tuple[str, str]]:
        return [(u, f) for u, f in self.requests if u.startswith(self.portal_url) and MARK in u]


def _admin_context(browser: Any, portal: Portal) -> tuple[Any, Any, _Recorder]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    recorder = _Recorder(portal.base_url)
    context.on("request", recorder)
    page = context.new_page()
    sign_in(page, portal.base_url, "quan_tri")
    return context, page, recorder


class TestAdminOpensTeacherUploads:
    def test_opening_every_upload_every_way_changes_nothing(
        self, browser: Any, portal: Portal, uploaded: dict[str, Any]
    ) -> None:
        base = portal.base_url
        context, page, recorder = _admin_context(browser, portal)
        rendered: list[str] = []  # files the browser showed as a page instead of downloading
        for name, info in uploaded["files"].items():
            # 1. The file itself, asking the portal to show it inline.
            try:
                with page.expect_download(timeout=5_000) as download:
                    try:
                        page.goto(f"{base}{info['url']}?download=false")
                    except Exception as exc:
                        if "Download is starting" not in str(exc) and "net::ERR_ABORTED" not in str(exc):
                            raise
                assert download.value.suggested_filename == name
            except Exception as exc:
                if "Timeout" not in type(exc).__name__:
                    raise
                rendered.append(name)
                try:  # give a script that did run the time to do its damage
                    page.wait_for_selector("html[data-done]", timeout=3_000)
                except Exception:
                    pass
            # 2. Its material page (an admin sees the teacher's drafts).
            page.goto(f"{base}/m/{info['material']}")
            page.wait_for_load_state("load")
            for frame in page.frames[1:]:
                try:
                    frame.wait_for_selector("html[data-done]", timeout=5_000)
                except Exception:
                    pass
            page.wait_for_timeout(300)
        role = _role(base, uploaded["admin"], uploaded["victim"])
        leaked = recorder.to_portal_from_content()
        assert (role, leaked, rendered) == ("teacher", [], [])
        context.close()

    def test_the_package_player_renders_and_its_script_runs_sandboxed(
        self, browser: Any, portal: Portal, uploaded: dict[str, Any]
    ) -> None:
        base = portal.base_url
        context, page, recorder = _admin_context(browser, portal)
        info = uploaded["files"]["bai-giang.zip"]
        assert info["status"] == "ready"
        page.goto(f"{base}/m/{info['material']}")
        iframe = page.locator("iframe.package")
        assert iframe.count() == 1
        src = iframe.get_attribute("src")
        assert src and src.startswith(portal.content_origin + "/s/")  # a draft: a signed, expiring path
        assert iframe.get_attribute("sandbox") == "allow-scripts allow-forms"
        frame = page.frame_locator("iframe.package")
        frame.locator("h1").wait_for(timeout=15_000)
        assert frame.locator("h1").inner_text() == "Bài tập"
        frame.locator("html[data-done]").wait_for(timeout=15_000)  # the script ran, all the way
        # The content origin got no cookie: the player's own requests carried none.
        to_content = {u: c for u, c in recorder.cookies.items() if u.startswith(portal.content_origin)}
        assert to_content and all(c == "" for c in to_content.values()), to_content
        # (the recorder does see cookies: the portal's own requests carry the session)
        assert any("hl_session=" in c for u, c in recorder.cookies.items() if u.startswith(base))
        lesson = page.frames[1]
        assert lesson.evaluate("() => { try { return document.cookie; } catch (e) { return 'denied'; } }") in ("", "denied")
        # Opened on its own (a new tab on the content origin) it is sandboxed too.
        page.goto(src)
        page.wait_for_selector("html[data-done]", timeout=15_000)
        page.wait_for_timeout(300)
        assert recorder.to_portal_from_content() == []
        assert _role(base, uploaded["admin"], uploaded["victim"]) == "teacher"
        context.close()

    def test_control_the_same_script_on_the_portal_origin_would_promote_a_user(
        self, browser: Any, portal: Portal, uploaded: dict[str, Any]
    ) -> None:
        """Proves the payload is a working attack: what the policy stops is real."""
        base = portal.base_url
        admin = uploaded["admin"]
        r = httpx.post(
            f"{base}/api/v1/admin/users",
            headers=admin,
            json={"username": "nan_nhan", "role": "student", "password": PASSWORD},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        victim = r.json()["id"]
        context, page, _ = _admin_context(browser, portal)
        page.goto(f"{base}/")
        # What a browser would do if the uploaded file rendered on the portal (the state before):
        page.evaluate("() => {" + payload_js(base, victim) + "}")
        page.wait_for_selector("html[data-done]", timeout=15_000)
        deadline = time.monotonic() + 10
        while _role(base, admin, victim) != "admin":
            assert time.monotonic() < deadline, "the control attack did not promote the user"
            time.sleep(0.2)
        context.close()
