"""The scale path: job rows dispatched to RQ on a real Redis and run by RQ workers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import select, update

from repository import jobs
from repository.jobs import RQDispatcher
from repository.models import Job, JobStatus, utcnow
from repository.uow import UnitOfWork

CALLS: list[dict[str, object]] = []


def record_call(**kwargs: object) -> None:
    CALLS.append(kwargs)


def fails(**_kwargs: object) -> None:
    raise ValueError("PDF is password-protected")


@pytest.fixture(autouse=True)
def _clear() -> None:
    CALLS.clear()


def _rows(db):  # type: ignore[no-untyped-def]
    with db.read() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


class TestRQ:
    def test_dispatched_jobs_run_in_an_rq_worker(self, db, redis_url: str) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.record_call", file_id="f1")
            jobs.enqueue(uow.session, f"{__name__}.record_call", queue="index", material_id="m1")
        d = RQDispatcher(db, redis_url)
        assert d.dispatch_once() == 2
        assert d.dispatch_once() == 0  # claimed rows are not sent twice
        assert {q.name: q.count for q in (d.rq_queue("default"), d.rq_queue("index"))} == {
            "hoclieu-default": 1,
            "hoclieu-index": 1,
        }
        SimpleWorker([d.rq_queue("default"), d.rq_queue("index")], connection=d.redis).work(burst=True)
        assert sorted(map(str, CALLS)) == sorted(map(str, [{"file_id": "f1"}, {"material_id": "m1"}]))
        assert [r.status for r in _rows(db)] == [JobStatus.done, JobStatus.done]

    def test_failure_is_retried_through_the_job_table(self, db, redis_url: str) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.fails", max_attempts=2)
        d = RQDispatcher(db, redis_url)
        worker = SimpleWorker([d.rq_queue("default")], connection=d.redis)
        d.dispatch_once()
        worker.work(burst=True)
        (row,) = _rows(db)
        assert row.status == JobStatus.queued and row.attempts == 1
        with db.session() as s, s.begin():
            s.execute(update(Job).values(run_after=utcnow()))
        d.dispatch_once()
        worker.work(burst=True)
        (row,) = _rows(db)
        assert row.status == JobStatus.failed
        assert "PDF is password-protected" in (row.error or "")

    def test_a_lost_delivery_is_dispatched_again(self, db, redis_url: str) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.record_call", n=1)
        d = RQDispatcher(db, redis_url, stale_after_s=60)
        d.dispatch_once()
        # Still waiting in the RQ queue: an old heartbeat alone does not make it lost.
        with db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        assert d.requeue_lost() == 0
        # The worker that took it died and Redis lost it (flushed): the row goes back to the queue.
        d.redis.flushdb()
        assert d.requeue_lost() == 1
        assert d.dispatch_once() == 1
        SimpleWorker([d.rq_queue("default")], connection=d.redis).work(burst=True)
        assert CALLS == [{"n": 1}]
        (row,) = _rows(db)
        assert row.status == JobStatus.done and row.attempts == 2

    def test_a_delivery_popped_by_a_killed_worker_is_dispatched_again(self, db, redis_url: str) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            jobs.enqueue(uow.session, f"{__name__}.record_call", n=2)
        d = RQDispatcher(db, redis_url, stale_after_s=60)
        d.dispatch_once()
        (row,) = _rows(db)
        queue = d.rq_queue("default")
        # A worker took it off the queue and was SIGKILLed before marking it started: RQ still
        # says "queued", but no queue holds it any more.
        queue.remove(f"hoclieu-{row.id}-{row.attempts}")
        with db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        assert d.requeue_lost() == 1
        assert d.dispatch_once() == 1
        SimpleWorker([queue], connection=d.redis).work(burst=True)
        assert CALLS == [{"n": 2}]


GAVE_UP: list[tuple[str, dict[str, object]]] = []


def _note_give_up(reason: str, **kwargs: object) -> None:
    GAVE_UP.append((reason, kwargs))


@jobs.gives_up_with(_note_give_up)
def kills_its_worker(**_kwargs: object) -> None:
    raise AssertionError("never delivered in this test")


def test_a_delivery_lost_on_its_last_attempt_fails_and_gives_up(db, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    GAVE_UP.clear()
    with UnitOfWork(db) as uow:
        jobs.enqueue(uow.session, f"{__name__}.kills_its_worker", max_attempts=2, file_id="f9")
    d = RQDispatcher(db, redis_url, stale_after_s=60)
    for expected in (1, 0):
        assert d.dispatch_once() == 1
        (row,) = _rows(db)
        # Its worker popped it and was killed: RQ no longer holds it, the heartbeat is old.
        d.rq_queue("default").remove(f"hoclieu-{row.id}-{row.attempts}")
        with db.session() as s, s.begin():
            s.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        assert d.requeue_lost() == expected
    (row,) = _rows(db)
    assert row.status == JobStatus.failed
    assert "stopped 2 times" in (row.error or "")
    assert GAVE_UP == [(row.error, {"file_id": "f9"})]
    assert d.dispatch_once() == 0
