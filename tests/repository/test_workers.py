"""Worker presence (which live process serves which queue) and takeover of dead workers' jobs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from repository import jobs
from repository.config import Settings
from repository.jobs import JobRunner
from repository.models import Job, JobStatus, JobWorker, utcnow
from repository.uow import UnitOfWork
from repository.workers.service import Presence, how_to_serve, prune_dead, queue_report

RELEASE = threading.Event()
STARTED = threading.Event()


def slow_job(**_kwargs: object) -> None:
    """Runs until the test releases it (a long transcode that keeps heartbeating)."""
    STARTED.set()
    assert RELEASE.wait(60), "the test never released the job"


def quick_job(**kwargs: object) -> None:
    """Nothing to do."""


def wait_for(condition: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class TestPresence:
    def test_a_live_worker_serves_its_queues_and_a_clean_stop_unregisters(self, db) -> None:  # type: ignore[no-untyped-def]
        report = queue_report(db, stale_after_s=30)
        assert report == {
            "status": "error",
            "queues": {"default": [], "index": []},
            "unserved": ["default", "index"],
        }
        with Presence(db, "host:1:ingest", queues=("default",), role="runner", heartbeat_s=0.1):
            report = queue_report(db, stale_after_s=30)
            assert report["queues"] == {"default": ["host:1:ingest"], "index": []}
            assert report["unserved"] == ["index"]
        assert queue_report(db, stale_after_s=30)["unserved"] == ["default", "index"]
        with db.read() as s:
            assert s.scalars(select(JobWorker)).all() == []

    def test_the_heartbeat_keeps_the_row_fresh_and_a_silent_worker_serves_nothing(self, db) -> None:  # type: ignore[no-untyped-def]
        presence = Presence(db, "host:2:all", queues=("default", "index"), role="runner", heartbeat_s=0.05)
        presence.start()
        try:
            # Backdate the row: the heartbeat thread brings it back within one beat.
            with db.session() as s, s.begin():
                s.execute(update(JobWorker).values(heartbeat_at=utcnow() - timedelta(hours=1)))
            wait_for(lambda: queue_report(db, stale_after_s=1)["status"] == "ok", what="a fresh heartbeat")
        finally:
            presence._stop.set()  # killed: no goodbye, the row stays behind
            assert presence._thread is not None
            presence._thread.join(5)
        with db.session() as s, s.begin():
            s.execute(update(JobWorker).values(heartbeat_at=utcnow() - timedelta(seconds=5)))
        assert queue_report(db, stale_after_s=1)["unserved"] == ["default", "index"]
        assert prune_dead(db, stale_after_s=1) == 1

    def test_a_running_job_runner_lists_its_queue(self, db) -> None:  # type: ignore[no-untyped-def]
        runner = JobRunner(db, name="t:runner", queues=("index",), heartbeat_s=0.1, stale_after_s=1)
        thread = threading.Thread(target=runner.work, kwargs={"poll_s": 0.05})
        thread.start()
        try:
            wait_for(lambda: queue_report(db, stale_after_s=1)["queues"]["index"] == ["t:runner"])
        finally:
            runner.stop()
            thread.join(10)
        assert queue_report(db, stale_after_s=1)["queues"]["index"] == []

    def test_the_fix_names_what_to_start(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        embedded = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
        assert "`hoclieu serve`" in how_to_serve(embedded, ["index"])
        assert "`hoclieu worker`" in how_to_serve(embedded, ["default"])
        scale = Settings(data_dir=tmp_path, redis_url="redis://x/0", opensearch_url="http://os:9200")
        assert "`hoclieu worker --queue index`" in how_to_serve(scale, ["index"])


class TestStaleRecovery:
    def test_the_stale_limit_must_span_two_heartbeats(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError, match="at least twice"):
            Settings(data_dir=tmp_path, job_heartbeat_s=10, job_stale_after_s=15)
        s = Settings(data_dir=tmp_path)
        assert (s.job_heartbeat_s, s.job_stale_after_s) == (10, 30)  # three missed heartbeats

    def test_a_slow_job_that_heartbeats_is_never_taken_over(self, db) -> None:  # type: ignore[no-untyped-def]
        RELEASE.clear()
        STARTED.clear()
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.slow_job")
        busy = JobRunner(db, name="busy", heartbeat_s=0.1, stale_after_s=0.5)
        thread = threading.Thread(target=busy.run_one)
        thread.start()
        try:
            assert STARTED.wait(20)
            other = JobRunner(db, name="other", heartbeat_s=0.1, stale_after_s=0.5)
            # Ten stale limits pass while the job runs: it stays with its worker.
            for _ in range(25):
                assert other.requeue_stale() == 0
                assert other.claim() is None
                time.sleep(0.2)
        finally:
            RELEASE.set()
            thread.join(20)
        with db.read() as s:
            job = s.scalars(select(Job)).one()
        assert (job.status, job.attempts) == (JobStatus.done, 1)

    def test_a_dead_workers_job_is_requeued_after_the_stale_limit_by_a_working_runner(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.quick_job")
        dead = JobRunner(db, name="dead")
        assert dead.claim() is not None  # claimed, then the worker "died": no heartbeat ever again
        survivor = JobRunner(db, name="survivor", heartbeat_s=0.2, stale_after_s=1.0)
        assert survivor.sweep_every_s == pytest.approx(0.2)
        started = time.monotonic()
        thread = threading.Thread(target=survivor.work, kwargs={"poll_s": 0.05})
        thread.start()
        try:
            wait_for(lambda: _job(db).status == JobStatus.done, what="the job to run again")
        finally:
            survivor.stop()
            thread.join(10)
        elapsed = time.monotonic() - started
        job = _job(db)
        assert job.attempts == 2 and job.error is None
        # Not before the stale limit, and within the limit plus about one sweep.
        assert 0.8 <= elapsed < 5, elapsed


def _job(db) -> Job:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.scalars(select(Job)).one()


class TestDeliveries:
    def test_a_runner_requeues_only_its_own_queues(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.quick_job", queue="default")
            jobs.enqueue(uow.session, f"{__name__}.quick_job", queue="index")
        JobRunner(db, name="gone").claim()
        JobRunner(db, name="gone").claim()
        with db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        # The indexer must not touch ingest rows: they may be waiting in RQ, which has its own sweep.
        assert JobRunner(db, name="indexer", queues=("index",)).requeue_stale() == 1
        with db.read() as s:
            assert dict(s.execute(select(Job.queue, Job.status)).all()) == {
                "default": "running",
                "index": "queued",
            }

    def test_a_late_delivery_of_an_earlier_claim_does_nothing(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.slow_job")
        first = JobRunner(db, name="first").claim()
        assert first is not None and first.attempts == 1
        with db.session() as s, s.begin():  # presumed dead, queued again, claimed again
            s.execute(update(Job).values(status=JobStatus.queued))
        assert JobRunner(db, name="second").claim() is not None
        STARTED.clear()
        JobRunner(db, name="late").execute_claimed(first.id, attempt=1)
        assert not STARTED.is_set()  # the old delivery did not run the job a second time
        assert _job(db).status == JobStatus.running
