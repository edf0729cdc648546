"""A worker SIGKILLed in the middle of an ingest: the job runs again and the file ends ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from repository.jobs import JobRunner
from repository.models import Job, JobStatus, MaterialFile, Role
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user
from tests.processes import descendants, wait_until

REPO = Path(__file__).resolve().parents[2]


def _video(path: Path, seconds: int = 20) -> Path:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
    )
    return path


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _status(runtime, file_id: str) -> str:  # type: ignore[no-untyped-def]
    with runtime.db.read() as s:
        return str(s.scalar(select(MaterialFile.status).where(MaterialFile.id == file_id)))


@pytest.mark.slow
def test_sigkilled_worker_job_is_picked_up_again(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = _video(tmp_path / "bai-giang.mp4")
    with UnitOfWork(runtime.db) as uow:
        owner = create_user(uow.session, username="co_lan", role=Role.teacher)
        m = create_material(
            uow.session,
            runtime,
            owner,
            title="Bài giảng",
            content=video.read_bytes(),
            filename="bai-giang.mp4",
        )
        file_id = m.files[0].id
    env = os.environ | {
        "HOCLIEU_DATA_DIR": str(runtime.settings.data_dir),
        "HOCLIEU_DATABASE_URL": runtime.settings.sqlalchemy_url,
        "HOCLIEU_JOB_HEARTBEAT_S": "0.5",
        "HOCLIEU_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker", "--queue", "default"],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        def transcoding() -> bool:
            assert worker.poll() is None, "the worker exited"
            return _status(runtime, file_id) == "processing" and any(
                "ffmpeg" in _cmdline(p) for p in descendants(worker.pid)
            )

        # Killed while ffmpeg runs: well inside the transcode.
        wait_until(transcoding, 60, "the worker to start transcoding")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and every child it started (ffmpeg, sandboxes)
        worker.wait(timeout=10)
    assert _status(runtime, file_id) == "processing"
    with runtime.db.read() as s:
        (job,) = s.scalars(select(Job).where(Job.func == "ingest.tasks.process_file")).all()
        assert job.status == JobStatus.running

    # A surviving worker notices the silence (stale heartbeat) and runs the job again.
    runner = JobRunner(runtime.db, name="survivor", queues=("default",), stale_after_s=2.0)
    wait_until(lambda: runner.requeue_stale() == 1, 30, "the stale job to be queued again")
    assert runner.run_until_empty() == 1
    with runtime.db.read() as s:
        f = s.scalar(
            select(MaterialFile)
            .options(selectinload(MaterialFile.derivatives))
            .where(MaterialFile.id == file_id)
        )
        job = s.scalars(select(Job).where(Job.func == "ingest.tasks.process_file")).one()
    assert f is not None and f.status == "ready", f.error if f else None
    assert job.status == JobStatus.done and job.attempts == 2
    slots = [(d.kind, d.label, d.page) for d in f.derivatives]
    assert len(slots) == len(set(slots))  # the re-run replaced, nothing doubled
    assert any(d.kind == "rendition" and d.label == "360p" for d in f.derivatives)


def test_a_file_whose_workers_keep_dying_ends_failed_with_the_reason(runtime) -> None:  # type: ignore[no-untyped-def]
    """A "poison" upload (one that kills whatever processes it, e.g. out of memory) is tried
    INGEST_ATTEMPTS times, then fails with a reason: it never loops through the workers for ever
    nor stays "queued" in the teacher's list."""
    from datetime import timedelta

    from sqlalchemy import update

    from repository.material.service import INGEST_ATTEMPTS
    from repository.models import utcnow

    with UnitOfWork(runtime.db) as uow:
        owner = create_user(uow.session, username="co_lan", role=Role.teacher)
        m = create_material(
            uow.session, runtime, owner, title="Bài giảng", content=b"plain text", filename="bai.txt"
        )
        file_id = m.files[0].id
    sweeper = JobRunner(runtime.db, name="sweeper", queues=("default",), stale_after_s=60)
    for n in range(INGEST_ATTEMPTS):
        # A worker claims the job and dies at once (the row stays running, no more heartbeats).
        assert JobRunner(runtime.db, name=f"dead-{n}", queues=("default",)).claim() is not None
        with runtime.db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        assert sweeper.requeue_stale() == (1 if n < INGEST_ATTEMPTS - 1 else 0)
    assert sweeper.run_until_empty() == 0  # nothing left to try
    with runtime.db.read() as s:
        f = s.get(MaterialFile, file_id)
        job = s.scalars(select(Job).where(Job.func == "ingest.tasks.process_file")).one()
    assert job.status == JobStatus.failed
    assert f is not None
    assert f.status == "failed"
    assert f"stopped {INGEST_ATTEMPTS} times" in (f.error or "")
    assert f.info["failure"]  # a public category for everyone but the owner and curators
