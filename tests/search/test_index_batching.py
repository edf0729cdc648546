"""Index jobs coalesce: one job writes every queued material in one commit (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from repository.jobs import JobRunner
from repository.models import Derivative, Job, JobStatus
from search.query import SearchQuery
from search.service import backend_for, close_backend
from search.tasks import INDEX_BATCH
from tests.search.helpers import CORPUS, populate

JOB = "search.tasks.index_material"


@pytest.fixture
def search_runtime(runtime: Any) -> Iterator[Any]:
    yield runtime
    close_backend(runtime.settings)


def index_jobs(rt: Any) -> dict[str, int]:
    with rt.db.read() as session:
        rows = session.scalars(select(Job).where(Job.func == JOB)).all()
        out: dict[str, int] = {}
        for row in rows:
            out[str(row.status)] = out.get(str(row.status), 0) + 1
        return out


def public_total(rt: Any) -> int:
    backend = backend_for(rt.settings)
    backend.refresh()
    return backend.search(SearchQuery("")).total


class TestCoalescedIndexJobs:
    def test_one_job_writes_every_queued_material_in_one_commit(self, search_runtime: Any) -> None:
        rt = search_runtime
        backend: Any = backend_for(rt.settings)  # embedded: it counts revisions
        populate(rt, run=False)
        queued = index_jobs(rt)[str(JobStatus.queued)]
        assert queued == len(CORPUS)
        before = backend.revision()
        ran = JobRunner(rt.db, name="indexer", queues=("index",)).run_one()
        assert ran
        assert index_jobs(rt) == {str(JobStatus.done): queued}
        backend.refresh()
        public = sum(1 for s in CORPUS if s.state.value == "approved")
        assert public_total(rt) == public
        # One commit for the writes (nothing was deleted): a single new revision.
        assert backend.revision() != before

    def test_a_material_that_fails_does_not_hold_back_the_others(self, search_runtime: Any) -> None:
        rt = search_runtime
        ids = populate(rt, run=False)
        broken = ids["phan-so-5"]
        # Lose the extracted text of one material: building its document raises.
        with rt.db.read() as session:
            key = session.scalar(
                select(Derivative.storage_key)
                .join(Derivative.file)
                .where(Derivative.kind == "text", Derivative.file.has(material_id=broken))
                .limit(1)
            )
        assert key
        rt.blobs.delete(key)
        assert JobRunner(rt.db, name="indexer", queues=("index",)).run_one()
        statuses = index_jobs(rt)
        # Every other job is done; the broken material's job waits for its retry.
        assert statuses == {str(JobStatus.done): len(CORPUS) - 1, str(JobStatus.queued): 1}
        with rt.db.read() as session:
            job = session.scalars(select(Job).where(Job.func == JOB, Job.status == JobStatus.queued)).one()
            assert job.kwargs["material_id"] == broken
            assert job.error
        public = sum(1 for s in CORPUS if s.state.value == "approved")
        assert public_total(rt) == public - 1
        assert broken not in [h.id for h in backend_for(rt.settings).search(SearchQuery("", size=50)).hits]

    def test_the_batch_is_capped(self) -> None:
        assert 1 < INDEX_BATCH <= 1000
