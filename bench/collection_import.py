"""Bulk collection import: how long a dry run, a run and a resumed run take, per file.

Usage::

    python bench/collection_import.py [--files 1000] [--size 20000]

Generates ``--files`` text files of ``--size`` bytes and a CSV in an organisation's own columns
in a temporary folder, with a temporary SQLite database and blob store, then times through
``hoclieu import --collection`` (one process each, as an operator runs it): the dry run, the run,
and a re-run where every file is skipped by content hash (what resuming costs). Ingest is not run
(``--wait`` is not given): this measures the import itself.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAPPING = """file = "Tệp"
[columns]
title = "Tên bài"
grades = "Lớp"
subjects = "Môn"
[defaults]
license = "CC-BY-4.0"
"""


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-collection-") as tmp:
        root = Path(tmp)
        folder = root / "bo-suu-tap"
        folder.mkdir()
        with open(folder / "danh-muc.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Tên bài", "Lớp", "Môn", "Tệp"])
            for n in range(args.files):
                name = f"bai-{n:06}.txt"
                body = (f"Bài {n}: phân số và số thập phân. " * (args.size // 40 + 1))[: args.size]
                (folder / name).write_text(body, encoding="utf-8")
                writer.writerow([f"Bài tập {n}", "Lớp 5", "Toán", name])
        (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
        env = os.environ | {"HOCLIEU_ENV": "testing", "HOCLIEU_DATA_DIR": str(root / "data")}
        for key in (
            "HOCLIEU_DATABASE_URL",
            "HOCLIEU_REDIS_URL",
            "HOCLIEU_OPENSEARCH_URL",
            "HOCLIEU_S3_BUCKET",
        ):
            env.pop(key, None)
        base = [sys.executable, "-m", "web.cli", "import", "--collection", str(folder / "danh-muc.csv"),
                "--mapping", str(folder / "mapping.toml")]  # fmt: skip
        repo = Path(__file__).resolve().parents[1]
        subprocess.run([sys.executable, "-m", "web.cli", "migrate"], env=env, cwd=repo, check=True,
                       capture_output=True)  # fmt: skip
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{args.files} files of {args.size} bytes; load average {load}")
        print(_row(["step", "seconds", "ms per file"]))
        print(_row(["---"] * 3))
        for step, extra in (("dry run", ["--dry-run"]), ("run", []), ("re-run (all skipped)", [])):
            started = time.perf_counter()
            done = subprocess.run([*base, *extra], env=env, cwd=repo, capture_output=True, text=True)
            took = time.perf_counter() - started
            if done.returncode != 0:
                print(done.stderr[-2000:])
                raise SystemExit(f"{step} failed")
            print(_row([step, f"{took:.1f}", f"{took * 1000 / args.files:.1f}"]))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
