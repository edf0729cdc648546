"""Captions over the API: teachers upload WebVTT/SRT per language for a video; permissions,
bad input, replacement, and captions surviving a re-run of ingest."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Role, WorkflowState
from repository.uow import UnitOfWork
from tests.factories import create_material, make_user, token_for

SRT = b"1\r\n00:00:01,000 --> 00:00:03,500\r\nXin ch\xc3\xa0o c\xc3\xa1c em.\r\n"


def _video(runtime: Any, owner: str, *, state: WorkflowState = WorkflowState.draft) -> tuple[str, str]:
    from repository.models import User

    with UnitOfWork(runtime.db) as uow:
        m = create_material(
            uow.session, runtime, uow.session.get(User, owner), filename="bai-giang.mp4", state=state
        )
        m.files[0].media_type = "video/mp4"
        return m.id, m.files[0].id


@pytest.fixture
def setup(runtime: Any, client: TestClient) -> dict[str, Any]:
    owner = make_user(runtime, "co_lan", Role.teacher)
    make_user(runtime, "thay_khac", Role.teacher)
    make_user(runtime, "quan_tri", Role.admin)
    mid, fid = _video(runtime, owner)
    return {
        "url": f"/api/v1/materials/{mid}/files/{fid}/captions",
        "mid": mid,
        "fid": fid,
        "owner": token_for(client, "co_lan"),
        "other": token_for(client, "thay_khac"),
        "admin": token_for(client, "quan_tri"),
    }


class TestCaptionsApi:
    def test_owner_uploads_srt_and_it_is_served_as_webvtt(
        self, client: TestClient, setup: dict[str, Any]
    ) -> None:
        r = client.put(
            setup["url"] + "/vi",
            content=SRT,
            headers=setup["owner"] | {"Content-Type": "application/x-subrip"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["kind"] == "caption"
        assert body["label"] == "vi"
        assert body["media_type"] == "text/vtt"
        material = client.get(f"/api/v1/materials/{setup['mid']}", headers=setup["owner"]).json()
        (caption,) = [d for d in material["files"][0]["derivatives"] if d["kind"] == "caption"]
        served = client.get(caption["url"], headers=setup["owner"])
        assert served.status_code == 200
        assert served.text == "WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nXin chào các em.\n"
        # Replaced, not duplicated; a second language beside it; then removed.
        assert (
            client.put(
                setup["url"] + "/vi", content=SRT.replace(b"em", b"con"), headers=setup["owner"]
            ).status_code
            == 200
        )
        assert (
            client.put(
                setup["url"] + "/en",
                content=b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n",
                headers=setup["owner"],
            ).status_code
            == 200
        )
        material = client.get(f"/api/v1/materials/{setup['mid']}", headers=setup["owner"]).json()
        assert sorted(d["label"] for d in material["files"][0]["derivatives"] if d["kind"] == "caption") == [
            "en",
            "vi",
        ]
        assert client.delete(setup["url"] + "/en", headers=setup["owner"]).status_code == 204
        assert client.delete(setup["url"] + "/en", headers=setup["owner"]).status_code == 404

    def test_permissions(self, client: TestClient, setup: dict[str, Any]) -> None:
        assert client.put(setup["url"] + "/vi", content=SRT).status_code == 401
        # Another teacher cannot even see the draft (404: existence is not disclosed).
        assert client.put(setup["url"] + "/vi", content=SRT, headers=setup["other"]).status_code == 404
        assert client.put(setup["url"] + "/vi", content=SRT, headers=setup["admin"]).status_code == 200

    @pytest.mark.parametrize(
        ("lang", "body", "status"),
        [
            ("vi", b"not captions", 422),
            ("vi", b"1\n00:00:05,000 --> 00:00:01,000\nx\n", 422),
            ("vi", b"\x00" * 100, 422),
            ("vi", b"x" * (1024 * 1024 + 10), 413),
            ("VI!", SRT, 422),
            ("x" * 40, SRT, 422),
        ],
    )
    def test_bad_input_is_4xx(
        self, client: TestClient, setup: dict[str, Any], lang: str, body: bytes, status: int
    ) -> None:
        r = client.put(f"{setup['url']}/{lang}", content=body, headers=setup["owner"])
        assert r.status_code == status, r.text

    def test_not_a_video_is_422(self, client: TestClient, runtime: Any, setup: dict[str, Any]) -> None:
        from repository.models import User

        with UnitOfWork(runtime.db) as uow:
            owner = uow.session.query(User).filter_by(username="co_lan").one()
            m = create_material(uow.session, runtime, owner, filename="tai-lieu.pdf")
            url = f"/api/v1/materials/{m.id}/files/{m.files[0].id}/captions/vi"
        r = client.put(url, content=SRT, headers=setup["owner"])
        assert r.status_code == 422
        assert "captions go with a video file" in r.text

    def test_captions_survive_a_re_run_of_ingest(
        self, client: TestClient, runtime: Any, tmp_path: Any
    ) -> None:
        import subprocess

        from ingest.pipeline import FileIngest
        from ingest.processors.ffmpeg import ffmpeg_exe
        from repository.models import Derivative, User

        clip = tmp_path / "clip.mp4"
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=1",
             "-f", "lavfi", "-i", "sine=duration=1", "-shortest", "-pix_fmt", "yuv420p", str(clip)],
            check=True,
        )  # fmt: skip
        make_user(runtime, "co_lan", Role.teacher)
        with UnitOfWork(runtime.db) as uow:
            owner = uow.session.query(User).filter_by(username="co_lan").one()
            m = create_material(uow.session, runtime, owner, filename="clip.mp4", content=clip.read_bytes())
            m.files[0].media_type = "video/mp4"
            mid, fid = m.id, m.files[0].id
        headers = token_for(client, "co_lan")
        url = f"/api/v1/materials/{mid}/files/{fid}/captions/vi"
        assert client.put(url, content=SRT, headers=headers).status_code == 200
        FileIngest(runtime, fid, force=True).run()
        with runtime.db.read() as session:
            rows = session.query(Derivative).filter_by(file_id=fid).all()
            kinds = {d.kind for d in rows}
        assert {"caption", "rendition", "poster"} <= kinds
