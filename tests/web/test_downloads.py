"""Downloads made for browsers and CDNs: HEAD, ETag/304, Last-Modified, lenient Range,
content-addressed URLs, and with blobs on S3 (a real SeaweedFS) presigned or public redirects."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from repository.models import Role, WorkflowState
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user, token_for

DATA = b"%PDF-1.4\n" + os.urandom(200_000)  # a passive format: may be redirected to the bucket


def _make(runtime: Any, state: WorkflowState, data: bytes = DATA) -> dict[str, str]:
    with UnitOfWork(runtime.db) as uow:
        role = Role.admin if state is WorkflowState.approved else Role.teacher
        owner = create_user(uow.session, username=f"gv_{state.value}", role=role)
        m = create_material(uow.session, runtime, owner, state=state, content=data, filename="Phân số.pdf")
        f = m.files[0]
        return {"mid": m.id, "fid": f.id, "sha": f.sha256, "user": owner.username}


def _client(runtime: Any, **overrides: Any) -> TestClient:
    from web.app import create_app

    settings = runtime.settings.model_copy(update=overrides)
    runtime.settings = settings
    return TestClient(create_app(settings, runtime=runtime, run_worker=False))


@pytest.fixture(params=["local", "s3-proxy"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Any, TestClient]]:
    """A client whose downloads are served by the web process: blobs on disk, or on S3 proxied."""
    if request.param == "local":
        runtime = request.getfixturevalue("runtime")
        client = _client(runtime)
    else:
        runtime = request.getfixturevalue("s3_runtime")
        client = _client(runtime, s3_downloads="proxy")
    with client:
        yield runtime, client


class TestServedDownloads:
    def test_head_etag_304_and_last_modified(self, served: tuple[Any, TestClient]) -> None:
        runtime, client = served
        m = _make(runtime, WorkflowState.approved)
        url = f"/api/v1/materials/{m['mid']}/files/{m['fid']}"
        head = client.head(url)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(DATA))
        assert head.headers["etag"] == f'"{m["sha"]}"'
        assert head.headers["accept-ranges"] == "bytes"
        last_modified = head.headers["last-modified"]
        assert last_modified.endswith("GMT")
        get = client.get(url)
        assert get.status_code == 200 and get.content == DATA
        assert get.headers["etag"] == head.headers["etag"]
        assert "filename*=utf-8''Ph%C3%A2n%20s%E1%BB%91.pdf" in get.headers["content-disposition"]
        again = client.get(url, headers={"If-None-Match": head.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == head.headers["etag"]
        assert client.get(url, headers={"If-None-Match": 'W/"other", ' + head.headers["etag"]}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
        assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": "khong phai ngay"}).status_code == 200

    @pytest.mark.parametrize(
        "header",
        ["bytes=abc", "bytes=5-2", "items=0-1", "bytes=0-1,5-6", "bytes=-", "bytes 0-10", "=", "bytes=0-1-2"],
    )
    def test_a_malformed_range_is_ignored(self, served: tuple[Any, TestClient], header: str) -> None:
        runtime, client = served
        m = _make(runtime, WorkflowState.approved)
        r = client.get(f"/api/v1/materials/{m['mid']}/files/{m['fid']}", headers={"Range": header})
        assert r.status_code == 200
        assert r.content == DATA

    def test_ranges(self, served: tuple[Any, TestClient]) -> None:
        runtime, client = served
        m = _make(runtime, WorkflowState.approved)
        url = f"/api/v1/materials/{m['mid']}/files/{m['fid']}"
        r = client.get(url, headers={"Range": "bytes=100-199"})
        assert r.status_code == 206 and r.content == DATA[100:200]
        assert r.headers["content-range"] == f"bytes 100-199/{len(DATA)}"
        assert client.get(url, headers={"Range": "bytes=-10"}).content == DATA[-10:]
        tail = client.get(url, headers={"Range": f"bytes={len(DATA) - 5}-{len(DATA) + 100}"})
        assert tail.status_code == 206 and tail.content == DATA[-5:]
        bad = client.get(url, headers={"Range": f"bytes={len(DATA)}-"})
        assert bad.status_code == 416
        assert bad.headers["content-range"] == f"bytes */{len(DATA)}"
        head = client.head(url, headers={"Range": "bytes=0-9"})
        assert head.status_code == 206 and head.headers["content-length"] == "10" and head.content == b""
        # If-Range with a stale validator: the whole, current representation
        stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
        assert stale.status_code == 200 and stale.content == DATA
        fresh = client.get(url, headers={"Range": "bytes=0-9", "If-Range": f'"{m["sha"]}"'})
        assert fresh.status_code == 206 and fresh.content == DATA[:10]

    def test_content_addressed_url_for_public_content_only(self, served: tuple[Any, TestClient]) -> None:
        runtime, client = served
        public = _make(runtime, WorkflowState.approved)
        draft = _make(runtime, WorkflowState.draft, data=b"ban nhap rieng tu " * 100)
        body = client.get(f"/api/v1/materials/{public['mid']}").json()
        url = body["files"][0]["content_url"]
        assert url == f"/api/v1/files/{public['sha']}"
        r = client.get(url)
        assert r.status_code == 200 and r.content == DATA
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["etag"] == f'"{public["sha"]}"'
        assert client.head(url).headers["content-length"] == str(len(DATA))
        assert client.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        # Knowing (or guessing) the sha256 of a draft gives nothing away.
        headers = token_for(client, draft["user"])
        own = client.get(f"/api/v1/materials/{draft['mid']}", headers=headers).json()
        assert own["files"][0]["content_url"] is None
        assert client.get(f"/api/v1/files/{draft['sha']}").status_code == 404
        assert client.get(f"/api/v1/files/{draft['sha']}", headers=headers).status_code == 404
        assert client.get("/api/v1/files/not-a-sha256").status_code == 422
        assert client.get("/api/v1/files/" + "A" * 64).status_code == 422

    def test_head_on_derivatives(self, served: tuple[Any, TestClient]) -> None:
        from repository.models import Derivative

        runtime, client = served
        m = _make(runtime, WorkflowState.approved)
        thumb = b"RIFF....WEBPVP8 " + os.urandom(500)
        staged = runtime.blobs.stage()
        staged.write(thumb)
        blob = staged.commit()
        with UnitOfWork(runtime.db) as uow:
            d = Derivative(file_id=m["fid"], kind="thumbnail", label="small", media_type="image/webp",
                           size=blob.size, sha256=blob.sha256, storage_key=blob.key)
            uow.session.add(d)
            uow.session.flush()
            did = d.id
        url = f"/api/v1/materials/{m['mid']}/files/{m['fid']}/derivatives/{did}"
        head = client.head(url)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(thumb))
        assert client.get(url).content == thumb
        listed = client.get(f"/api/v1/materials/{m['mid']}").json()["files"][0]["derivatives"]
        assert listed[0]["content_url"] == f"/api/v1/files/{blob.sha256}"
        assert client.get(listed[0]["content_url"]).content == thumb


class TestS3Redirects:
    def test_presigned_redirect_serves_the_bytes_from_the_bucket(self, s3_runtime: Any) -> None:
        m = _make(s3_runtime, WorkflowState.approved)
        with _client(s3_runtime) as client:  # S3_DOWNLOADS=presigned (the default)
            url = f"/api/v1/materials/{m['mid']}/files/{m['fid']}"
            r = client.get(url, follow_redirects=False)
            assert r.status_code == 307
            location = r.headers["location"]
            assert location.startswith(s3_runtime.settings.s3_endpoint_url)
            assert "X-Amz-Signature" in location
            fetched = httpx.get(location)
            assert fetched.status_code == 200
            assert hashlib.sha256(fetched.content).hexdigest() == m["sha"]
            assert "Ph%C3%A2n%20s%E1%BB%91.pdf" in fetched.headers["content-disposition"]
            ranged = httpx.get(location, headers={"Range": "bytes=10-19"})
            assert ranged.status_code == 206 and ranged.content == DATA[10:20]
            # HEAD is answered by the web process (a presigned URL is signed for GET only)
            head = client.head(url)
            assert head.status_code == 200 and head.headers["content-length"] == str(len(DATA))
            # a cached copy is still validated here, without a redirect
            assert client.get(url, headers={"If-None-Match": f'"{m["sha"]}"'}).status_code == 304

    def test_private_content_gets_an_uncacheable_short_lived_url(self, s3_runtime: Any) -> None:
        m = _make(s3_runtime, WorkflowState.draft)
        with _client(s3_runtime, s3_presign_ttl_s=60) as client:
            headers = token_for(client, m["user"])
            url = f"/api/v1/materials/{m['mid']}/files/{m['fid']}"
            assert client.get(url, follow_redirects=False).status_code == 404  # anonymous
            r = client.get(url, headers=headers, follow_redirects=False)
            assert r.status_code == 307
            assert r.headers["cache-control"] == "private, no-store"
            assert "X-Amz-Expires=60" in r.headers["location"]
            assert httpx.get(r.headers["location"]).content == DATA

    def test_public_base_url_redirects_public_content_only(self, s3_runtime: Any) -> None:
        from repository.runtime import build_blob_store

        public = _make(s3_runtime, WorkflowState.approved)
        draft = _make(s3_runtime, WorkflowState.draft, data=b"rieng tu" * 50)
        settings = s3_runtime.settings.model_copy(update={"s3_public_base_url": "https://cdn.example.vn/hoclieu"})
        s3_runtime.blobs.close()
        s3_runtime.blobs = build_blob_store(settings)
        with _client(s3_runtime, s3_public_base_url="https://cdn.example.vn/hoclieu") as client:
            r = client.get(f"/api/v1/files/{public['sha']}", follow_redirects=False)
            assert r.status_code == 302
            sha = public["sha"]
            assert r.headers["location"] == f"https://cdn.example.vn/hoclieu/sha256/{sha[:2]}/{sha[2:4]}/{sha}"
            headers = token_for(client, draft["user"])
            r = client.get(f"/api/v1/materials/{draft['mid']}/files/{draft['fid']}", headers=headers,
                           follow_redirects=False)
            assert r.status_code == 307 and "X-Amz-Signature" in r.headers["location"]

    def test_hls_playlists_are_served_here_segments_may_redirect(self, s3_runtime: Any) -> None:
        from repository.models import Derivative

        m = _make(s3_runtime, WorkflowState.approved)
        rows = {}
        for kind, label, media_type, data in (
            ("hls", "master.m3u8", "application/vnd.apple.mpegurl", b"#EXTM3U\nv0/index.m3u8\n"),
            ("hls-part", "v0/index.m3u8", "application/vnd.apple.mpegurl", b"#EXTM3U\nseg0.ts\n"),
            ("hls-part", "v0/seg0.ts", "video/mp2t", b"G" * 188 * 10),
        ):
            staged = s3_runtime.blobs.stage()
            staged.write(data)
            blob = staged.commit()
            rows[label] = data
            with UnitOfWork(s3_runtime.db) as uow:
                uow.session.add(Derivative(file_id=m["fid"], kind=kind, label=label, media_type=media_type,
                                           size=blob.size, sha256=blob.sha256, storage_key=blob.key))
        base = f"/api/v1/materials/{m['mid']}/files/{m['fid']}/hls"
        with _client(s3_runtime) as client:
            for playlist in ("master.m3u8", "v0/index.m3u8"):
                r = client.get(f"{base}/{playlist}", follow_redirects=False)
                assert r.status_code == 200 and r.content == rows[playlist]
            seg = client.get(f"{base}/v0/seg0.ts", follow_redirects=False)
            assert seg.status_code == 307
            assert httpx.get(seg.headers["location"]).content == rows["v0/seg0.ts"]
            assert client.head(f"{base}/v0/seg0.ts").headers["content-length"] == str(188 * 10)

    def test_active_content_is_never_redirected_to_the_bucket(self, s3_runtime: Any) -> None:
        # The bucket cannot send the CSP sandbox that active content needs: it is proxied.
        page = b"<!doctype html><html><script>document.cookie</script></html>"
        m = _make(s3_runtime, WorkflowState.approved, data=page)
        with _client(s3_runtime) as client:
            r = client.get(f"/api/v1/materials/{m['mid']}/files/{m['fid']}", follow_redirects=False)
            assert r.status_code == 200 and r.content == page
            assert "sandbox" in r.headers["content-security-policy"]
            assert r.headers["content-disposition"].startswith("attachment")
