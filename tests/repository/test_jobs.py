from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from repository import jobs
from repository.jobs import JobRunner
from repository.models import Job, JobStatus, utcnow
from repository.uow import UnitOfWork

CALLS: list[dict[str, object]] = []


def record_call(**kwargs: object) -> None:
    CALLS.append(kwargs)


def always_fails(**_kwargs: object) -> None:
    raise RuntimeError("tệp bị hỏng")


GAVE_UP: list[tuple[str, dict[str, object]]] = []


def _note_give_up(reason: str, **kwargs: object) -> None:
    GAVE_UP.append((reason, kwargs))


@jobs.gives_up_with(_note_give_up)
def poison(**_kwargs: object) -> None:
    raise RuntimeError("không đọc được tệp")


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()
    GAVE_UP.clear()


def _jobs(db) -> list[Job]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


class TestEnqueue:
    def test_rolled_back_transaction_leaves_no_job(self, db) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(RuntimeError), UnitOfWork(db) as uow:  # noqa: PT012  (raised inside the unit)
            jobs.enqueue(uow.session, f"{__name__}.record_call", x=1)
            raise RuntimeError("rollback")
        assert _jobs(db) == []

    def test_same_key_is_queued_once(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            assert jobs.enqueue(uow.session, f"{__name__}.record_call", key="k", x=1) is not None
            uow.session.flush()
            assert jobs.enqueue(uow.session, f"{__name__}.record_call", key="k", x=1) is None
        assert len(_jobs(db)) == 1

    def test_every_registered_job_path_imports(self) -> None:
        for path in jobs.JOB_PATHS:
            assert callable(jobs.resolve(path)), path


class TestJobRunner:
    def test_runs_queued_jobs_after_commit(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.record_call", material_id="m1")
        assert JobRunner(db).run_until_empty() == 1
        assert CALLS == [{"material_id": "m1"}]
        (job,) = _jobs(db)
        assert job.status == JobStatus.done
        assert job.finished_at is not None

    def test_failure_retries_with_backoff_then_fails_with_reason(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.always_fails", max_attempts=2)
        runner = JobRunner(db)
        assert runner.run_until_empty() == 1
        (job,) = _jobs(db)
        assert job.status == JobStatus.queued
        assert job.run_after > utcnow() + timedelta(seconds=1)  # backoff, not immediate
        assert "tệp bị hỏng" in (job.error or "")
        with db.session() as s, s.begin():
            s.execute(update(Job).values(run_after=utcnow()))
        assert runner.run_until_empty() == 1
        (job,) = _jobs(db)
        assert job.status == JobStatus.failed
        assert job.attempts == 2
        assert "RuntimeError: tệp bị hỏng" in (job.error or "")

    def test_job_of_a_dead_worker_is_picked_up_again(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.record_call", n=7)
        dead = JobRunner(db, name="dead")
        claimed = dead.claim()  # claims, then "dies" without running it
        assert claimed is not None
        with db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        assert JobRunner(db, name="alive", stale_after_s=60).run_until_empty() == 1
        assert CALLS == [{"n": 7}]
        (job,) = _jobs(db)
        assert job.status == JobStatus.done
        assert job.attempts == 2


class TestGivingUp:
    """A job is tried max_attempts times, whether its tries end in an error or in a dead worker."""

    def _die(self, db) -> None:  # type: ignore[no-untyped-def]
        """A worker claims the job and is SIGKILLed: the row stays running, its heartbeat stops."""
        assert JobRunner(db, name="dead").claim() is not None
        with db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))

    def test_a_job_whose_workers_keep_dying_fails_and_its_give_up_runs(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.poison", max_attempts=3, file_id="f1")
        sweeper = JobRunner(db, name="sweeper", stale_after_s=60)
        for _ in range(2):
            self._die(db)
            assert sweeper.requeue_stale() == 1  # queued again: attempts left
            assert GAVE_UP == []
        self._die(db)
        assert sweeper.requeue_stale() == 0  # the third death used the last attempt
        (job,) = _jobs(db)
        assert job.status == JobStatus.failed
        assert job.attempts == 3
        assert job.finished_at is not None
        assert "stopped 3 times" in (job.error or "")
        assert GAVE_UP == [(job.error, {"file_id": "f1"})]
        # Nothing is left to run, and a later sweep does not give up twice.
        assert sweeper.run_until_empty() == 0
        assert len(GAVE_UP) == 1

    def test_errors_and_deaths_share_the_attempts(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.poison", max_attempts=2, file_id="f2")
        self._die(db)
        runner = JobRunner(db, name="alive", stale_after_s=60)
        assert runner.requeue_stale() == 1
        with db.session() as s, s.begin():  # skip the backoff
            s.execute(update(Job).values(run_after=utcnow()))
        assert runner.run_one()  # the second attempt raises: no attempt left
        (job,) = _jobs(db)
        assert job.status == JobStatus.failed
        assert "không đọc được tệp" in (job.error or "")
        assert GAVE_UP == [(job.error, {"file_id": "f2"})]

    def test_a_job_without_a_give_up_just_fails(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.record_call", max_attempts=1, n=1)
        self._die(db)
        assert JobRunner(db, name="sweeper", stale_after_s=60).requeue_stale() == 0
        (job,) = _jobs(db)
        assert job.status == JobStatus.failed
        assert CALLS == []
