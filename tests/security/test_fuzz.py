"""Property-based fuzzing of every API operation with schemathesis, against a real server on this
session's database (SQLite, or PostgreSQL under ``HOCLIEU_DATABASE_URL``: ``.ci/run`` runs both).

Three identities (anonymous, a teacher, an admin), each a bounded, seeded run of the coverage,
fuzzing and stateful phases (``MAX_EXAMPLES`` per operation). The checks: no HTTP 500, and every
response matches the schema the OpenAPI document declares for its status code (errors included).
The JSON report of each run is kept in the test's temporary folder; the figures are attached to
the test report as the ``fuzz`` property.

Failures found and fixed with it are listed in ``tests/security/README.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from repository.models import Role
from tests.conftest import REPO_ROOT
from tests.factories import PASSWORD, make_user
from tests.servers import start_server, stop_server

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = int(os.environ.get("HOCLIEU_FUZZ_MAX_EXAMPLES", "10"))
SEED = 20261205
CHECKS = "not_a_server_error,response_schema_conformance"


def _token(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=60)
    r.raise_for_status()
    return str(r.json()["access_token"])


def _seed(base: str, teacher: str) -> None:
    """One material with a file, so operations on ids have something real to reach."""
    files = {"file": ("phan-so.txt", "Phân số lớp 5: tử số và mẫu số.".encode(), "text/plain")}
    data = {"metadata": json.dumps({"title": "Phân số", "grades": [5], "subjects": ["toan"]})}
    r = httpx.post(
        f"{base}/api/v1/materials",
        files=files,
        data=data,
        headers={"Authorization": f"Bearer {teacher}"},
        timeout=60,
    )
    assert r.status_code == 201, r.text


def run_schemathesis(base: str, workdir: Path, *, token: str | None) -> dict[str, Any]:
    report = workdir / "schemathesis.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = os.environ | {
        "SCHEMATHESIS_HOOKS": "tests.security.schemathesis_hooks",
        "PYTHONPATH": str(REPO_ROOT),
    }
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    (workdir / "schemathesis.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    result["output_tail"] = done.stdout[-6000:]
    return result


@pytest.mark.parametrize("who", ["anonymous", "teacher", "admin"])
def test_no_server_error_and_no_schema_violation(
    runtime: Any, tmp_path: Path, who: str, record_property: Any
) -> None:
    make_user(runtime, "co_lan", Role.teacher)
    make_user(runtime, "quan_tri", Role.admin)
    # No rate limits: every generated request must reach the API (a 429 would hide it).
    port, proc = start_server(
        runtime,
        timeout=120,
        # A whole deployment: this server also runs the ingest queue, so /health/ready is 200
        # (a server with an unserved queue answers 503 there by design, which is no crash).
        env={
            "HOCLIEU_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
            "HOCLIEU_RATE_LIMIT_CLIENT_PER_MINUTE": "0",
            "HOCLIEU_IN_PROCESS_WORKER": "true",
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        teacher = _token(base, "co_lan")
        _seed(base, teacher)
        token = {"anonymous": None, "teacher": teacher, "admin": _token(base, "quan_tri")}[who]
        result = run_schemathesis(base, tmp_path, token=token)
    finally:
        stop_server(proc)
    figures = {
        "who": who,
        "database": runtime.db.engine.dialect.name,
        "operations": result["operations"],
        "test_cases": result["test_cases"],
        "phases": {name: phase["status"] for name, phase in result["phases"].items()},
        "failures": result["failures"],
        "errors": result["errors"],
    }
    record_property("fuzz", json.dumps(figures))
    (tmp_path / "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    assert result["operations"]["tested"] == result["operations"]["total"], figures
    assert result["failures"] == [], result["output_tail"]
    assert result["errors"] == [], result["output_tail"]
    assert result["test_cases"]["with_failures"] == 0, result["output_tail"]
    assert result["test_cases"]["generated"] > 0
