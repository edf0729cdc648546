# A benchmark reports by printing its table.
"""Search speed on generated Vietnamese materials: indexing, full reindex, query latency, memory.

    python bench/search_speed.py                 # 100 000 materials
    python bench/search_speed.py --docs 1000000  # the 1M target (about 10x the time and disk)

Materials are generated from real text: sentences of the grade-12 textbook pages and VNHSGE
questions in ``../shared/data`` (shuffled into new bodies of ~120 words, some with 3 pages), titles
from the curriculum lesson names, metadata (grade, subject, type, series) drawn consistently.

Measured: indexing docs/s and full reindex time (one ``reindex`` = delete all + add + one
commit); query latency p50/p95/p99 for a mix of accented, accent-free, filtered, faceted, phrase
and question queries (real questions of 8-15 syllables from ``05_vietnamese_questions``, as typed
and accent-free; all with facets and snippets) through ``search.service`` in-process (cache misses,
then the same queries again as cache hits), through HTTP (server without result cache)
(uvicorn on loopback, a separate process) with 1 and 16 concurrent clients, and raw Tantivy
(parsed folded query on title+body, top 10 with count, no facets or snippets) for the ratio;
peak RSS (VmHWM) of the serving process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import numpy as np

from repository import vectors
from repository.config import Settings
from repository.text import fold, nfc
from repository.vocabularies import get_vocabulary
from search.backends._cache import cache_key
from search.documents import SearchDocument
from search.query import SearchQuery
from search.service import backend_for, close_backend
from search.service import search as search_service

ROOT = Path(__file__).resolve().parents[1]
SERIES = ("ket-noi-tri-thuc", "chan-troi-sang-tao", "canh-dieu")
TYPES = ("bai-giang-dien-tu", "phieu-hoc-tap", "de-kiem-tra", "ke-hoach-bai-day", "tai-lieu-tham-khao")


def sentences(data: Path) -> list[str]:
    out: list[str] = []
    pages = data / "01_vietnamese_edu/textbook_ocr_grade12_chatbot-vnhsge/textbook_pages.jsonl"
    exams = data / "01_vietnamese_edu/vnhsge/vnhsge_flat.jsonl"
    for path, key in ((pages, "text"), (exams, "explanation")):
        for line in path.open(encoding="utf-8"):
            text = json.loads(line).get(key) or ""
            out += [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", nfc(text)) if len(s.split()) >= 5]
    return out


def lessons(data: Path) -> list[tuple[str, int, str]]:
    subjects = get_vocabulary("subject")
    rows = (
        (data / "04_vn_curriculum_taxonomy/queries/DERIVED_subject_grade_lesson_queries.tsv")
        .read_text(encoding="utf-8")
        .splitlines()[1:]
    )
    out = []
    for row in rows:
        parts = row.split("\t")
        term = subjects.lookup(parts[0], grade=int(parts[1])) if len(parts) > 2 else None
        if term is not None:
            out.append((nfc(parts[2]), int(parts[1]), term.code))
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / np.linalg.norm(v))


def generate(
    n: int, sents: list[str], titles: list[tuple[str, int, str]], seed: int
) -> Iterator[SearchDocument]:
    rng = random.Random(seed)
    # Random vectors of the stored size (repository.vectors): what the questions' third stage
    # costs, not the order it gives (computing real ones takes ~0.25 s a material).
    noise = np.random.default_rng(seed)
    for i in range(n):
        title, grade, subject = rng.choice(titles)
        body_sents = rng.sample(sents, 8)
        pages = [(p + 1, " ".join(body_sents[p * 3 : p * 3 + 3])) for p in range(3)] if i % 4 == 0 else []
        yield SearchDocument(
            id=f"m{i:07d}",
            title=f"{title} ({rng.choice(('bài giảng', 'phiếu', 'đề', 'giáo án'))} {i % 97})",
            description=body_sents[0],
            body=" ".join(body_sents),
            pages=pages,
            grades=[grade],
            subjects=[subject],
            type=rng.choice(TYPES),
            series=rng.choice(SERIES),
            language="vi",
            public=i % 10 != 0,
            popularity=rng.randint(0, 500),
            version=1,
            vector=vectors.encode(_unit(noise.standard_normal(vectors.DIM))),
        )


def questions(data: Path) -> list[str]:
    """Real questions of 8-15 syllables from ``05_vietnamese_questions``, as typed."""
    out: list[str] = []
    for path in sorted((data / "05_vietnamese_questions").glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for para in article["paragraphs"]:
                out += [nfc(qa["question"]) for qa in para["qas"] if 8 <= len(qa["question"].split()) <= 15]
    return out


KINDS = (
    "3 words accented",
    "3 words accent-free",
    "title + grade + subject",
    "2 words + type",
    '"phrase"',
    "question accented",
    "question accent-free",
)


def query_mix(
    titles: list[tuple[str, int, str]], sents: list[str], asked: list[str], n: int, seed: int
) -> list[tuple[str, SearchQuery]]:
    """``n`` distinct queries, the kinds of :data:`KINDS` in turn."""
    rng = random.Random(seed)
    out: list[tuple[str, SearchQuery]] = []
    seen: set[Hashable] = set()
    i = 0
    while len(out) < n:
        title, grade, subject = rng.choice(titles)
        ws = rng.choice(sents).split()
        start = rng.randint(0, max(0, len(ws) - 3))
        words3 = " ".join(ws[start : start + 3])
        kind = i % len(KINDS)
        i += 1
        if kind == 0:
            q = SearchQuery(words3)
        elif kind == 1:
            q = SearchQuery(fold(words3).lower())
        elif kind == 2:
            q = SearchQuery(fold(title).lower()[:40], grades=[grade], subjects=[subject])
        elif kind == 3:
            q = SearchQuery(" ".join(ws[start : start + 2]), types=[rng.choice(TYPES)])
        elif kind == 4:
            q = SearchQuery('"' + " ".join(ws[start : start + 2]) + '"')
        elif kind == 5:
            q = SearchQuery(rng.choice(asked))
        else:
            q = SearchQuery(fold(rng.choice(asked)).lower())
        if cache_key(q) not in seen:  # distinct, so the first pass is all cache misses
            seen.add(cache_key(q))
            out.append((KINDS[kind], q))
    return out


def pct(values: list[float]) -> tuple[float, float, float]:
    qs = statistics.quantiles(values, n=100, method="inclusive")
    return qs[49], qs[94], qs[98]


def timed(fn: Callable[[SearchQuery], object], queries: list[SearchQuery]) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def params(q: SearchQuery) -> list[tuple[str, str | int | float | bool | None]]:
    p: list[tuple[str, str | int | float | bool | None]] = [("q", q.text)]
    p += [("grade", g) for g in q.grades] + [("subject", s) for s in q.subjects]
    p += [("type", t) for t in q.types]
    return p


def http_run(url: str, queries: list[SearchQuery], clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [queries[i::clients] for i in range(clients)]

    def work(chunk: list[SearchQuery]) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            for q in chunk:
                t = time.perf_counter()
                r = c.get("/api/v1/search", params=params(q))
                r.raise_for_status()
                with lock:
                    latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(ch,)) for ch in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, len(queries) / (time.perf_counter() - started)


SERVER_APP = """
import sys
sys.path.insert(0, {root!r})
from repository import vectors
from repository.config import Settings
from repository.runtime import build_runtime
from web.app import create_app


def app():
    # Read-only search in every worker: no in-process job runner, so no writer lock is taken.
    settings = Settings(data_dir={data!r}, in_process_worker=False)
    return create_app(settings, runtime=build_runtime(settings), run_worker=False)
"""

SERVER = """
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {data!r})
from repository import vectors
from repository.config import Settings
from repository.migrate import upgrade
from repository.runtime import build_runtime
from web.multiproc import run_server
if __name__ == "__main__":
    upgrade(build_runtime(Settings(data_dir={data!r}, in_process_worker=False)).db)
    # run_server, not uvicorn.run: with workers > 1 it keeps TCP_NODELAY on (see web/serve.py)
    run_server("hoclieu_bench_server:app", factory=True, host="127.0.0.1", port={port},
               workers={workers}, log_level="warning", access_log=False)
"""


def peak_rss_mb(pid: int) -> float:
    """VmHWM of ``pid`` and its child processes (uvicorn workers), in MB."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        pids += [int(c) for c in children]
    total = 0
    for p in pids:
        status = Path(f"/proc/{p}/status").read_text()
        total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    return total / 1024


def http_bench(
    root: str, data: str, port: int, workers: int, queries: list[SearchQuery]
) -> list[tuple[str, str]]:
    """Serve ``data`` with uvicorn (``workers`` processes) and query it with 1 and 16 clients."""
    (Path(data) / "hoclieu_bench_server.py").write_text(SERVER_APP.format(root=root, data=data))
    # No result cache in the server: the 1- and 16-client runs ask the same queries, and the
    # targets are for misses (the cache's hit latency is measured in-process above). The 16 clients
    # share one address: the per-address rate limit would measure 429s.
    env = dict(
        os.environ,
        HOCLIEU_ENV="development",
        HOCLIEU_SEARCH_CACHE_SIZE="0",
        HOCLIEU_RATE_LIMIT_ANONYMOUS_PER_MINUTE="0",
    )
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(root=root, data=data, port=port, workers=workers)], env=env
    )
    rows: list[tuple[str, str]] = []
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(url + "/api/v1/health", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        http_run(url, queries[:50], 16 if workers > 1 else 1)  # warm every worker
        for clients in (1, 16):
            lat, rps = http_run(url, queries, clients)
            rows.append(
                (
                    f"HTTP {workers} worker(s), {clients:>2} client(s) p50 / p95 / p99",
                    "{:.1f} / {:.1f} / {:.1f} ms".format(*pct(lat)) + f", {rps:,.0f} req/s",
                )
            )
        rows.append((f"serving peak RSS, {workers} worker(s) (sum)", f"{peak_rss_mb(server.pid):,.0f} MB"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (0: a free one)")
    parser.add_argument(
        "--http-workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="uvicorn worker processes to measure HTTP with (one run each)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="data folder to build in and keep; an index already holding --docs "
        "materials there is reused (no indexing measured)",
    )
    parser.add_argument(
        "--one-build",
        action="store_true",
        help="build once (reindex into an empty index) instead of build + full reindex",
    )
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            args.port = sock.getsockname()[1]
    load_start = " ".join(f"{v:.2f}" for v in os.getloadavg())
    sents, titles = sentences(args.data), lessons(args.data)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = str(args.keep or scratch)
        settings = Settings(data_dir=Path(tmp), in_process_worker=False)
        backend = backend_for(settings)
        if backend.count() != args.docs:
            t = time.perf_counter()
            n = backend.reindex(generate(args.docs, sents, titles, 1))
            build_s = time.perf_counter() - t
            rows.append(("indexing (generate + analyse + commit)", f"{n / build_s:,.0f} docs/s"))
            if args.one_build:
                rows.append(("full reindex (the build above)", f"{build_s:.1f} s"))
            else:
                t = time.perf_counter()
                backend.reindex(generate(args.docs, sents, titles, 1))
                rows.append(("full reindex", f"{time.perf_counter() - t:.1f} s"))
        backend.refresh()
        size = sum(f.stat().st_size for f in (Path(tmp) / "index").rglob("*") if f.is_file())
        rows.append(("index size", f"{size / 1e6:,.0f} MB"))
        mix = query_mix(titles, sents, questions(args.data), args.queries + 50, 2)
        queries = [q for _kind, q in mix[50:]]
        timed(lambda q: search_service.search_page(settings, None, q), [q for _k, q in mix[:50]])  # warm up
        # Cache misses: every query of the mix is distinct and has not been asked yet.
        svc = timed(lambda q: search_service.search_page(settings, None, q), queries)
        rows.append(("service, cache miss p50 / p95 / p99", "{:.1f} / {:.1f} / {:.1f} ms".format(*pct(svc))))
        by_kind: dict[str, list[float]] = {}
        for (kind, _q), ms in zip(mix[50:], svc, strict=True):
            by_kind.setdefault(kind, []).append(ms)
        for kind in KINDS:
            rows.append((f"  {kind}: p50 / p95 (miss)", "{:.1f} / {:.1f} ms".format(*pct(by_kind[kind])[:2])))
        hit = timed(lambda q: search_service.search_page(settings, None, q), queries)
        rows.append(("service, cache hit p50 / p95 / p99", "{:.2f} / {:.2f} / {:.2f} ms".format(*pct(hit))))
        # Served from the cache again: which searches counted only their candidates (common words
        # gated out, or a broad query pruned), so their total is "at least".
        cut = sum(search_service.search_page(settings, None, q).total_approximate for q in queries)
        rows.append(("searches with an approximate total (candidates only)", f"{cut} of {len(queries)}"))
        index = backend._index  # type: ignore[attr-defined]

        def raw(q: SearchQuery) -> None:
            query, _ = index.parse_query_lenient(fold(q.text).lower().replace('"', " "), ["title", "body"])
            s = index.searcher()
            for _score, addr in s.search(query, 10, count=True).hits:
                s.doc(addr)

        raw_t = timed(raw, queries)
        rows.append(("raw tantivy p50 / p95 / p99", "{:.1f} / {:.1f} / {:.1f} ms".format(*pct(raw_t))))
        rows.append(("service miss / raw (p50)", f"{pct(svc)[0] / max(pct(raw_t)[0], 1e-6):.1f}x"))
        close_backend(settings)
        for workers in args.http_workers:
            rows += http_bench(str(ROOT), tmp, args.port, workers, queries)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"\n{args.docs:,} materials, {args.queries} distinct queries ({', '.join(KINDS)}; every query "
        f"with facets and snippets); load average at the start {load_start}, at the end {load}\n"
    )
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
