"""Materials for the end-to-end search tests: real DB rows, real text derivatives, real jobs."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from repository.jobs import JobRunner
from repository.material.service import index_job
from repository.models import Derivative, Material, Role, WorkflowState
from repository.runtime import Runtime
from repository.uow import UnitOfWork
from search.service import backend_for
from tests.factories import create_material, create_user


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    state: WorkflowState = WorkflowState.approved
    meta: dict[str, Any] | None = None
    text: str = ""
    pages: tuple[tuple[int, str], ...] = ()


CORPUS = (
    Spec(
        "phan-so-5",
        "Phân số và các phép tính với phân số",
        meta={
            "grades": [5],
            "subjects": ["toan"],
            "type": "bai-giang-dien-tu",
            "series": "ket-noi-tri-thuc",
            "volume": 1,
            "chapter": "Chương 1: Ôn tập và bổ sung về phân số",
            "lesson": "Bài 2: Phân số thập phân",
        },
        text="Phân số thập phân là phân số có mẫu số là 10, 100, 1000. Học sinh luyện tập rút gọn phân số.",
        pages=((1, "Ôn tập khái niệm phân số."), (2, "Phân số thập phân có mẫu số 10, 100, 1000.")),
    ),
    Spec(
        "hinh-tron-5",
        "Hình tròn, đường tròn",
        meta={
            "grades": [5],
            "subjects": ["toan"],
            "type": "phieu-hoc-tap",
            "series": "canh-dieu",
            "chapter": "Chương 3: Hình học",
            "lesson": "Bài 20: Hình tròn",
        },
        text="Chu vi hình tròn bằng đường kính nhân với số pi. Diện tích hình tròn.",
    ),
    Spec(
        "nhan-4",
        "Phép nhân với số có hai chữ số",
        meta={"grades": [4], "subjects": ["toan"], "type": "phieu-hoc-tap", "series": "ket-noi-tri-thuc"},
        text="Luyện tập phép nhân, đặt tính rồi tính.",
    ),
    Spec(
        "tap-doc-5",
        "Tập đọc: Người công dân số Một",
        meta={"grades": [5], "subjects": ["tieng-viet"], "type": "bai-giang-dien-tu"},
        text="Bài tập đọc về người thanh niên yêu nước. Học sinh đọc diễn cảm.",
    ),
    Spec(
        "ma-tran-10",
        "Mã hoá thông tin trong máy tính",
        meta={"grades": [10], "subjects": ["tin-hoc"], "type": "tai-lieu-tham-khao"},
        text="Mã nhị phân, mã ASCII và Unicode. Máy tính dùng mã để lưu văn bản.",
    ),
    Spec(
        "ma-qui-10",
        "Truyện ma dân gian và lễ hội",
        meta={"grades": [10], "subjects": ["ngu-van"], "type": "tai-lieu-tham-khao"},
        text="Những câu chuyện ma trong văn học dân gian, ma cà rồng, ma trơi.",
    ),
    # Unapproved: these must never be reachable through any public search endpoint.
    Spec(
        "nhap-toan-5",
        "Toán lớp 5 nâng cao: phân số bí mật",
        state=WorkflowState.draft,
        meta={
            "grades": [5],
            "subjects": ["toan"],
            "type": "de-kiem-tra",
            "series": "chan-troi-sang-tao",
            "chapter": "Chương bí mật",
            "lesson": "Bài bí mật",
        },
        text="Phân số bí mật chưa duyệt. Toán lớp 5.",
    ),
    Spec(
        "cho-duyet-5",
        "Toán 5: phân số chờ duyệt",
        state=WorkflowState.submitted,
        meta={"grades": [5], "subjects": ["toan"], "type": "de-kiem-tra", "language": "en"},
        text="Phân số đang chờ duyệt.",
    ),
)

SECRET_IDS_KEYS = ("nhap-toan-5", "cho-duyet-5")


def _blob(runtime: Runtime, data: bytes) -> tuple[str, str, int]:
    staged = runtime.blobs.stage()
    staged.write(data)
    info = staged.commit()
    return info.key, hashlib.sha256(data).hexdigest(), len(data)


def add_text(runtime: Runtime, material: Material, text: str, pages: tuple[tuple[int, str], ...]) -> None:
    """Attach ``text`` derivatives to the material's first file, as ingest does."""
    f = material.files[0]
    if text:
        key, sha, size = _blob(runtime, text.encode("utf-8"))
        f.derivatives.append(
            Derivative(
                kind="text", label="", page=0, media_type="text/plain", size=size, sha256=sha, storage_key=key
            )
        )
    if pages:
        data = json.dumps([[p, t] for p, t in pages], ensure_ascii=False).encode("utf-8")
        key, sha, size = _blob(runtime, data)
        f.derivatives.append(
            Derivative(
                kind="text",
                label="pages",
                page=0,
                media_type="application/json",
                size=size,
                sha256=sha,
                storage_key=key,
            )
        )


def populate(runtime: Runtime, specs: tuple[Spec, ...] = CORPUS, *, run: bool = True) -> dict[str, str]:
    """Create the materials (committed, with their outbox rows); run the index queue if ``run``.

    Returns ``{spec key: material id}``.
    """
    ids: dict[str, str] = {}
    with UnitOfWork(runtime.db) as uow:
        admin = create_user(uow.session, username="quan_tri", role=Role.admin)
        for n, spec in enumerate(specs):
            m = create_material(
                uow.session,
                runtime,
                admin,
                title=spec.title,
                state=spec.state,
                content=f"%PDF-1.4 {spec.key} {n}".encode(),
                filename=f"{spec.key}.pdf",
                metadata=dict(spec.meta or {}),
            )
            add_text(runtime, m, spec.text, spec.pages)
            uow.session.flush()
            index_job(uow.session, m.id)  # the text changed: the projection must be rebuilt
            ids[spec.key] = m.id
    if run:
        run_index_queue(runtime)
    return ids


def set_state(runtime: Runtime, material_id: str, state: WorkflowState, *, run: bool = True) -> None:
    """A workflow transition as curation makes it: state change + outbox row, one transaction."""
    with UnitOfWork(runtime.db) as uow:
        m = uow.session.get(Material, material_id)
        assert m is not None
        m.state = state.value
        index_job(uow.session, material_id)
    if run:
        run_index_queue(runtime)


def run_index_queue(runtime: Runtime) -> int:
    """Apply the search outbox (queue "index" only: the fake PDFs are not for the ingest tests)."""
    n = JobRunner(runtime.db, name="test-indexer", queues=("index",)).run_until_empty()
    backend_for(runtime.settings).refresh()
    return n


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)
