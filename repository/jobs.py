"""Durable jobs: enqueue inside a transaction, run after it commits.

``enqueue(session, "ingest.tasks.process_file", file_id=...)`` writes a row in the ``jobs`` table
in the caller's transaction (a transactional outbox): if the transaction rolls back, the job
never existed; if the process dies after commit, the row is still there. Jobs reach search and
ingest only through these dotted paths, so ``repository`` imports neither
(``tests/test_architecture.py`` checks that every path listed in ``JOB_PATHS`` imports).

``JobRunner`` claims and runs rows. The embedded default runs it in a thread of
``hoclieu serve``; at scale ``hoclieu worker`` runs it (the same code), and many can run at once:
claims are atomic, and a job whose worker died (no heartbeat for ``stale_after_s``, by default
three missed heartbeats) is queued again, so no job stays ``running`` forever. A slow job is
never taken over while it is alive: its heartbeat comes from a thread of its own, and the
settings refuse a stale limit shorter than two heartbeats.

**Giving up.** A job is tried ``max_attempts`` times: an exception counts one attempt, and so
does a worker that died while running it (each claim is an attempt). A job whose worker keeps
dying is therefore not retried forever (a file that kills whatever processes it, e.g. by running
it out of memory, would otherwise take down worker after worker): it ends ``failed``. A job
function may name what to do then with :func:`gives_up_with` (ingest marks the file failed with
the reason), so what the job was for never stays "in progress" for ever.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from repository.db import Database
from repository.models import Job, JobStatus, utcnow
from repository.processes import die_with_parent
from repository.uow import after_commit
from repository.workers.service import QUEUES, Presence

log = logging.getLogger(__name__)

# Every job function the repository enqueues. Keep in sync; a test imports each one.
JOB_PATHS = (
    "ingest.tasks.process_file",
    "ingest.tasks.render_pages",
    "search.tasks.index_material",
    "repository.client.tasks.deliver_webhook",
    "repository.stats.tasks.aggregate_usage",
)

# Backoff between attempts of a failing job (seconds); the last value repeats.
RETRY_BACKOFF_S = (5, 30, 120)

# Runners in this process waiting for work; an enqueue that commits wakes them all at once.
_waiting: set[threading.Event] = set()
_waiting_lock = threading.Lock()


def _wake_all() -> None:
    with _waiting_lock:
        for event in _waiting:
            event.set()


def enqueue(
    session: Session,
    func_path: str,
    *,
    key: str | None = None,
    queue: str = "default",
    max_attempts: int = 3,
    **kwargs: Any,
) -> Job | None:
    """Add a job to the caller's transaction. Returns None when ``key`` is already queued."""
    if key is not None:
        stmt = select(Job.id).where(Job.key == key, Job.status == JobStatus.queued).limit(1)
        if session.get_bind().dialect.name != "sqlite":
            # Lock the queued twin until this transaction commits: a runner claiming it meanwhile
            # (FOR UPDATE SKIP LOCKED) skips it, or, if it claimed first, this read waits and no
            # longer sees it queued and adds a new job. Without the lock a runner could claim the
            # twin and read the data before this transaction's changes commit, and the change
            # would never be applied (seen as a stale search document under PostgreSQL). SQLite
            # runs one write transaction at a time, so there the race cannot happen.
            stmt = stmt.with_for_update()
        existing = session.scalar(stmt)
        if existing is not None:
            return None
    job = Job(func=func_path, kwargs=kwargs, key=key, queue=queue, max_attempts=max_attempts)
    session.add(job)
    after_commit(session, _wake_all)
    return job


def gives_up_with(handler: Callable[..., None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a job function: ``handler(reason, **kwargs)`` runs once its job has failed for
    good (attempts used up by errors or by workers that died running it)."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__dict__["give_up"] = handler
        return fn

    return mark


def give_up(func_path: str, kwargs: dict[str, Any], reason: str) -> None:
    """Run the give-up handler of ``func_path`` (if it has one); never raises."""
    try:
        handler = getattr(resolve(func_path), "give_up", None)
        if handler is not None:
            handler(reason, **kwargs)
    except Exception:
        log.exception("jobs.give_up_failed func=%s kwargs=%s", func_path, kwargs)


def _died_reason(attempts: int) -> str:
    return f"stopped {attempts} times: the worker running it died each time (killed or out of memory)"


def resolve(func_path: str) -> Callable[..., Any]:
    module_name, _, attr = func_path.rpartition(".")
    module = importlib.import_module(module_name)
    fn = getattr(module, attr)
    if not callable(fn):
        raise TypeError(f"{func_path} is not callable")
    return fn  # type: ignore[no-any-return]


def _requeue_or_fail(rows: Any) -> tuple[int, list[tuple[str, dict[str, Any], str]]]:
    """Rows whose worker died (locked by the caller's transaction): queued again, or failed once
    their attempts are used up. Returns how many were queued again and what to give up on
    (after the caller commits)."""
    requeued = 0
    given_up: list[tuple[str, dict[str, Any], str]] = []
    now = utcnow()
    for row in rows:
        row.worker = None
        if row.attempts >= row.max_attempts:
            row.status = JobStatus.failed
            row.error = _died_reason(row.attempts)
            row.finished_at = now
            given_up.append((row.func, dict(row.kwargs), row.error))
        else:
            row.status = JobStatus.queued
            row.error = "worker stopped; retried"
            requeued += 1
    if given_up:
        log.error("jobs.gave_up_after_worker_deaths count=%s", len(given_up))
    return requeued, given_up


def _give_up_all(given_up: list[tuple[str, dict[str, Any], str]]) -> None:
    for func_path, kwargs, reason in given_up:
        give_up(func_path, kwargs, reason)


class JobRunner:
    """Claims queued jobs from the database and runs them, one at a time per runner."""

    def __init__(
        self,
        db: Database,
        *,
        name: str | None = None,
        queues: tuple[str, ...] | None = None,
        stale_after_s: float = 30.0,
        heartbeat_s: float = 10.0,
    ) -> None:
        self.db = db
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.queues = queues
        self.stale_after_s = stale_after_s
        self.heartbeat_s = heartbeat_s
        self._stop = threading.Event()
        self._wakeup = threading.Event()

    # -- claiming -------------------------------------------------------------------------

    def requeue_stale(self) -> int:
        """Queue again the jobs whose worker stopped sending heartbeats (killed, crashed); a job
        that has used all its attempts this way fails instead (see "Giving up" above)."""
        cutoff = utcnow() - timedelta(seconds=self.stale_after_s)
        stmt = select(Job).where(Job.status == JobStatus.running, Job.heartbeat_at < cutoff)
        if self.queues:
            # Only this runner's queues: rows of other queues may be dispatched to RQ and waiting
            # there (their heartbeat starts when an RQ worker takes them; RQDispatcher.requeue_lost
            # looks after those).
            stmt = stmt.where(Job.queue.in_(self.queues))
        if not self.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        with self.db.session(write=True) as session, session.begin():
            rows = session.scalars(stmt).all()
            count, given_up = _requeue_or_fail(rows)
        _give_up_all(given_up)
        if count:
            log.warning("jobs.requeued_stale count=%s", count)
        return count

    def claim(self) -> Job | None:
        now = utcnow()
        with self.db.session(write=True) as session, session.begin():
            stmt = (
                select(Job)
                .where(Job.status == JobStatus.queued, Job.run_after <= now)
                .order_by(Job.id)
                .limit(1)
            )
            if self.queues:
                stmt = stmt.where(Job.queue.in_(self.queues))
            if not self.db.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            job = session.scalar(stmt)
            if job is None:
                return None
            job.status = JobStatus.running
            job.attempts += 1
            job.heartbeat_at = now
            job.worker = self.name
            session.flush()
            session.expunge(job)
            return job

    # -- running --------------------------------------------------------------------------

    def run_one(self) -> bool:
        """Run the next due job. Returns False when there was none."""
        job = self.claim()
        if job is None:
            return False
        self._execute(job)
        return True

    def run_until_empty(self, *, max_jobs: int | None = None) -> int:
        """Run due jobs until none is left (tests, ``import --wait``). Returns how many ran."""
        count = 0
        self.requeue_stale()
        while max_jobs is None or count < max_jobs:
            if not self.run_one():
                break
            count += 1
        return count

    def execute_claimed(self, job_id: int, attempt: int | None = None) -> None:
        """Run a job that a dispatcher already claimed (status ``running``); used by RQ workers.

        A job that is no longer ``running`` (finished by another worker, or re-queued after this
        worker was presumed dead), or that was claimed again since this delivery was sent
        (``attempt`` differs), is left alone, so a late duplicate delivery does nothing.
        """
        with self.db.session(write=True) as session, session.begin():
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.running:
                return
            if attempt is not None and job.attempts != attempt:
                log.warning(
                    "jobs.stale_delivery job_id=%s attempt=%s current=%s", job_id, attempt, job.attempts
                )
                return
            job.heartbeat_at = utcnow()
            job.worker = self.name
            session.flush()
            session.expunge(job)
        self._execute(job)

    def _execute(self, job: Job) -> None:
        beat_stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job.id, beat_stop), daemon=True)
        beat.start()
        try:
            resolve(job.func)(**job.kwargs)
        except Exception as exc:
            self._failed(job, exc)
        else:
            self._finish(job.id, JobStatus.done, None)
        finally:
            beat_stop.set()
            beat.join()

    def _heartbeat(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            try:
                with self.db.session(write=True) as session, session.begin():
                    session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))
            except Exception:
                log.exception("jobs.heartbeat_failed job_id=%s", job_id)

    def _failed(self, job: Job, exc: Exception) -> None:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.error("jobs.failed func=%s job_id=%s attempt=%s error=%s", job.func, job.id, job.attempts, detail)
        if job.attempts < job.max_attempts:
            delay = RETRY_BACKOFF_S[min(job.attempts - 1, len(RETRY_BACKOFF_S) - 1)]
            with self.db.session(write=True) as session, session.begin():
                session.execute(
                    update(Job)
                    .where(Job.id == job.id)
                    .values(
                        status=JobStatus.queued,
                        run_after=utcnow() + timedelta(seconds=delay),
                        error=detail,
                        worker=None,
                    )
                )
        else:
            self._finish(job.id, JobStatus.failed, detail)
            give_up(job.func, job.kwargs, detail)

    def _finish(self, job_id: int, status: JobStatus, error: str | None) -> None:
        with self.db.session(write=True) as session, session.begin():
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status=status, error=error, finished_at=utcnow(), worker=None)
            )

    # -- loop -----------------------------------------------------------------------------

    @property
    def sweep_every_s(self) -> float:
        """How often the loop looks for jobs of dead workers: at least once per heartbeat, so
        recovery takes ``stale_after_s`` plus at most one heartbeat."""
        return min(self.heartbeat_s, self.stale_after_s / 3)

    def work(self, *, poll_s: float = 2.0, role: str = "runner") -> None:
        """Run jobs until ``stop()``; sleeps between polls, woken early by local enqueues.

        While it runs, its queues are listed as served (``job_workers``, see
        :mod:`repository.workers.service`).
        """
        last_sweep = 0.0
        presence = Presence(
            self.db, self.name, queues=self.queues or QUEUES, role=role, heartbeat_s=self.heartbeat_s
        )
        presence.start()
        with _waiting_lock:
            _waiting.add(self._wakeup)
        try:
            while not self._stop.is_set():
                try:
                    now = utcnow().timestamp()
                    if now - last_sweep > self.sweep_every_s:
                        self.requeue_stale()
                        last_sweep = now
                    if self.run_one():
                        continue
                except Exception:
                    log.exception("jobs.runner_error")
                self._wakeup.wait(poll_s)
                self._wakeup.clear()
        finally:
            with _waiting_lock:
                _waiting.discard(self._wakeup)
            presence.stop()

    def stop(self) -> None:
        self._stop.set()
        self._wakeup.set()


# -- coalescing -----------------------------------------------------------------------------


def take_queued(db: Database, func_path: str, *, limit: int, worker: str) -> list[Job]:
    """Claim up to ``limit`` due, queued jobs of ``func_path`` for a job that does their work
    together with its own (``search.tasks.index_material`` indexes them in one commit).

    The claimed rows are ``running`` under ``worker``, as if a runner had claimed each, so a
    process that dies holding them leaves them to the stale-job sweep. The caller keeps them
    alive with :func:`beat_taken` while it works and reports back with :func:`settle_taken`.
    """
    if limit <= 0:
        return []
    now = utcnow()
    with db.session(write=True) as session, session.begin():
        stmt = (
            select(Job)
            .where(Job.func == func_path, Job.status == JobStatus.queued, Job.run_after <= now)
            .order_by(Job.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        found = list(session.scalars(stmt))
        for job in found:
            job.status = JobStatus.running
            job.attempts += 1
            job.heartbeat_at = now
            job.worker = worker
        session.flush()
        for job in found:
            session.expunge(job)
        return found


def _still_ours(ids: list[int], worker: str) -> Any:
    # A row the stale sweep gave back (and someone else may have claimed since) is not ours.
    return (Job.id.in_(ids), Job.status == JobStatus.running, Job.worker == worker)


def beat_taken(db: Database, jobs: list[Job], worker: str) -> None:
    """The heartbeat of jobs claimed by :func:`take_queued` (they have no runner of their own)."""
    if jobs:
        with db.session(write=True) as session, session.begin():
            ids = [j.id for j in jobs]
            session.execute(update(Job).where(*_still_ours(ids, worker)).values(heartbeat_at=utcnow()))


def settle_taken(db: Database, jobs: list[Job], failed: dict[int, str], worker: str) -> None:
    """Finish jobs claimed by :func:`take_queued` under ``worker``: ``done``, except those in
    ``failed`` (id → error), which are retried after the usual backoff or fail for good, like a
    job the runner ran itself. Rows no longer held by ``worker`` are left alone."""
    now = utcnow()
    with db.session(write=True) as session, session.begin():
        done = [j.id for j in jobs if j.id not in failed]
        if done:
            session.execute(
                update(Job)
                .where(*_still_ours(done, worker))
                .values(status=JobStatus.done, error=None, finished_at=now, worker=None)
            )
        for job in jobs:
            if job.id not in failed:
                continue
            if job.attempts < job.max_attempts:
                delay = RETRY_BACKOFF_S[min(job.attempts - 1, len(RETRY_BACKOFF_S) - 1)]
                values: dict[str, Any] = {
                    "status": JobStatus.queued,
                    "run_after": now + timedelta(seconds=delay),
                    "error": failed[job.id],
                    "worker": None,
                }
            else:
                values = {
                    "status": JobStatus.failed,
                    "error": failed[job.id],
                    "finished_at": now,
                    "worker": None,
                }
            session.execute(update(Job).where(*_still_ours([job.id], worker)).values(**values))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {str(status): int(n) for status, n in rows}


def waiting_by_queue(session: Session) -> dict[str, int]:
    """How many jobs wait (queued) on each queue."""
    rows = session.execute(
        select(Job.queue, func.count()).where(Job.status == JobStatus.queued).group_by(Job.queue)
    ).all()
    return {str(queue): int(n) for queue, n in rows}


# -- RQ (scale) --------------------------------------------------------------------------------

# RQ job settings: the database row is the source of truth for retries (see JobRunner._failed),
# so RQ itself never retries; it only delivers.
RQ_JOB_TIMEOUT_S = 6 * 3600
RQ_FAILURE_TTL_S = 7 * 24 * 3600
RQ_RESULT_TTL_S = 3600


def run_dispatched(job_id: int, attempt: int | None = None) -> None:
    """The RQ job function: run one dispatched database job (claim number ``attempt``)."""
    from repository.runtime import get_runtime

    runtime = get_runtime()
    JobRunner(
        runtime.db,
        name=f"rq:{socket.gethostname()}:{os.getpid()}",
        stale_after_s=runtime.settings.job_stale_after_s,
        heartbeat_s=runtime.settings.job_heartbeat_s,
    ).execute_claimed(job_id, attempt)


def parent_bound_worker_class() -> type[Any]:
    """RQ's forking ``Worker`` whose work horse dies with it.

    RQ forks a work horse per job and puts it in its own process group, so when the worker is
    SIGKILLed the horse (and the tools it started) would run on as orphans holding database
    and Redis connections. The horse asks the kernel for SIGKILL when its parent goes, and exits
    at once if the parent is already gone (see :mod:`repository.processes`).
    """
    from rq import Worker

    class ParentBoundWorker(Worker):
        def fork_work_horse(self, *args: Any, **kwargs: Any) -> None:
            self._hoclieu_parent = os.getpid()  # read by the horse after the fork
            super().fork_work_horse(*args, **kwargs)

        def main_work_horse(self, *args: Any, **kwargs: Any) -> None:
            die_with_parent(parent=getattr(self, "_hoclieu_parent", None))
            super().main_work_horse(*args, **kwargs)

    return ParentBoundWorker


class RQDispatcher:
    """Moves queued job rows to RQ queues on Redis (``HOCLIEU_REDIS_URL``), for RQ workers.

    Every ``hoclieu worker`` runs one; claims are atomic (``FOR UPDATE SKIP LOCKED``), so many
    can run. A row whose worker died (stale heartbeat) and whose RQ job is no longer waiting in
    a queue is queued again and dispatched anew.
    """

    def __init__(
        self,
        db: Database,
        redis_url: str,
        *,
        queues: tuple[str, ...] | None = None,
        stale_after_s: float = 30.0,
        heartbeat_s: float = 10.0,
    ) -> None:
        from redis import Redis

        self.db = db
        self.redis = Redis.from_url(redis_url)
        self.runner = JobRunner(
            db, name="rq-dispatcher", queues=queues, stale_after_s=stale_after_s, heartbeat_s=heartbeat_s
        )

    def rq_queue(self, name: str) -> Any:
        from rq import Queue

        return Queue(f"hoclieu-{name}", connection=self.redis)

    def dispatch_once(self, *, limit: int = 100) -> int:
        n = 0
        while n < limit:
            job = self.runner.claim()
            if job is None:
                break
            self.rq_queue(job.queue).enqueue_call(
                "repository.jobs.run_dispatched",
                args=(job.id, job.attempts),
                job_id=f"hoclieu-{job.id}-{job.attempts}",
                timeout=RQ_JOB_TIMEOUT_S,
                failure_ttl=RQ_FAILURE_TTL_S,
                result_ttl=RQ_RESULT_TTL_S,
                description=f"{job.func} {job.kwargs}",
            )
            n += 1
        return n

    def requeue_lost(self) -> int:
        """Queue again rows whose RQ delivery was lost (worker killed, Redis flushed)."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RQJob

        cutoff = utcnow() - timedelta(seconds=self.runner.stale_after_s)
        lost: list[Job] = []
        stmt = select(Job).where(Job.status == JobStatus.running, Job.heartbeat_at < cutoff)
        if self.runner.queues:
            stmt = stmt.where(Job.queue.in_(self.runner.queues))
        if not self.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        with self.db.session(write=True) as session, session.begin():
            for row in session.scalars(stmt).all():
                try:
                    rq_job = RQJob.fetch(f"hoclieu-{row.id}-{row.attempts}", connection=self.redis)
                    status = str(getattr(rq_job.get_status(), "value", rq_job.get_status()))
                except NoSuchJobError:
                    rq_job, status = None, None
                if status in {"deferred", "scheduled"}:
                    continue  # RQ will deliver it later
                if status == "queued" and rq_job is not None and rq_job.get_position() is not None:
                    continue  # still in its queue, waiting for a free RQ worker: not lost
                # Gone, started by a worker that died, or "queued" but no longer in the queue (a
                # worker popped it and was killed before marking it started): lost.
                lost.append(row)
            requeued, given_up = _requeue_or_fail(lost)
        _give_up_all(given_up)
        if requeued:
            log.warning("jobs.rq_requeued_lost count=%s", requeued)
        return requeued

    def work(self, stop: threading.Event, *, poll_s: float = 1.0) -> None:
        last_sweep = 0.0
        while not stop.is_set():
            try:
                now = utcnow().timestamp()
                if now - last_sweep > self.runner.sweep_every_s:
                    self.requeue_lost()
                    last_sweep = now
                if self.dispatch_once():
                    continue
            except Exception:
                log.exception("jobs.dispatcher_error")
            stop.wait(poll_s)


def queue_stats(session: Session) -> list[tuple[str, int, int, float | None]]:
    """Per queue: jobs waiting (queued), jobs running, and the creation time (epoch seconds) of
    the oldest waiting job, for the Prometheus metrics (``repository.metrics``)."""
    rows = session.execute(
        select(
            Job.queue,
            func.count().filter(Job.status == JobStatus.queued),
            func.count().filter(Job.status == JobStatus.running),
            func.min(Job.created_at).filter(Job.status == JobStatus.queued),
        )
        .where(Job.status.in_((JobStatus.queued, JobStatus.running)))
        .group_by(Job.queue)
    ).all()
    return [
        (str(queue), int(waiting), int(running), oldest.timestamp() if oldest is not None else None)
        for queue, waiting, running, oldest in rows
    ]
