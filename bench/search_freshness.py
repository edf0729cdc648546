# A benchmark reports by printing its table.
"""Search freshness: how soon imported and approved materials become searchable.

    python bench/search_freshness.py [--materials 10000] [--batch 500] [--approvals 5]

A throw-away instance (SQLite in a temporary folder) imports ``--materials`` approved materials
in transactions of 500, as a bulk import does: each material row and its index job (the outbox
row) commit together; ingest jobs are left alone (their text does not matter here, the title and
description are indexed). The clock starts when the last import transaction commits, i.e. when
the last index job is queued, and one index runner thread (what ``hoclieu serve`` runs) starts
applying the queue; it stops when every material is found by a search. ``--batch`` sets how many
index jobs one job may coalesce (1 = the old one-commit-per-material behaviour).

Then, with the runner still running, ``--approvals`` single materials go from "submitted" to
"approved" (state change + index job in one transaction, as curation does); each is timed from
that commit until a search finds it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = (
    "phân số hình tròn đường kính diện tích chu vi quang hợp tế bào năng lượng lịch sử địa lí "
    "phương trình bậc hai nghiệm số thập phân văn bản nghị luận thơ lục bát dân ca trung du "
    "miền núi đồng bằng khí hậu nhiệt đới gió mùa kinh tế xã hội công nghiệp nông nghiệp"
).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--materials", type=int, default=10_000)
    parser.add_argument(
        "--batch", type=int, default=None, help="index jobs per commit (default: INDEX_BATCH)"
    )
    parser.add_argument("--approvals", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hoclieu-fresh-"))
    os.environ.update({"HOCLIEU_DATA_DIR": str(tmp), "HOCLIEU_LOG_LEVEL": "ERROR"})
    os.environ.pop("HOCLIEU_DATABASE_URL", None)
    import logging
    import random

    logging.basicConfig(level=logging.CRITICAL)
    from repository.jobs import JobRunner, enqueue
    from repository.material.service import NewFile
    from repository.material.service import material as material_service
    from repository.migrate import upgrade
    from repository.models import Material, WorkflowState
    from repository.runtime import get_runtime
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service
    from search import tasks
    from search.query import SearchQuery
    from search.service import backend_for

    if args.batch is not None:
        tasks.INDEX_BATCH = args.batch
    runtime = get_runtime()
    upgrade(runtime.db)
    backend = backend_for(runtime.settings)
    rng = random.Random(7)

    def new_material(session: object, actor: object, n: int, state: WorkflowState) -> Material:
        staged = runtime.blobs.stage()
        staged.write(b"%PDF-1.4 bench " + str(n).encode())
        blob = staged.commit()
        title = " ".join(rng.choices(WORDS, k=6)) + f" m{n}x"
        meta = {"title": title, "description": " ".join(rng.choices(WORDS, k=40))}
        return material_service.create(
            session,  # type: ignore[arg-type]
            actor,  # type: ignore[arg-type]
            metadata=meta,
            state=state,
            files=[NewFile(filename=f"m{n}.pdf", blob=blob, media_type="application/pdf")],
        )

    t0 = time.perf_counter()
    for first in range(0, args.materials, 500):
        with UnitOfWork(runtime.db) as uow:
            actor = user_service.system_user(uow.session)
            for n in range(first, min(first + 500, args.materials)):
                new_material(uow.session, actor, n, WorkflowState.approved)
    imported = time.perf_counter()
    print(f"imported {args.materials} materials in {imported - t0:.1f} s", file=sys.stderr)

    runner = JobRunner(runtime.db, name="bench-indexer", queues=("index",))
    thread = threading.Thread(target=runner.work, kwargs={"poll_s": 0.5}, daemon=True)
    queued_at = time.perf_counter()
    cpu_at = time.process_time()
    thread.start()
    while True:
        backend.refresh()
        if backend.count(public_only=True) >= args.materials:
            break
        time.sleep(0.2)
    bulk_s = time.perf_counter() - queued_at
    bulk_cpu = time.process_time() - cpu_at

    approvals: list[float] = []
    for i in range(args.approvals):
        with UnitOfWork(runtime.db) as uow:
            actor = user_service.system_user(uow.session)
            m = new_material(uow.session, actor, 10_000_000 + i, WorkflowState.submitted)
            ident, title = m.id, m.meta["title"]
        time.sleep(1.0)  # its own index job (a delete: not public) runs first
        with UnitOfWork(runtime.db) as uow:
            row = uow.session.get(Material, ident)
            assert row is not None
            row.state = WorkflowState.approved.value
            enqueue(
                uow.session,
                "search.tasks.index_material",
                key=f"index:material:{ident}",
                queue="index",
                material_id=ident,
            )
        start = time.perf_counter()
        marker = title.split()[-1]
        while True:
            backend.refresh()
            if any(h.id == ident for h in backend.search(SearchQuery(marker, with_facets=False)).hits):
                break
            if time.perf_counter() - start > 60:
                raise SystemExit(f"approval {i} not searchable after 60 s")
            time.sleep(0.01)
        approvals.append(time.perf_counter() - start)
    runner.stop()
    thread.join()

    load = os.getloadavg()
    batch = tasks.INDEX_BATCH
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| measure | result | target |")
    print("|---|---|---|")
    print(
        f"| {args.materials} imported materials: last index job queued → all searchable "
        f"(index batch {batch}) | {bulk_s:.1f} s | ≤ 60 s |"
    )
    print(f"| CPU time of the indexing process meanwhile (all threads) | {bulk_cpu:.1f} s | - |")
    print(
        f"| one approval → searchable (n={len(approvals)}) | median {statistics.median(approvals):.2f} s, "
        f"max {max(approvals):.2f} s | ≤ 2 s |"
    )


if __name__ == "__main__":
    main()
