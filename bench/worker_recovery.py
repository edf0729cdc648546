"""Recovery time after a worker is SIGKILLed mid-job: how long until its job runs again.

Real ``hoclieu worker`` processes on a fresh database: ``--runs`` victim workers each claim one
job that holds them (sleeps), a survivor worker runs on the side, then the victims are SIGKILLed
one by one at staggered times (so each kill meets the survivor's sweep at a different phase).
Recovery = from the kill until the job row is ``done`` (the survivor ran it; the job itself is
instant there). Prints one table: runs, median, min, max, the settings and the load average.

    python bench/worker_recovery.py                        # this checkout, its default settings
    python bench/worker_recovery.py --code DIR             # the workers run the checkout in DIR
    python bench/worker_recovery.py --database-url postgresql+psycopg://...   # a fresh DB there

For a before/after comparison, export the commit before into a folder (``git archive REV | tar
-x -C DIR``) and pass ``--code DIR``. The job table and the worker CLI are the same in both.
"""

from __future__ import annotations

import os
import time


def hold(n: int) -> None:
    """The benchmark's job: a victim holds it until killed; the survivor finishes it at once."""
    del n  # only tells the jobs apart
    if os.environ.get("BENCH_ROLE") == "victim":
        time.sleep(3600)


def main() -> None:
    import argparse
    import signal
    import statistics
    import subprocess
    import sys
    import tempfile
    import uuid
    from pathlib import Path

    from sqlalchemy import create_engine, select, text
    from sqlalchemy.engine import make_url

    here = Path(__file__).resolve().parent
    repo = here.parent
    sys.path.insert(0, str(repo))
    from repository.db import Database
    from repository.models import Job
    from repository.uow import UnitOfWork

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--code", type=Path, default=repo, help="checkout whose `hoclieu worker` runs")
    parser.add_argument("--database-url", help="PostgreSQL server URL (a fresh database is made there)")
    parser.add_argument("--stagger", type=float, default=1.3, help="seconds between kills")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hoclieu-recovery-"))
    admin = None
    if args.database_url:
        name = f"hoclieu_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'hoclieu.db'}"
    env = os.environ | {
        "HOCLIEU_DATA_DIR": str(tmp / "data"),
        "HOCLIEU_DATABASE_URL": url,
        "HOCLIEU_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(here), str(args.code)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for var in (
        "HOCLIEU_REDIS_URL",
        "HOCLIEU_OPENSEARCH_URL",
        "HOCLIEU_JOB_HEARTBEAT_S",
        "HOCLIEU_JOB_STALE_AFTER_S",
    ):
        env.pop(var, None)
    cli = [sys.executable, "-m", "web.cli"]
    subprocess.run([*cli, "migrate"], cwd=args.code, env=env, check=True, capture_output=True)
    settings = subprocess.run(
        [sys.executable, "-c", "from repository.config import Settings as S; s=S(); "
         "print(s.job_heartbeat_s, s.job_stale_after_s)"],
        cwd=args.code, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    db = Database(url)
    from repository import jobs

    with UnitOfWork(db) as uow:
        for n in range(args.runs):
            jobs.enqueue(uow.session, "worker_recovery.hold", n=n)

    def job_of(pid: int) -> Job | None:
        with db.read() as s:
            return s.scalars(select(Job).where(Job.worker.like(f"%:{pid}:%"))).first()

    procs: list[subprocess.Popen[bytes]] = []
    victims: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for _ in range(args.runs):
            proc = subprocess.Popen(
                [*cli, "worker", "--queue", "default"],
                cwd=args.code,
                env=env | {"BENCH_ROLE": "victim"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(proc)
            deadline = time.monotonic() + 120
            while (job := job_of(proc.pid)) is None:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("a victim worker did not claim its job")
                time.sleep(0.1)
            victims.append((proc, job.id))
        survivor = subprocess.Popen(
            [*cli, "worker", "--queue", "default"],
            cwd=args.code,
            env=env | {"BENCH_ROLE": "survivor"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(survivor)
        time.sleep(2)  # the survivor is up and idle before the first kill
        killed_at: dict[int, float] = {}
        for proc, job_id in victims:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed_at[job_id] = time.monotonic()
            time.sleep(args.stagger)
        recovered: dict[int, float] = {}
        deadline = time.monotonic() + 900
        while len(recovered) < len(victims) and time.monotonic() < deadline:
            with db.read() as s:
                done = s.scalars(select(Job.id).where(Job.status == "done")).all()
            now = time.monotonic()
            for job_id in done:
                recovered.setdefault(job_id, now - killed_at[job_id])
            time.sleep(0.1)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        db.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    times = sorted(recovered.values())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    code = "this checkout" if args.code.resolve() == repo else str(args.code)
    print(
        f"\nworker recovery after SIGKILL ({code}; {make_url(url).get_backend_name()}; load average {load})\n"
    )
    print("| runs | recovered | median s | min s | max s | heartbeat s | stale after s |")
    print("|---|---|---|---|---|---|---|")
    if times:
        print(
            f"| {len(victims)} | {len(times)} | {statistics.median(times):.1f} | {times[0]:.1f} | "
            f"{times[-1]:.1f} | {settings[0]} | {settings[1]} |"
        )
    else:
        print(f"| {len(victims)} | 0 | - | - | - | {settings[0]} | {settings[1]} |")


if __name__ == "__main__":
    main()
