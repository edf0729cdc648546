"""``hoclieu import`` of an organisation's collection: a CSV in the organisation's own columns, a
mapping file, ``--dry-run`` that writes nothing, a resumable run (a SIGKILLed import re-run without
duplicates) and the CSV/JSON report (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from repository.db import Base
from repository.metadata import metadata_title_from_filename
from repository.models import Material, MaterialFile, Role
from repository.organisation.schemas import MemberAdd, OrganisationCreate
from repository.organisation.service import organisations
from repository.uow import UnitOfWork
from tests.repository.curation.helpers import person
from web.cli import main

MAPPING = """\
file = "Tệp"

[columns]
title = "Tên bài"
grades = "Lớp"
subjects = "Môn"
authors = "Tác giả"
keywords = "Từ khoá"
license = "Giấy phép"

[values.subjects]
"Toán học" = "toan"

[defaults]
license = "CC-BY-4.0"
type = "phieu-hoc-tap"

[separators]
keywords = ","
"""

HEADER = ["STT", "Tên bài", "Lớp", "Môn", "Tác giả", "Từ khoá", "Giấy phép", "Tệp"]


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def org(runtime: Any) -> str:
    """The organisation dhsp (its manager co_nga imports) and an outsider, co_lan."""
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        admin = person(s, "quan_tri", Role.admin)
        person(s, "co_nga", Role.teacher)
        person(s, "co_lan", Role.teacher)
        organisations.create(
            s,
            admin,
            OrganisationCreate(slug="dhsp", name="ĐH Sư phạm", kind="university"),  # type: ignore[arg-type]
        )
        organisations.add_member(s, admin, "dhsp", MemberAdd(username="co_nga", role="manager"))  # type: ignore[arg-type]
    return "dhsp"


def write_collection(folder: Path, rows: list[list[str]], files: dict[str, bytes]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    table = folder / "danh-muc.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return table, mapping


@pytest.fixture
def collection(tmp_path: Path) -> tuple[Path, Path]:
    """Seven rows: three good ones (one in a subfolder), then one problem each."""
    (tmp_path / "secret.txt").write_text("outside the collection", encoding="utf-8")
    files = {
        "phan-so.txt": "Phân số: tử số và mẫu số.".encode(),
        "bai/so-thap-phan.txt": "Số thập phân và phần nguyên.".encode(),
        "hinh-tron.txt": "Chu vi hình tròn.".encode(),
        "lop-muoi-lam.txt": "Một lớp không có.".encode(),
        "mon-la.txt": "Một môn không có.".encode(),
        "ban-sao.txt": "Phân số: tử số và mẫu số.".encode(),  # the same bytes as phan-so.txt
    }
    rows = [
        [
            "1",
            "Phân số",
            "Lớp 5",
            "Toán học",
            "Nguyễn Thị Lan; Trần Văn Minh",
            "phân số, tử số",
            "",
            "phan-so.txt",
        ],
        ["2", "Số thập phân", "5", "Toán", "", "", "CC BY 4.0", "bai/so-thap-phan.txt"],
        ["3", "", "4;5", "toan", "", "", "", "hinh-tron.txt"],  # the title comes from the file name
        ["4", "Lớp mười lăm", "Lớp 15", "Toán", "", "", "", "lop-muoi-lam.txt"],
        ["5", "Môn lạ", "5", "Thiên văn", "", "", "", "mon-la.txt"],
        ["6", "Ra ngoài", "5", "Toán", "", "", "", "../secret.txt"],
        ["7", "Không có tệp", "5", "Toán", "", "", "", "khong-co.pdf"],
        ["8", "Bản sao", "5", "Toán", "", "", "", "ban-sao.txt"],
    ]
    return write_collection(tmp_path / "bo-suu-tap", rows, files)


def snapshot(runtime: Any) -> dict[str, Any]:
    """Every table's row count and every file under the blob store."""
    with runtime.db.read() as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    root = Path(runtime.settings.blob_dir)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return {"counts": counts, "blobs": files}


class TestDryRun:
    def test_writes_nothing_and_names_every_problem(
        self, runtime: Any, org: str, collection: tuple[Path, Path], tmp_path: Path
    ) -> None:
        table, mapping = collection
        before = snapshot(runtime)
        report = tmp_path / "bao-cao" / "kiem-tra"
        r = _run(
            "import",
            "--collection",
            str(table),
            "--mapping",
            str(mapping),
            "--owner",
            "co_nga",
            "--organisation",
            org,
            "--dry-run",
            "--report",
            str(report),
        )
        assert r.exit_code == 1, r.output  # problems found
        assert snapshot(runtime) == before
        body = json.loads((tmp_path / "bao-cao" / "kiem-tra.json").read_text(encoding="utf-8"))
        assert body["dry_run"] is True
        by_row = {row["row"]: row for row in body["rows"]}  # line numbers of the CSV (header = 1)
        assert [by_row[n]["status"] for n in range(2, 10)] == [
            "would_create",
            "would_create",
            "would_create",
            "invalid",
            "invalid",
            "invalid",
            "invalid",
            "would_skip",
        ]
        assert body["summary"] == {"rows": 8, "invalid": 4, "would_create": 3, "would_skip": 1}
        assert by_row[4]["title"] == metadata_title_from_filename("hinh-tron.txt")  # from the file name
        assert any("grades" in p and "15" in p for p in by_row[5]["problems"])
        assert any("subjects" in p and "Thiên văn" in p for p in by_row[6]["problems"])
        assert by_row[7]["problems"] == ["../secret.txt: a file must be inside the collection folder"]
        assert by_row[8]["problems"] == ["khong-co.pdf: no such file in the collection folder"]
        assert by_row[9]["problems"] == ["same file as row 2"]
        # Each problem is on the terminal too, with its row.
        assert "row 5 lop-muoi-lam.txt" in r.output
        # The CSV says the same.
        with open(tmp_path / "bao-cao" / "kiem-tra.csv", encoding="utf-8-sig", newline="") as fh:
            lines = list(csv.DictReader(fh))
        assert [(int(x["row"]), x["status"]) for x in lines] == [
            (n, by_row[n]["status"]) for n in range(2, 10)
        ]

    def test_refuses_an_importer_outside_the_organisation_before_reading_rows(
        self, runtime: Any, org: str, collection: tuple[Path, Path]
    ) -> None:
        table, mapping = collection
        r = _run("import", "--collection", str(table), "--mapping", str(mapping), "--owner", "co_lan",
                 "--organisation", org, "--dry-run")  # fmt: skip
        assert r.exit_code == 1
        assert "only members of" in r.output

    def test_a_broken_mapping_is_a_usage_error_naming_the_problems(
        self, runtime: Any, org: str, collection: tuple[Path, Path], tmp_path: Path
    ) -> None:
        table, _ = collection
        bad = tmp_path / "sai.toml"
        bad.write_text('file = "Tệp"\n[columns]\ntieu_de = "Tên bài"\n"lớp" = "Lớp"\n', encoding="utf-8")
        r = _run("import", "--collection", str(table), "--mapping", str(bad), "--dry-run")
        assert r.exit_code == 2
        assert "tieu_de" in r.output
        missing = tmp_path / "thieu.toml"
        missing.write_text('file = "Tệp"\n[columns]\ntitle = "Tiêu đề"\n', encoding="utf-8")
        r = _run("import", "--collection", str(table), "--mapping", str(missing), "--dry-run")
        assert r.exit_code == 2
        assert "Tiêu đề" in r.output


class TestRun:
    def test_imports_the_good_rows_reports_the_rest_and_a_rerun_skips_everything(
        self, runtime: Any, org: str, collection: tuple[Path, Path], tmp_path: Path
    ) -> None:
        table, mapping = collection
        args = ["import", "--collection", str(table), "--mapping", str(mapping), "--owner", "co_nga",
                "--organisation", org, "--report", str(tmp_path / "lan-1")]  # fmt: skip
        r = _run(*args)
        assert r.exit_code == 1, r.output  # four rows failed
        first = json.loads((tmp_path / "lan-1.json").read_text(encoding="utf-8"))
        assert first["summary"] == {"rows": 8, "created": 3, "failed": 4, "skipped": 1}
        with runtime.db.read() as s:
            materials = s.scalars(select(Material)).all()
            org_id = organisations.get(s, org).id
        assert len(materials) == 3
        assert {m.organisation_id for m in materials} == {org_id}
        by_title = {m.title: m.meta for m in materials}
        assert by_title["Phân số"]["subjects"] == ["toan"]
        assert by_title["Phân số"]["grades"] == [5]
        assert by_title["Phân số"]["keywords"] == ["phân số", "tử số"]
        assert [a["name"] for a in by_title["Phân số"]["authors"]] == ["Nguyễn Thị Lan", "Trần Văn Minh"]
        assert by_title["Số thập phân"]["license"] == "CC-BY-4.0"
        assert set(by_title) == {"Phân số", "Số thập phân", metadata_title_from_filename("hinh-tron.txt")}
        # Again: everything done is skipped by its content hash, nothing is added.
        args[-1] = str(tmp_path / "lan-2")
        assert _run(*args).exit_code == 1
        second = json.loads((tmp_path / "lan-2.json").read_text(encoding="utf-8"))
        assert second["summary"] == {"rows": 8, "failed": 4, "skipped": 4}
        with runtime.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Material)) == 3


def _count(runtime: Any) -> int:
    with runtime.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Material)) or 0)


class TestInterrupted:
    def test_a_killed_import_resumes_without_duplicates(self, runtime: Any, org: str, tmp_path: Path) -> None:
        total = 150
        files = {
            f"bai-{n:03}.txt": f"Bài tập số {n}: phân số và số thập phân.".encode() for n in range(total)
        }
        rows = [[str(n), f"Bài tập {n}", "5", "Toán", "", "", "", f"bai-{n:03}.txt"] for n in range(total)]
        table, mapping = write_collection(tmp_path / "lon", rows, files)
        settings = runtime.settings
        env = os.environ | {
            "HOCLIEU_ENV": "testing",
            "HOCLIEU_DATA_DIR": str(settings.data_dir),
            "HOCLIEU_DATABASE_URL": settings.sqlalchemy_url,
        }
        env.pop("HOCLIEU_REDIS_URL", None)
        env.pop("HOCLIEU_OPENSEARCH_URL", None)
        command = [sys.executable, "-m", "web.cli", "import", "--collection", str(table), "--mapping",
                   str(mapping), "--owner", "co_nga", "--organisation", org]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while _count(runtime) < 10 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        killed_at = _count(runtime)
        assert proc.returncode == -signal.SIGKILL
        assert 10 <= killed_at < total, "the import finished before it could be killed: add files"
        resumed = subprocess.run(
            [*command, "--report", str(tmp_path / "tiep")], env=env, capture_output=True, timeout=600
        )
        assert resumed.returncode == 0, resumed.stderr.decode()
        report = json.loads((tmp_path / "tiep.json").read_text(encoding="utf-8"))
        assert report["summary"]["rows"] == total
        assert report["summary"].get("skipped", 0) >= killed_at
        assert report["summary"]["created"] + report["summary"]["skipped"] == total
        with runtime.db.read() as s:
            shas = list(s.scalars(select(MaterialFile.sha256)))
            titles = list(s.scalars(select(Material.title)))
        assert len(shas) == len(set(shas)) == total
        assert sorted(titles) == sorted(f"Bài tập {n}" for n in range(total))
