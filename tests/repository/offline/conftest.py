"""A small library of real, ingested and signed demo materials for the offline-package tests.

Built once per module (and xdist worker): the grade 5 maths video (360p + listen-only audio +
poster), the "Phân số thập phân" PDF (page images) and the "Số thập phân" slide deck, imported
from the generated demo set, ingested by the real job runner and approved and signed the way
``hoclieu demo`` does. The worksheet is generated too but imported only by the update test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

VIDEO = "toan-5-dien-tich-hinh-tam-giac.mp4"
PDF = "toan-5-phan-so-thap-phan.pdf"
DECK = "toan-5-so-thap-phan.pptx"
WORKSHEET = "toan-5-phieu-on-tap-phan-so.html"
INITIAL = (VIDEO, PDF, DECK)


@dataclass
class Library:
    settings: Any
    runtime: Any
    ids: dict[str, str]  # demo file name → material id
    demo: dict[str, Any]  # demo file name → DemoItem
    workdir: Path

    def add(self, name: str) -> str:
        """Import, ingest, approve and sign one more demo item; returns its material id."""
        self.ids.update(_import(self.runtime, [self.demo[name]]))
        return self.ids[name]


def _import(rt: Any, items: list[Any]) -> dict[str, str]:
    from repository.material.service import create_from_path
    from repository.models import WorkflowState
    from repository.uow import UnitOfWork
    from repository.user.service import SYSTEM_USERNAME
    from repository.user.service import user as user_service
    from web.cli.common import job_runner
    from web.cli.curation import publish_imported

    ids: dict[str, str] = {}
    with UnitOfWork(rt.db) as uow:
        system = user_service.system_user(uow.session)
        for item in items:
            material, _ = create_from_path(
                rt.blobs, uow.session, system, item.path, metadata=item.metadata, state=WorkflowState.draft
            )
            ids[item.path.name] = material.id
    job_runner(rt, name="offline-tests", queues=("default",)).run_until_empty()
    rows = [{"material_id": mid} for mid in ids.values()]
    assert publish_imported(rt, rows, SYSTEM_USERNAME) == len(rows), rows
    return ids


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Library]:
    from ingest.sources.demo import demo_items
    from repository import runtime as runtime_module
    from repository.config import Settings
    from repository.db import Base
    from repository.user.service import user as user_service

    workdir = tmp_path_factory.mktemp("offline")
    settings = Settings(
        env="testing",
        data_dir=workdir / "data",
        database_url=database_url,
        in_process_worker=False,
        redis_url=None,
        max_upload_bytes=200 * 1024 * 1024,
    )
    user_service.configure_hashing(fast=True)
    rt = runtime_module.configure(settings)
    wanted = {*INITIAL, WORKSHEET}
    demo = {i.path.name: i for i in demo_items(workdir / "demo") if i.path.name in wanted}
    try:
        ids = _import(rt, [demo[name] for name in INITIAL])
        yield Library(settings=settings, runtime=rt, ids=ids, demo=demo, workdir=workdir)
    finally:
        with rt.db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        runtime_module.reset()
        rt.close()
