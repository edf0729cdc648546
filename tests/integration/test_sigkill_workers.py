"""Workers SIGKILLed again and again at the first step of scale: PostgreSQL (a fresh database),
a private Redis with RQ, the embedded search index, one real ``hoclieu serve`` and two real
``hoclieu worker`` processes. 20 files (two short videos among them) are imported with
``--approve-as``; a busy worker is SIGKILLed 10 times (and replaced each time). Within 120 s of
the last kill every file is terminal exactly once (one job row, done; no derivative doubled),
the approved materials are found by search, and no process the run started is left whose
parent is gone.

Default heartbeat settings (10 s, stale after 30 s): this is what an operator gets.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload

from repository.db import Database
from repository.migrate import upgrade
from repository.models import Job, JobStatus, MaterialFile
from repository.processes import parent_bound
from tests.conftest import REPO_ROOT, skip_or_fail
from tests.processes import descendants, marked, orphans, wait_until
from tests.servers import free_port, stop_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

KILLS = 10
# The bound. On a machine shared beyond saturation (load average 30 on 2 cores, where a
# 0.2 s ingest job takes 20 s) it cannot hold; HOCLIEU_TEST_RECOVERY_S raises it for such runs.
RECOVERY_S = float(os.environ.get("HOCLIEU_TEST_RECOVERY_S", "120"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    base = os.environ.get("HOCLIEU_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        base = os.environ.get(
            "HOCLIEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    name = f"hoclieu_kill_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL at {make_url(base).host} is not reachable: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _corpus(folder: Path) -> list[Path]:
    folder.mkdir()
    files: list[Path] = []
    topics = ["phân số", "đường tròn", "quang hợp", "chiến dịch", "thơ lục bát", "địa hình", "tế bào",
              "điện trở", "từ láy"]  # fmt: skip
    for n in range(18):
        topic = topics[n % len(topics)]
        body = f"Bài {n + 1}: {topic}. " + f"Học sinh tìm hiểu {topic} qua ví dụ và bài tập. " * 40
        kind = n % 4
        if kind == 0:
            path = folder / f"bai-{n + 1:02d}-van-ban.txt"
            path.write_text(body, encoding="utf-8")
        elif kind == 1:
            path = folder / f"bai-{n + 1:02d}-ghi-chep.md"
            path.write_text(f"# Bài {n + 1}\n\n{body}\n", encoding="utf-8")
        elif kind == 2:
            path = folder / f"bai-{n + 1:02d}-trang.html"
            path.write_text(f"<html><body><h1>Bài {n + 1}</h1><p>{body}</p></body></html>", encoding="utf-8")
        else:
            path = folder / f"bai-{n + 1:02d}-hinh.png"
            img = Image.new("RGB", (640, 480), (250, 250, 240))
            ImageDraw.Draw(img).ellipse((100 + n, 80, 500, 400), outline=(20, 60, 160), width=6)
            img.save(path)
        files.append(path)
    for n in range(2):
        path = folder / f"video-{n + 1}.mp4"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
             f"testsrc2=size=426x240:rate=25:duration={4 + n}", "-f", "lavfi", "-i",
             f"sine=frequency={440 + 100 * n}:duration={4 + n}", "-c:v", "libx264", "-preset", "ultrafast",
             "-c:a", "aac", "-shortest", str(path)],
            check=True,
        )  # fmt: skip
        files.append(path)
    return files


def _titles_by_topic(corpus: list[Path]) -> dict[str, set[str]]:
    """Each topic of :func:`_corpus` → the titles (file stems) of the text files about it."""
    found: dict[str, set[str]] = {}
    for path in corpus:
        if path.suffix in (".txt", ".md", ".html"):
            first = path.read_text(encoding="utf-8").split("Học sinh tìm hiểu ", 1)[1]
            found.setdefault(first.split(" qua ví dụ", 1)[0], set()).add(path.stem)
    return found


class Stack:
    """The processes of one deployment, all carrying a marker in their environment."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.workers: list[subprocess.Popen[bytes]] = []
        self.serve: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._n = 0

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "web.cli", *args],
            cwd=REPO_ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        self._n += 1
        log = (self.logs / f"{self._n:02d}-{args[0]}.log").open("wb")
        try:
            return subprocess.Popen(
                # Bound to the test process: an interrupted run leaves no server or worker.
                parent_bound([sys.executable, "-m", "web.cli", *args]),
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()

    def start_serve(self) -> None:
        self.port = free_port()
        self.serve = self._spawn("serve", "--port", str(self.port), "--content-port", str(free_port()))
        wait_until(lambda: self._answers("/api/v1/health/live"), 60, "hoclieu serve to answer")

    def start_worker(self) -> subprocess.Popen[bytes]:
        proc = self._spawn("worker")
        self.workers.append(proc)
        return proc

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def _answers(self, path: str) -> bool:
        assert self.serve is not None and self.serve.poll() is None, "hoclieu serve exited"
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def get(self, path: str, **params: Any) -> Any:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", params=params, timeout=30).json()

    def stop(self) -> None:
        for proc in [*self.workers, *([self.serve] if self.serve else [])]:
            stop_server(proc)


def _files(db: Database) -> list[MaterialFile]:
    with db.read() as s:
        return list(s.scalars(select(MaterialFile).options(selectinload(MaterialFile.derivatives))))


def _terminal(db: Database) -> bool:
    """Every file ready or failed, and its ingest job settled. A worker killed after a file's
    last commit but before its job row is marked done leaves the file ready and the row running
    until the stale sweep (30 s without heartbeat) runs it again, which finds nothing left to do
    and marks it done: both are waited for within the bound."""
    if not all(f.status in ("ready", "failed") for f in _files(db)):
        return False
    with db.read() as s:
        states = s.scalars(select(Job.status).where(Job.func == "ingest.tasks.process_file"))
        return all(st in (JobStatus.done, JobStatus.failed) for st in states)


def test_sigkilled_workers_leave_every_file_terminal_once_searchable_and_no_orphans(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    marker = f"HOCLIEU_TEST_RUN={uuid.uuid4().hex}"
    (tmp_path / "logs").mkdir()
    env = os.environ | {
        "HOCLIEU_ENV": "testing",
        "HOCLIEU_DATA_DIR": str(tmp_path / "data"),
        "HOCLIEU_DATABASE_URL": postgres_url,
        "HOCLIEU_REDIS_URL": redis_url,
        "HOCLIEU_LOG_LEVEL": "INFO",
        marker.split("=")[0]: marker.split("=")[1],
    }
    env.pop("HOCLIEU_OPENSEARCH_URL", None)
    stack = Stack(env, tmp_path / "logs")
    db = Database(postgres_url)
    try:
        created = stack.cli(
            "users", "create", "quan_tri", "--role", "admin", "--password-stdin", stdin="mat-khau-rat-dai-1\n"
        )
        assert created.returncode == 0, created.stderr
        stack.start_serve()
        stack.start_worker()
        stack.start_worker()
        imported = stack.cli("import", *map(str, corpus), "--approve-as", "quan_tri")
        assert imported.returncode == 0, imported.stderr
        assert len(_files(db)) == 20

        rng = random.Random(18)
        kills: list[float] = []
        for _ in range(KILLS):
            # A worker in the middle of a job: it has a work horse.
            busy = wait_until(
                lambda: [w for w in stack.live_workers() if descendants(w.pid)], 120, "a busy worker"
            )
            victim = rng.choice(busy)
            victim.send_signal(signal.SIGKILL)  # the worker only: its children must follow by themselves
            victim.wait(10)
            kills.append(time.monotonic())
            stack.start_worker()
            time.sleep(rng.uniform(0.5, 2.0))  # the kill schedule, not a wait for a condition
        last_kill = kills[-1]

        try:
            wait_until(
                lambda: _terminal(db), RECOVERY_S, "every file ready or failed, its ingest job settled"
            )
        except AssertionError as exc:
            with db.read() as s:
                rows = [
                    (j.id, j.func, j.status, j.attempts, j.worker, j.error) for j in s.scalars(select(Job))
                ]
            stuck = [(f.filename, f.status) for f in _files(db) if f.status not in ("ready", "failed")]
            raise AssertionError(f"{exc}: files {stuck}; jobs {rows}") from None
        took = time.monotonic() - last_kill
        print(f"every file terminal {took:.0f} s after the last kill; load average {os.getloadavg()}")  # noqa: T201
        files = _files(db)
        statuses = Counter(f.status for f in files)
        with db.read() as s:
            kwargs = s.scalars(select(Job.kwargs).where(Job.func == "ingest.tasks.process_file")).all()
            ingest_jobs = Counter(k["file_id"] for k in kwargs)
            job_states = Counter(s.scalars(select(Job.status).where(Job.func == "ingest.tasks.process_file")))
        # Exactly once: one ingest job per file, finished; every derivative slot filled once.
        assert sorted(ingest_jobs.values()) == [1] * 20
        assert job_states == {"done": 20}, job_states
        for f in files:
            slots = [(d.kind, d.label, d.page) for d in f.derivatives]
            assert len(slots) == len(set(slots)), f"doubled derivatives for {f.filename}"
        assert statuses == {"ready": 20}, [
            (f.filename, f.status, f.error) for f in files if f.status != "ready"
        ]
        videos = [f for f in files if f.filename.endswith(".mp4")]
        assert all(any(d.kind == "rendition" and d.label == "360p" for d in f.derivatives) for f in videos)

        # The approved materials are found by search (the serving process is the single indexer),
        # by the words of their text, not only by title: each topic finds every text file about it.
        # The index follows the database (a material's last ingest commits, then its index job
        # runs), so this is waited for within the same bound, not read once.
        expected = _titles_by_topic(corpus)

        def all_found() -> bool:
            if stack.get("/api/v1/search", size=50)["total"] != 20:
                return False
            for topic, titles in expected.items():
                hits = {h["title"] for h in stack.get("/api/v1/search", q=topic, size=50)["hits"]}
                if not titles <= hits:
                    return False
            return True

        remaining = RECOVERY_S - (time.monotonic() - last_kill)
        wait_until(all_found, max(remaining, 5), "every approved material found by its words")
        assert time.monotonic() - last_kill <= RECOVERY_S

        # No process of this run is left whose parent is gone (work horses, sandboxes, ffmpeg).
        wait_until(lambda: not orphans(marker, owners={os.getpid()}), 20, "no orphans")
        health = httpx.get(f"http://127.0.0.1:{stack.port}/api/v1/health/ready", timeout=30)
        assert health.status_code == 200, health.json()
    finally:
        stack.stop()
        db.dispose()
    wait_until(lambda: not marked(marker), 30, "every process of the run to exit")
