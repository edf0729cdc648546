"""A failed transcode never shows a raw tool error or a server path to the public.

The failure is real: an ``ffmpeg`` first on PATH that passes the self-check but fails every
real transcode with the dynamic loader's message (a server path included), as a half-upgraded
system ffmpeg does. Anonymous readers of the API and the portal get the fixed explanation; the
owner gets the reason; the log gets the tool's output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import ffmpeg
import pytest
from fastapi.testclient import TestClient

from repository.jobs import JobRunner
from repository.material.failures import public_reason
from repository.models import Role, WorkflowState
from repository.uow import UnitOfWork
from tests.broken_tools import BUNDLED_FFMPEG, first_on_path
from tests.broken_tools import half_broken_ffmpeg as half_broken_ffmpeg_script
from tests.factories import create_material, create_user, token_for

BUNDLED = BUNDLED_FFMPEG
LEAK_WORDS = ("/usr/", "librar", "ffmpeg", "transcode", "exit status")


@pytest.fixture
def half_broken_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from ingest.processors import ffmpeg as ff

    folder = tmp_path / "bin"
    folder.mkdir()
    exe = half_broken_ffmpeg_script(folder / "ffmpeg")
    first_on_path(monkeypatch, folder)
    ff.forget_ffmpeg()
    yield exe
    ff.forget_ffmpeg()


def _clip(path: Path) -> bytes:
    video = ffmpeg.input("testsrc=size=320x240:rate=25:duration=1", f="lavfi")
    ffmpeg.output(video, str(path), vcodec="libx264", preset="ultrafast").overwrite_output().run(
        cmd=BUNDLED, quiet=True
    )
    return path.read_bytes()


@pytest.fixture
def failed_video(runtime, half_broken_ffmpeg: Path, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]  # noqa: ARG001
    with UnitOfWork(runtime.db) as uow:
        owner = create_user(uow.session, username="quan_tri", role=Role.admin)
        create_user(uow.session, username="co_hoa", role=Role.teacher)
        m = create_material(
            uow.session,
            runtime,
            owner,
            title="Diện tích hình tam giác",
            state=WorkflowState.approved,
            content=_clip(tmp_path / "bai-giang.mp4"),
            filename="bai-giang.mp4",
        )
        material_id = m.id
    JobRunner(runtime.db, queues=("default",)).run_until_empty()
    return material_id


class TestPublicFailureReasons:
    def test_anonymous_api_gets_the_fixed_reason_and_the_owner_the_real_one(
        self, client: TestClient, failed_video: str
    ) -> None:
        anonymous = client.get(f"/api/v1/materials/{failed_video}").json()["files"][0]
        assert anonymous["status"] == "failed"
        assert anonymous["failure"] == "server"
        assert anonymous["error"] == public_reason("server", "en")
        listed = client.get("/api/v1/materials").json()["items"]
        public_texts = [anonymous["error"], *(f["error"] or "" for m in listed for f in m["files"])]
        for text in public_texts:
            assert not any(word in text.lower() for word in LEAK_WORDS), text

        other = client.get(f"/api/v1/materials/{failed_video}", headers=token_for(client, "co_hoa")).json()
        assert other["files"][0]["error"] == public_reason("server", "en")  # signed in is not enough
        owner = client.get(f"/api/v1/materials/{failed_video}", headers=token_for(client, "quan_tri")).json()
        assert "error while loading shared libraries" in owner["files"][0]["error"]
        assert "/usr/bin" not in owner["files"][0]["error"]  # the owner gets no server path either

    def test_the_portal_page_says_it_in_vietnamese_without_the_tool_error(
        self, client: TestClient, failed_video: str
    ) -> None:
        page = client.get(f"/m/{failed_video}", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert public_reason("server", "vi") in page.text
        lowered = page.text.lower()
        for word in ("librar", "/usr/bin", "transcode"):
            assert word not in lowered
        english = client.get(f"/m/{failed_video}?lang=en", headers={"Accept": "text/html"})
        assert public_reason("server", "en") in english.text

    def test_the_tool_output_goes_to_the_log(
        self, runtime, half_broken_ffmpeg: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:  # type: ignore[no-untyped-def]
        with caplog.at_level(logging.WARNING):
            with UnitOfWork(runtime.db) as uow:
                owner = create_user(uow.session, username="co_lan", role=Role.teacher)
                create_material(
                    uow.session, runtime, owner, content=_clip(tmp_path / "v.mp4"), filename="v.mp4"
                )
            JobRunner(runtime.db, queues=("default",)).run_until_empty()
        assert "ingest.failed" in caplog.text
        assert "/usr/bin/ffmpeg: error while loading shared libraries" in caplog.text
