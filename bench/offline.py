"""Offline benchmarks: listen-only audio size, and package build time and size.

Usage::

    python bench/offline.py listen              # a 10-minute lecture's listen-only rendition
    python bench/offline.py demo                # packages of the demo content (ingested for real)
    python bench/offline.py grade [--materials 500] [--changed 25]   # a generated grade

``listen`` encodes 10-minute synthetic sound tracks (speech-like: pink noise shaped into
syllables and pauses; a music bed; white noise, the worst case for the encoder) through the same
ffmpeg graph as ingest (:func:`ingest.processors.media.speech_args`) and reports the size.

``demo`` generates and ingests the demo materials in a temporary data dir (as ``hoclieu demo``)
and builds the package of every grade that has material.

``grade`` writes a generated grade of N approved, signed materials straight into a temporary
database and blob store with derivatives of realistic sizes (random bytes, so nothing
compresses): 15 % ten-minute video lectures (360p 8 MB + listen-only 1.8 MB + poster and
thumbnails), 50 % PDFs (8 page images of 60 KB + the 400 KB PDF), 20 % slide decks (15 page
images + a 1.2 MB PDF rendition + the 1.5 MB original), 15 % DOCX worksheets (text + 60 KB
original). It times the full package, then changes ``--changed`` materials (a new approved
version with new files) and times the update package and its application.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HOCLIEU_ENV", "testing")

MB = 1024 * 1024


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> None:
    print(_row(header))
    print(_row(["---"] * len(header)))
    for r in rows:
        print(_row(r))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- listen -------------------------------------------------------------------------------


def listen(seconds: int) -> None:
    from ingest.processors.ffmpeg import ffmpeg_exe, probe
    from ingest.processors.media import speech_rendition

    sources = {
        # Syllables (~4 per second) and pauses, formant-ish band-limited noise: a voice's envelope.
        "speech-like": (
            f"anoisesrc=d={seconds}:c=pink:a=0.5,bandpass=f=800:w=1200,"
            "volume='0.2+0.8*gt(sin(2*PI*4*t),0)*gt(sin(2*PI*0.25*t),-0.6)':eval=frame"
        ),
        "music bed": f"sine=f=220:d={seconds},aformat=channel_layouts=stereo",
        "white noise (worst case)": f"anoisesrc=d={seconds}:c=white:a=0.5",
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, graph in sources.items():
            src = tmp / "lecture.mp4"
            subprocess.run(
                [
                    ffmpeg_exe(), "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c=white:s=320x180:r=5:d={seconds}",
                    "-f", "lavfi", "-i", graph,
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "128k",
                    "-shortest", str(src),
                ],
                check=True,
            )  # fmt: skip
            out = tmp / "out"
            out.mkdir(exist_ok=True)
            info = probe(src)
            t0 = time.perf_counter()
            d = speech_rendition(src, out, info=info)
            elapsed = time.perf_counter() - t0
            assert d is not None
            size = d.path.stat().st_size
            rows.append(
                [
                    name,
                    f"{seconds / 60:.0f} min",
                    f"{size / MB:.2f} MB",
                    f"{size * 8 / 1000 / seconds:.1f}",
                    f"{elapsed:.1f} s",
                    "yes" if size <= 2.5 * MB else "NO",
                ]
            )
    print(f"\nListen-only rendition (mono Opus 24 kb/s, WebM); load average {_load()}\n")
    _table(["sound", "length", "size", "kb/s", "encode time", "≤ 2.5 MB"], rows)


# --- shared -------------------------------------------------------------------------------


def _runtime(data: Path) -> Any:
    from repository import runtime as runtime_module
    from repository.config import Settings
    from repository.db import Database
    from repository.migrate import upgrade
    from repository.user.service import user as user_service

    settings = Settings(
        env="testing",
        data_dir=data,
        database_url=f"sqlite:///{data / 'hoclieu.db'}",
        in_process_worker=False,
        redis_url=None,
    )
    data.mkdir(parents=True, exist_ok=True)
    db = Database(settings.sqlalchemy_url)
    upgrade(db)
    db.dispose()
    user_service.configure_hashing(fast=True)
    return runtime_module.configure(settings)


def _build(
    rt: Any, selection: Any, out: Path, *, base: dict[str, Any] | None = None
) -> tuple[Any, float, int]:
    from repository.offline.package import build, build_update
    from repository.signing import signer_for

    t0 = time.perf_counter()
    with rt.db.read() as session:
        if base is None:
            p = build(session, rt.blobs, signer_for(rt.settings), selection, out, source="bench")
            n = len(p.entries)
        else:
            p, changed, _ = build_update(
                session, rt.blobs, signer_for(rt.settings), base, out, source="bench", selection=selection
            )
            n = len(changed)
    return p, time.perf_counter() - t0, n


# --- demo -----------------------------------------------------------------------------------


def demo() -> None:
    from ingest.sources.demo import demo_items
    from repository.material.service import create_from_path
    from repository.models import WorkflowState
    from repository.offline.package import Selection
    from repository.uow import UnitOfWork
    from repository.user.service import SYSTEM_USERNAME
    from repository.user.service import user as user_service
    from web.cli.common import job_runner
    from web.cli.curation import publish_imported

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rt = _runtime(tmp / "data")
        items = demo_items(tmp / "demo")
        t0 = time.perf_counter()
        rows_in = []
        with UnitOfWork(rt.db) as uow:
            system = user_service.system_user(uow.session)
            for item in items:
                m, _ = create_from_path(
                    rt.blobs,
                    uow.session,
                    system,
                    item.path,
                    metadata=item.metadata,
                    state=WorkflowState.draft,
                )
                rows_in.append({"material_id": m.id})
        job_runner(rt, name="bench", queues=("default",)).run_until_empty()
        publish_imported(rt, rows_in, SYSTEM_USERNAME)
        ingest_s = time.perf_counter() - t0
        grades = sorted({g for item in items for g in item.metadata["grades"]})
        rows = []
        for g in grades:
            out = tmp / f"grade-{g}.zip"
            p, elapsed, n = _build(rt, Selection(grade=g), out)
            rows.append(
                [
                    f"lớp {g}",
                    str(len(p.manifest["materials"])),
                    str(n),
                    f"{out.stat().st_size / MB:.2f} MB",
                    f"{elapsed:.2f} s",
                ]
            )
        rt.close()
    print(f"\nDemo content ({len(items)} materials, ingested in {ingest_s:.0f} s); load average {_load()}\n")
    _table(["package", "materials", "files", "zip size", "build time"], rows)


# --- generated grade --------------------------------------------------------------------------

MIX = (
    # kind, share, original (media type, name, size), derivatives [(kind, label, media type, size, count)]
    (
        "video",
        0.15,
        # The original is not packaged (its 360p rendition is): its size does not matter here.
        ("video/mp4", "bai-giang.mp4", 1 * MB),
        [
            ("rendition", "360p", "video/mp4", 8 * MB, 1),
            ("rendition", "speech", "audio/webm", int(1.8 * MB), 1),
            ("poster", "", "image/webp", 30_000, 1),
            ("thumbnail", "small", "image/webp", 3_000, 1),
            ("thumbnail", "large", "image/webp", 12_000, 1),
        ],
    ),
    (
        "pdf",
        0.50,
        ("application/pdf", "tai-lieu.pdf", 400_000),
        [("preview", "", "image/webp", 60_000, 8), ("thumbnail", "small", "image/webp", 3_000, 1)],
    ),
    (
        "deck",
        0.20,
        (
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "bai-giang.pptx",
            int(1.5 * MB),
        ),
        [
            ("preview", "", "image/webp", 50_000, 15),
            ("pdf", "", "application/pdf", int(1.2 * MB), 1),
            ("thumbnail", "small", "image/webp", 3_000, 1),
        ],
    ),
    (
        "docx",
        0.15,
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "phieu.docx", 60_000),
        [("text", "", "text/plain", 8_000, 1), ("thumbnail", "small", "image/webp", 3_000, 1)],
    ),
)


def _blob(rt: Any, size: int) -> Any:
    staged = rt.blobs.stage()
    left = size
    while left > 0:
        n = min(left, MB)
        staged.write(os.urandom(n))
        left -= n
    return staged.commit()


def _material(rt: Any, session: Any, system: Any, i: int, kind: str, original: Any, derivs: Any) -> str:
    from repository.material.service import NewFile
    from repository.material.service import material as material_service
    from repository.models import Derivative, IngestStatus

    chapter = i // 40 + 1
    lesson = i // 4 + 1
    meta = {
        "title": f"Học liệu {i + 1}: bài {lesson} ({kind})",
        "description": "Tài liệu sinh tự động cho đo hiệu năng gói ngoại tuyến, phân số và số thập phân.",
        "grades": [5],
        "subjects": ["toan"],
        "series": "ket-noi-tri-thuc",
        "type": "video-bai-giang" if kind == "video" else "tai-lieu-tham-khao",
        "chapter": f"Chủ đề {chapter}",
        "lesson": f"Bài {lesson}: Bài học số {lesson}",
        "license": "CC-BY-4.0",
        "language": "vi",
    }
    media_type, name, size = original
    new = NewFile(filename=name, blob=_blob(rt, size), media_type=media_type)
    m = material_service.create(session, system, metadata=meta, files=[new])
    f = m.files[0]
    f.status = IngestStatus.ready.value
    for dkind, label, dtype, dsize, count in derivs:
        for page in range(1, count + 1):
            b = _blob(rt, dsize)
            f.derivatives.append(
                Derivative(
                    kind=dkind,
                    label=label,
                    page=page if dkind == "preview" else 0,
                    media_type=dtype,
                    size=b.size,
                    sha256=b.sha256,
                    storage_key=b.key,
                    width=640,
                    height=360,
                )
            )
    session.flush()
    return m.id


def grade(materials: int, changed: int) -> None:
    from sqlalchemy.orm import selectinload

    from repository.curation.decisions import reviews
    from repository.models import MaterialFile
    from repository.offline.package import Selection, apply_update, extract, read_document
    from repository.signing import signer_for
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rt = _runtime(tmp / "data")
        signer = signer_for(rt.settings)
        plan_kinds = []
        for kind, share, original, derivs in MIX:
            plan_kinds += [(kind, original, derivs)] * round(materials * share)
        plan_kinds = plan_kinds[:materials]
        t0 = time.perf_counter()
        ids = []
        for start in range(0, len(plan_kinds), 50):
            with UnitOfWork(rt.db) as uow:
                system = user_service.system_user(uow.session)
                for i in range(start, min(start + 50, len(plan_kinds))):
                    kind, original, derivs = plan_kinds[i]
                    ids.append(_material(rt, uow.session, system, i, kind, original, derivs))
            with UnitOfWork(rt.db) as uow:
                system = user_service.system_user(uow.session)
                for mid in ids[start:]:
                    reviews.publish_direct(uow.session, system, mid, signer=signer, note="bench")
        gen_s = time.perf_counter() - t0
        blobs_mb = sum(p.stat().st_size for p in (tmp / "data" / "blobs").rglob("*") if p.is_file()) / MB
        selection = Selection(grade=5, subject="toan")
        full = tmp / "full.zip"
        p, full_s, n = _build(rt, selection, full)
        rows = [
            [
                "full package",
                str(len(p.manifest["materials"])),
                str(n),
                f"{full.stat().st_size / MB:.0f} MB",
                f"{full_s:.1f} s",
                f"{full.stat().st_size / MB / full_s:.0f} MB/s",
            ]
        ]
        # A term later: `changed` materials get a new PDF page image set (re-ingested, re-approved).
        base = read_document(full)
        with UnitOfWork(rt.db) as uow:
            for mid in ids[:: max(1, len(ids) // max(1, changed))][:changed]:
                f = (
                    uow.session.query(MaterialFile)
                    .options(selectinload(MaterialFile.derivatives))
                    .filter_by(material_id=mid)
                    .one()
                )
                for d in f.derivatives:
                    if d.kind in ("preview", "thumbnail"):
                        b = _blob(rt, d.size)
                        d.sha256, d.storage_key = b.sha256, b.key
        update = tmp / "update.zip"
        _p2, upd_s, n2 = _build(rt, selection, update, base=base)
        rows.append(
            [
                f"update ({changed} changed)",
                str(len(_p2.manifest["materials"])),
                str(n2),
                f"{update.stat().st_size / MB:.1f} MB",
                f"{upd_s:.1f} s",
                "",
            ]
        )
        usb = tmp / "usb"
        extract(full, usb)
        t0 = time.perf_counter()
        report = apply_update(usb, update)
        apply_s = time.perf_counter() - t0
        rows.append(
            [
                "apply update + verify",
                "",
                str(report.files),
                "",
                f"{apply_s:.1f} s",
                "ok" if report.ok else "FAILED",
            ]
        )
        rt.close()
        shutil.rmtree(tmp / "data", ignore_errors=True)
    print(
        f"\nGenerated grade 5 maths: {materials} materials, {blobs_mb:.0f} MB of blobs generated in "
        f"{gen_s:.0f} s; load average {_load()}\n"
    )
    _table(["what", "materials", "files", "size", "time", "throughput"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p_listen = sub.add_parser("listen")
    p_listen.add_argument("--seconds", type=int, default=600)
    sub.add_parser("demo")
    p_grade = sub.add_parser("grade")
    p_grade.add_argument("--materials", type=int, default=500)
    p_grade.add_argument("--changed", type=int, default=25)
    args = parser.parse_args()
    if args.what == "listen":
        listen(args.seconds)
    elif args.what == "demo":
        demo()
    else:
        grade(args.materials, args.changed)


if __name__ == "__main__":
    main()
