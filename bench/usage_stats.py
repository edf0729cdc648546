"""Usage statistics: what recording adds to a request, and how long aggregation takes.

    python bench/usage_stats.py [--requests 3000] [--events 10000000] [--database URL]

1. **Recording overhead.** A throw-away instance (SQLite in a temporary folder) serves one
   approved material's portal page. The same page is requested ``--requests`` times with
   recording on and off, alternating request by request so machine load hits both alike, every
   request from a different browser user agent (so every one is counted, and the robots filter's
   cache never helps). Reported: p50/p90 of both, their difference (what recording adds), and the
   p50 of the request-path call alone (``web.usage.count``: robots and prefetch checks, one
   in-memory append), plus what the background flush costs per event (off the request path).
2. **Aggregation.** ``--events`` raw events over 30 days, 5 000 materials (views 50 %, plays
   15 %, downloads 10 %, searches 25 % over 2 000 texts, 10 % of them finding nothing) are made
   inside the database (``INSERT ... SELECT`` from ``generate_series`` on PostgreSQL, a recursive
   CTE on SQLite: no row travels through Python), then ``stats.aggregate`` runs twice: the first
   run builds all 30 days (and re-counts 5 000 materials' views for ``sort=popular``), the second
   is the steady state (today and yesterday only). ``--database`` is a PostgreSQL server URL (a
   database is created and dropped) or ``sqlite`` (a temporary file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{n}"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def recording(requests: int) -> list[tuple[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="hoclieu-stats-"))
    os.environ.update({"HOCLIEU_DATA_DIR": str(tmp), "HOCLIEU_LOG_LEVEL": "ERROR", "HOCLIEU_ENV": "testing"})
    from fastapi.testclient import TestClient
    from starlette.requests import Request

    from repository.config import Settings
    from repository.migrate import upgrade
    from repository.models import Role, UsageKind, WorkflowState
    from repository.runtime import configure
    from repository.uow import UnitOfWork
    from tests.factories import create_material, create_user
    from web.app import create_app
    from web.usage import count

    settings = Settings(
        data_dir=tmp, in_process_worker=False, env="testing", rate_limit_anonymous_per_minute=0
    )
    runtime = configure(settings)
    upgrade(runtime.db)
    with UnitOfWork(runtime.db) as uow:
        owner = create_user(uow.session, username="quan_tri", role=Role.admin)
        material_id = create_material(
            uow.session,
            runtime,
            owner,
            state=WorkflowState.approved,
            metadata={"grades": [5], "subjects": ["toan"]},
        ).id
    timings: dict[bool, list[float]] = {True: [], False: []}
    app = create_app(settings, runtime=runtime, run_worker=False)
    usage = app.state.usage
    n = 0
    with TestClient(app) as client:
        for _ in range(20):  # warm up both paths
            client.get(f"/m/{material_id}", headers={"User-Agent": "warm"})
        for i in range(2 * requests):
            usage.enabled = i % 2 == 0  # alternate every request: load drifts hit both alike
            n += 1
            t0 = time.perf_counter()
            r = client.get(f"/m/{material_id}", headers={"User-Agent": BROWSER.format(n=n)})
            timings[usage.enabled].append(time.perf_counter() - t0)
            assert r.status_code == 200
        usage.enabled = True
        # The request-path call alone, on a real Starlette request.
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/m/{material_id}",
            "headers": [],
            "client": ("10.1.2.3", 5000),
            "app": app,
        }
        calls: list[float] = []
        for i in range(20_000):
            scope["headers"] = [(b"user-agent", BROWSER.format(n=10**6 + i).encode())]
            request = Request(scope)
            t0 = time.perf_counter()
            count(request, UsageKind.view, material_id=material_id)
            calls.append(time.perf_counter() - t0)
        pending = len(usage._buffer)
        t0 = time.perf_counter()
        usage.flush()
        flush_s = time.perf_counter() - t0
    on, off = timings[True], timings[False]
    us = 1e6
    rows = [
        ("page p50 recording on (µs)", f"{pct(on, 0.5) * us:,.0f}"),
        ("page p50 recording off (µs)", f"{pct(off, 0.5) * us:,.0f}"),
        ("p50 added per request (µs)", f"{(pct(on, 0.5) - pct(off, 0.5)) * us:,.0f}"),
        ("page p90 on / off (µs)", f"{pct(on, 0.9) * us:,.0f} / {pct(off, 0.9) * us:,.0f}"),
        ("web.usage.count p50 / p99 (µs)", f"{pct(calls, 0.5) * us:.1f} / {pct(calls, 0.99) * us:.1f}"),
        ("background flush per event (µs)", f"{flush_s / max(pending, 1) * us:.1f} ({pending:,} events)"),
        ("requests measured (on + off)", f"{len(on):,} + {len(off):,}"),
    ]
    runtime.close()
    return rows


def aggregation(events: int, database: str) -> list[tuple[str, str]]:
    from sqlalchemy import create_engine, func, select, text
    from sqlalchemy.engine import make_url

    from repository.db import Database
    from repository.migrate import upgrade
    from repository.models import StatsDaily, UsageEvent
    from repository.stats.recorder import stats_day
    from repository.stats.service import stats
    from repository.uow import UnitOfWork

    admin = None
    if database == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hoclieu-agg-')) / 'hoclieu.db'}"
    else:
        name = f"hoclieu_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(database, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(database).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        upgrade(db)
        pg = not db.is_sqlite
        today = stats_day()
        first = today - timedelta(days=29)
        now = datetime.now(UTC)

        def json_of(param: str) -> str:
            return f"CAST({param} AS jsonb)" if pg else param

        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            user = str(uuid.uuid4())
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, disabled, scope, created_at) "
                    f"VALUES (:id, 'bench', '', 'teacher', false, {json_of(':scope')}, :now)"
                ),
                {"id": user, "now": now, "scope": "{}"},
            )
            conn.execute(
                text(
                    "INSERT INTO materials (id, metadata, schema, title, state, owner_id, version, "
                    f"view_count, created_at, updated_at) VALUES (:id, {json_of(':meta')}, "
                    "'material-v1.0.0.json', :title, 'approved', :owner, 1, 0, :now, :now)"
                ),
                [
                    {
                        "id": f"m{i:05d}",
                        "meta": json.dumps(
                            {"title": f"Bài {i}", "grades": [1 + i % 12], "subjects": [f"s{i % 14}"]}
                        ),
                        "title": f"Bài {i}",
                        "owner": user,
                        "now": now,
                    }
                    for i in range(5000)
                ],
            )
        # i → day, kind, material or query; visitor = the number itself, so no row repeats.
        kind = (
            "CASE WHEN i % 20 < 10 THEN 'view' WHEN i % 20 < 13 THEN 'play' "
            "WHEN i % 20 < 15 THEN 'download' ELSE 'search' END"
        )
        if pg:
            generate = f"""
                INSERT INTO usage_events (day, kind, material_id, query, results, visitor)
                SELECT DATE '{first.isoformat()}' + (i % 30)::int, {kind},
                       CASE WHEN i % 20 < 15
                            THEN 'm' || lpad((((i / 20) * 7919) % 5000)::text, 5, '0') ELSE '' END,
                       CASE WHEN i % 20 >= 15 THEN 'tìm kiếm ' || ((i * 104729) % 2000) ELSE '' END,
                       CASE WHEN i % 20 >= 15 THEN CASE WHEN i % 10 = 0 THEN 0 ELSE 5 END END,
                       lpad(to_hex(i), 16, '0')
                FROM generate_series(1::bigint, {events}) AS i"""
        else:
            generate = f"""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {events})
                INSERT INTO usage_events (day, kind, material_id, query, results, visitor)
                SELECT date('{first.isoformat()}', '+' || (i % 30) || ' days'), {kind},
                       CASE WHEN i % 20 < 15 THEN printf('m%05d', ((i / 20) * 7919) % 5000) ELSE '' END,
                       CASE WHEN i % 20 >= 15 THEN 'tìm kiếm ' || ((i * 104729) % 2000) ELSE '' END,
                       CASE WHEN i % 20 >= 15 THEN CASE WHEN i % 10 = 0 THEN 0 ELSE 5 END END,
                       printf('%016x', i)
                FROM n"""
        with db.engine.begin() as conn:
            conn.execute(text(generate))
            if pg:
                conn.execute(text("ANALYZE usage_events"))
        generated_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with UnitOfWork(db) as uow:
            first_run = stats.aggregate(uow.session, retention_days=3660, now=now)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with UnitOfWork(db) as uow:
            second_run = stats.aggregate(uow.session, retention_days=3660, now=now)
        second_s = time.perf_counter() - t0
        with db.read() as s:
            raw = int(s.scalar(select(func.count()).select_from(UsageEvent)) or 0)
            counted = int(s.scalar(select(func.sum(StatsDaily.count))) or 0)
        return [
            ("database", "PostgreSQL" if pg else "SQLite"),
            ("raw events", f"{raw:,}"),
            ("generate + index the events (s)", f"{generated_s:,.1f}"),
            (f"aggregate all {first_run['days']} days (s)", f"{first_s:,.1f}"),
            ("  materials re-counted for sort=popular", f"{first_run['reindexed']:,}"),
            (f"aggregate again, steady state ({second_run['days']} days) (s)", f"{second_s:,.1f}"),
            ("events per second (first run)", f"{raw / first_s:,.0f}"),
            ("material events in the daily table", f"{counted:,}"),
        ]
    finally:
        db.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=3000, help="page requests with recording on (and off)"
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--database",
        default=os.environ.get("HOCLIEU_DATABASE_URL") or "sqlite",
        help="a PostgreSQL server URL (a database is created and dropped) or 'sqlite'",
    )
    parser.add_argument("--skip-recording", action="store_true")
    parser.add_argument("--skip-aggregation", action="store_true")
    args = parser.parse_args()
    width = 44
    print(f"{'measure':<{width}}  value", flush=True)
    parts: list[Callable[[], list[tuple[str, str]]]] = []
    if not args.skip_recording:
        parts.append(lambda: recording(args.requests))
    if not args.skip_aggregation:
        parts.append(lambda: aggregation(args.events, args.database))
    for part in parts:  # each table part printed as soon as it is measured
        for key, value in part():
            print(f"{key:<{width}}  {value}", flush=True)
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{'  load average (2 cores, shared)':<{width}}  {load}", flush=True)


if __name__ == "__main__":
    main()
