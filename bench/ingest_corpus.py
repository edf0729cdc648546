"""Ingest benchmark and corpus report: every file of the chosen corpora through the real pipeline.

    python bench/ingest_corpus.py                 # 02_format_robustness + 03_media + 01 documents
    python bench/ingest_corpus.py --corpus 02 --workers 2
    python bench/ingest_corpus.py --corpus docs --workers 2 --repeat 2 --code ../old-checkout   # before/after

Prints (Markdown): per detected type the count, ready/failed, mean seconds per file and per step;
failures grouped by reason; end-to-end throughput for documents (text + thumbnails) and for media;
peak RSS of the worker process and of its children. Uses a throw-away data dir and SQLite.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPORA = {
    # A mixed document set for the documents/s target: exam PDFs, teacher .doc/.ppt, curriculum
    # PDFs, Office/ODF/RTF/HTML/EPUB test documents (media and hostile files left out).
    "docs": [
        "01_vietnamese_edu/exam_pdfs_2018_thptqg",
        "01_vietnamese_edu/giaoan_teacher_docs_huytt",
        "01_vietnamese_edu/moet_curriculum_docs",
        "02_format_robustness/python-docx",
        "02_format_robustness/python-pptx",
        "02_format_robustness/minimal_files",
    ],
    "02": ["02_format_robustness"],
    "03": ["03_media"],
    "01": [
        "01_vietnamese_edu/exam_pdfs_2018_thptqg",
        "01_vietnamese_edu/giaoan_teacher_docs_huytt",
        "01_vietnamese_edu/moet_curriculum_docs",
        "01_vietnamese_edu/exam_question_images_viexam",
    ],
}
SKIP_SUFFIXES = {".tsv", ".md"}


def corpus_files(root: Path, keys: list[str]) -> list[Path]:
    files: list[Path] = []
    for key in keys:
        for folder in CORPORA[key]:
            for p in sorted((root / folder).rglob("*")):
                if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES and p.name != "SOURCES.md":
                    files.append(p)
    return files


def _descendants_cpu(roots: list[int], seen: dict[int, float]) -> None:
    """Record the CPU seconds (own user + system) of ``roots`` and all their descendants, read
    from /proc. Sampled while the workers run: the warm Tika child is never reaped by them, so
    ``RUSAGE_CHILDREN`` alone would miss it. Children that live shorter than one sample and are
    reaped by a tracked parent are counted by that parent's ``RUSAGE`` only: a lower bound."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tracked = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in stats.items():
            if ppid in tracked and pid not in tracked:
                tracked.add(pid)
                grew = True
    for pid in tracked:
        if pid in stats:
            seen[pid] = max(seen.get(pid, 0.0), stats[pid][1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="02,03,01", help="comma list of 01, 02, 03")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes, like `hoclieu worker` on each core (each keeps its own warm children)",
    )
    parser.add_argument("--limit", type=int, default=0, help="at most this many files (0: all)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="import each file N times (each copy with a distinct trailing byte run, so it is "
        "processed again rather than de-duplicated): a longer run, so steady-state "
        "throughput dominates the workers' start-up",
    )
    parser.add_argument(
        "--code",
        type=Path,
        default=REPO,
        help="checkout whose code the workers run (another commit, for a before/after in the same "
        "session; the import step always uses this checkout)",
    )
    parser.add_argument(
        "--until-ready",
        action="store_true",
        help="stop the workers once every file is ready or failed (the follow-up page previews and "
        "Office PDF renditions are left undone), so CPU time counts the ingest only",
    )
    args = parser.parse_args()

    shared = Path(os.environ.get("HOCLIEU_SHARED_DATA", REPO.parent / "shared" / "data"))
    files = corpus_files(shared, args.corpus.split(","))
    if args.limit:
        files = files[: args.limit]
    tmp = Path(tempfile.mkdtemp(prefix="hoclieu-bench-"))
    os.environ.update({"HOCLIEU_DATA_DIR": str(tmp), "HOCLIEU_LOG_LEVEL": "ERROR"})
    os.environ.pop("HOCLIEU_DATABASE_URL", None)

    import logging

    logging.basicConfig(level=logging.CRITICAL)
    from sqlalchemy import select

    from repository.material.service import create_from_path
    from repository.migrate import upgrade
    from repository.models import MaterialFile
    from repository.runtime import get_runtime
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    runtime = get_runtime()
    upgrade(runtime.db)
    origin: dict[str, Path] = {}
    if args.repeat > 1:
        copies = tmp / "copies"
        copies.mkdir()
        repeated: list[Path] = []
        for n in range(args.repeat):
            for i, path in enumerate(files):
                copy = copies / f"{n}-{i}-{path.name}"
                # Bytes after the end of a document are ignored by PDF, OLE2 and zip readers.
                copy.write_bytes(path.read_bytes() + (b"\n%" + str(n).encode() + b"\n" if n else b""))
                repeated.append(copy)
        files = repeated
    for path in files:
        with UnitOfWork(runtime.db) as uow:
            actor = user_service.system_user(uow.session)
            m, created = create_from_path(runtime.blobs, uow.session, actor, path, metadata={})
            if created:
                origin[m.files[0].id] = path
    print(
        f"{len(files)} files ({len(origin)} distinct by content), {args.workers} worker thread(s)",
        file=sys.stderr,
    )

    import subprocess

    from sqlalchemy import func

    def unfinished() -> int:
        with runtime.db.read() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(MaterialFile)
                    .where(MaterialFile.status.in_(("queued", "processing")))
                )
                or 0
            )

    started = time.perf_counter()
    load_start = os.getloadavg()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--burst", "--queue", "default"],
            cwd=args.code.resolve(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    ready_wall = None
    sampled: dict[int, float] = {}
    while any(p.poll() is None for p in procs):
        _descendants_cpu([p.pid for p in procs], sampled)
        if ready_wall is None and unfinished() == 0:
            ready_wall = time.perf_counter() - started  # every file ready/failed: text + thumbnail done
            if args.until_ready:
                for p in procs:
                    # SIGINT: the worker unwinds and its exit handlers reap the warm children, so
                    # their CPU time is counted below (SIGTERM would orphan them).
                    p.send_signal(signal.SIGINT)
        time.sleep(0.2)
    wall = time.perf_counter() - started  # page previews and Office PDF renditions included
    if ready_wall is None:
        ready_wall = wall
    # RUSAGE_CHILDREN: the largest of the worker processes and of everything they started.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_peak = worker_peak = usage.ru_maxrss / 1024
    # CPU of the workers and of the children they waited for (Tika, pdfium, ffmpeg...): on a
    # shared machine the wall clock measures the neighbours, this measures the work.
    cpu_s = usage.ru_utime + usage.ru_stime
    # The workers' own CPU is in both measures: count it once, plus every descendant seen alive.
    worker_pids = {p.pid for p in procs}
    cpu_s += sum(cpu for pid, cpu in sampled.items() if pid not in worker_pids)
    load_end = os.getloadavg()

    with runtime.db.read() as s:
        rows = list(s.scalars(select(MaterialFile)))
    by_type: dict[str, list[MaterialFile]] = collections.defaultdict(list)
    for f in rows:
        by_type[f.media_type].append(f)

    def t(f: MaterialFile, step: str | None = None) -> float:
        timings = (f.info or {}).get("timings", {})
        return float(sum(timings.values()) if step is None else timings.get(step, 0.0))

    print("\n### Per detected type\n")
    print("| media type | files | ready | failed | mean s/file | detect | text | thumbnails | media |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for media_type, group in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
        ready = sum(f.status == "ready" for f in group)
        failed = sum(f.status == "failed" for f in group)
        cells = [
            f"{statistics.mean(t(f, step) for f in group):.3f}"
            for step in ("detect", "text", "thumbnails", "media")
        ]
        mean = statistics.mean(t(f) for f in group)
        print(
            f"| {media_type} | {len(group)} | {ready} | {failed} | {mean:.3f} | "
            + " | ".join(cells)
            + " |"
        )

    print("\n### Failures by reason\n")
    reasons = collections.Counter((f.error or "?").split(":")[0][:90] for f in rows if f.status == "failed")
    print("| reason | files |")
    print("|---|---:|")
    for reason, n in reasons.most_common():
        print(f"| {reason} | {n} |")
    stuck = [f for f in rows if f.status not in ("ready", "failed")]

    docs = [f for f in rows if not f.media_type.startswith(("video/", "audio/"))]
    media = [f for f in rows if f.media_type.startswith(("video/", "audio/"))]
    print("\n### Totals\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| files | {len(rows)} |")
    print(
        f"| ready / failed / other | {sum(f.status == 'ready' for f in rows)} / "
        f"{sum(f.status == 'failed' for f in rows)} / {len(stuck)} |"
    )
    print(
        f"| wall time until every file is ready or failed (text, thumbnail, renditions) | {ready_wall:.1f} s "
        f"= {len(rows) / ready_wall:.2f} files/s with {args.workers} worker(s) |"
    )
    print(f"| wall time including page previews and Office PDF renditions | {wall:.1f} s |")
    print(f"| code run by the workers | {args.code} |")
    print(f"| load average at start / end (1 min) | {load_start[0]:.1f} / {load_end[0]:.1f} |")
    print(
        f"| CPU of the workers and their children (reaped + sampled from /proc) | {cpu_s:.1f} s = "
        f"{cpu_s / len(rows) * 1000:.0f} ms per file; on 2 idle cores at most "
        f"{2 * len(rows) / cpu_s:.1f} files/s |"
    )
    doc_s = sum(t(f) for f in docs)
    doc_rate = len(docs) / doc_s if doc_s else 0
    print(f"| documents+images: summed step time | {doc_s:.1f} s ({doc_rate:.1f} files/s per worker) |")
    media_s = sum(t(f) for f in media)
    print(f"| audio+video: summed step time | {media_s:.1f} s for {len(media)} files |")
    print(f"| peak RSS, worker process | {worker_peak:.0f} MB |")
    print(f"| peak RSS, largest child (Tika, ffmpeg, pdfium) | {child_peak:.0f} MB |")
    if stuck:
        print("\nNOT FINISHED: " + ", ".join(str(origin.get(f.id, f.filename)) for f in stuck))
        sys.exit(1)


if __name__ == "__main__":
    main()
