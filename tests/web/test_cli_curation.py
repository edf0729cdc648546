"""hoclieu users create/set, import --approve-as, verify and fixity: real blobs, real signatures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from repository.fixity import FixityCheck, checkpoint_path
from repository.models import IntegrityIssue, Material, MaterialFile, MaterialVersion, User
from web.cli import main


def _run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=input)


PASSWORD = "mat-khau-rat-dai-1\nmat-khau-rat-dai-1\n"  # typed at the prompt, then confirmed


@pytest.fixture
def published(runtime: Any, tmp_path: Path) -> dict[str, Any]:
    """Two text files imported with --approve-as by an admin."""
    assert _run("users", "create", "quan_tri", "--role", "admin", input=PASSWORD).exit_code == 0
    folder = tmp_path / "bai-giang"
    folder.mkdir()
    (folder / "phan-so.txt").write_text("Phân số là gì? Tử số và mẫu số.", encoding="utf-8")
    (folder / "so-thap-phan.txt").write_text("Số thập phân: phần nguyên và phần thập phân.", encoding="utf-8")
    r = _run(
        "import",
        str(folder),
        "--metadata",
        json.dumps({"subjects": ["toan"], "grades": [5]}),
        "--approve-as",
        "quan_tri",
        "--json",
    )
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines() if line.startswith("{")]
    with runtime.db.read() as s:
        files = {f.material_id: f for f in s.scalars(select(MaterialFile))}
    return {"ids": [row["material_id"] for row in rows], "files": files, "folder": folder}


def _flip_byte(runtime: Any, key: str) -> None:
    path = runtime.blobs.local_path(key)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))


class TestUsers:
    def test_create_without_password_stdin_asks_for_the_password_twice(self, runtime: Any) -> None:
        from datetime import timedelta

        from repository.user.signin import signin

        r = _run("users", "create", "co_mai", "--role", "teacher", input=PASSWORD)
        assert r.exit_code == 0, r.output
        assert "Password" in r.output
        assert "mat-khau-rat-dai-1" not in r.output  # hidden input is not echoed
        signed_in = signin.sign_in(
            runtime.db,
            runtime.settings,
            username="co_mai",
            password="mat-khau-rat-dai-1",
            ip=None,
            token_name="test",
            ttl=timedelta(hours=1),
            audit_action="auth.token_issued",
        )
        assert signed_in.user.username == "co_mai"

    @pytest.mark.parametrize(
        "typed",
        [
            "",  # stdin closed: nothing typed
            "mat-khau-rat-dai-1\nmot-mat-khau-khac\n",  # confirmation differs, then nothing
            "\n\n",  # an empty password
        ],
    )
    def test_create_never_makes_an_account_without_a_password(self, runtime: Any, typed: str) -> None:
        r = _run("users", "create", "co_mai", "--role", "teacher", input=typed)
        assert r.exit_code != 0
        with runtime.db.read() as s:
            assert s.scalar(select(User).where(User.username == "co_mai")) is None

    def test_create_with_password_stdin_reads_one_line(self, runtime: Any) -> None:
        r = _run(
            "users", "create", "co_mai", "--role", "teacher", "--password-stdin", input="mat-khau-rat-dai-2\n"
        )
        assert r.exit_code == 0, r.output
        assert "Password" not in r.output
        empty = _run("users", "create", "co_hoa", "--role", "teacher", "--password-stdin", input="\n")
        assert empty.exit_code != 0
        with runtime.db.read() as s:
            assert s.scalar(select(User).where(User.username == "co_hoa")) is None

    def test_create_a_scoped_curator_then_change_role_and_disable(self, runtime: Any) -> None:
        r = _run(
            "users",
            "create",
            "thay_toan",
            "--role",
            "curator",
            "--subject",
            "toan",
            "--subject",
            "tin-hoc",
            "--grade",
            "5",
            "--grade",
            "6",
            input=PASSWORD,
        )
        assert r.exit_code == 0, r.output
        with runtime.db.read() as s:
            u = s.scalar(select(User).where(User.username == "thay_toan"))
        assert u is not None
        assert u.scope == {"subjects": ["tin-hoc", "toan"], "grades": [5, 6]}
        assert _run("users", "create", "x_y", "--role", "curator", "--subject", "toan-hoc").exit_code != 0
        assert _run("users", "create", "x_z", "--role", "curator", "--grade", "13").exit_code == 2
        r = _run("users", "set", "thay_toan", "--role", "admin", "--clear-scope", "--disable")
        assert r.exit_code == 0, r.output
        assert "role admin" in r.output
        assert "disabled True" in r.output
        assert _run("users", "set", "nobody", "--enable").exit_code == 1


class TestImportApproveAs:
    def test_publishes_signed_in_the_admins_name(self, runtime: Any, published: dict[str, Any]) -> None:
        with runtime.db.read() as s:
            states = set(s.scalars(select(Material.state)))
            versions = s.scalars(select(MaterialVersion)).all()
            admin = s.scalar(select(User).where(User.username == "quan_tri"))
        assert states == {"approved"}
        assert admin is not None
        assert {v.decided_by_id for v in versions} == {admin.id}
        assert all(
            v.signature and v.manifest and v.manifest["curator"]["username"] == "quan_tri" for v in versions
        )

    def test_refuses_a_non_admin_before_importing(self, runtime: Any, tmp_path: Path) -> None:
        assert _run("users", "create", "co_lan", "--role", "teacher", input=PASSWORD).exit_code == 0
        f = tmp_path / "a.txt"
        f.write_text("Bài tập", encoding="utf-8")
        r = _run("import", str(f), "--approve-as", "co_lan")
        assert r.exit_code == 2
        assert "not an active admin" in r.output
        with runtime.db.read() as s:
            assert s.scalar(select(Material.id)) is None


class TestVerifyAndFixity:
    def test_everything_matches(self, runtime: Any, published: dict[str, Any], tmp_path: Path) -> None:
        for mid in published["ids"]:
            r = _run("verify", mid)
            assert r.exit_code == 0, r.output
            assert "OK" in r.output
        assert _run("verify", str(published["folder"] / "phan-so.txt")).exit_code == 0
        other = tmp_path / "khac.txt"
        other.write_text("không được duyệt", encoding="utf-8")
        assert _run("verify", str(other)).exit_code == 1
        assert _run("verify", "no-such-id").exit_code == 1
        r = _run("fixity")
        assert r.exit_code == 0, r.output
        assert "0 problem(s)" in r.output

    def test_one_changed_byte_in_a_blob_is_reported(self, runtime: Any, published: dict[str, Any]) -> None:
        mid = published["ids"][0]
        _flip_byte(runtime, published["files"][mid].storage_key)
        r = _run("verify", mid)
        assert r.exit_code == 1
        assert "do not match the signed sha256" in r.output
        assert _run("verify", published["ids"][1]).exit_code == 0
        r = _run("fixity")
        assert r.exit_code == 1
        assert "mismatch" in r.output
        with runtime.db.read() as s:
            issues = s.scalars(select(IntegrityIssue).where(IntegrityIssue.resolved_at.is_(None))).all()
        assert [(i.material_id, i.problem) for i in issues] == [(mid, "mismatch")]
        # Restored from backup: the next clean run resolves the mark.
        _flip_byte(runtime, published["files"][mid].storage_key)
        assert _run("fixity").exit_code == 0
        with runtime.db.read() as s:
            assert s.scalars(select(IntegrityIssue).where(IntegrityIssue.resolved_at.is_(None))).all() == []

    def test_a_changed_metadata_byte_is_reported(self, runtime: Any, published: dict[str, Any]) -> None:
        mid = published["ids"][0]
        with runtime.db.session() as s, s.begin():
            m = s.get(Material, mid)
            assert m is not None
            s.execute(
                update(Material)
                .where(Material.id == mid)
                .values(meta={**m.meta, "title": m.meta["title"] + "!"})
            )
        r = _run("verify", mid)
        assert r.exit_code == 1
        assert "published metadata does not match" in r.output
        r = _run("fixity")
        assert r.exit_code == 1
        assert "signature" in r.output

    def test_a_changed_manifest_byte_is_reported(self, runtime: Any, published: dict[str, Any]) -> None:
        mid = published["ids"][1]
        with runtime.db.session() as s, s.begin():
            v = s.scalar(select(MaterialVersion).where(MaterialVersion.material_id == mid))
            assert v is not None
            assert v.manifest is not None
            manifest = dict(v.manifest)
            manifest["approved_at"] = manifest["approved_at"].replace("2", "3", 1)
            s.execute(update(MaterialVersion).where(MaterialVersion.id == v.id).values(manifest=manifest))
        r = _run("verify", mid)
        assert r.exit_code == 1
        assert "signature does not match" in r.output
        assert _run("fixity").exit_code == 1

    def test_a_missing_blob_is_reported_and_the_run_resumes_from_its_checkpoint(
        self, runtime: Any, published: dict[str, Any]
    ) -> None:
        keys = sorted(set(runtime.blobs.iter_keys()) | {f.storage_key for f in published["files"].values()})
        # Lose the blob of a material whose key sorts after the checkpoint, so the resumed run meets it.
        mid = next(m for m, f in published["files"].items() if f.storage_key != keys[0])
        runtime.blobs.delete(published["files"][mid].storage_key)
        checkpoint = checkpoint_path(runtime)
        # An interrupted run left a checkpoint after the first key in order.
        checkpoint.write_text(json.dumps({"after": keys[0], "checked": 1, "problems": []}), encoding="utf-8")
        seen: list[int] = []
        report = FixityCheck(runtime, on_progress=lambda done, total: seen.append(done)).run()
        assert report.resumed_from == keys[0]
        assert report.checked == len(keys)
        assert seen[0] == 1  # started after the checkpointed key
        assert [(p.problem, p.material_ids) for p in report.problems] == [("missing", [mid])]
        assert not checkpoint.exists()


class TestKeys:
    def test_rotate_keeps_old_approvals_verifiable_and_lists_both_keys(
        self, runtime: Any, published: dict[str, Any]
    ) -> None:
        material_id = published["ids"][0]
        assert _run("verify", material_id).exit_code == 0
        r = _run("keys", "rotate")
        assert r.exit_code == 0, r.output
        assert "retired" in r.output
        listed = _run("keys", "list").output.splitlines()
        assert [line.split()[1] for line in listed] == ["retired", "current"]
        again = _run("verify", material_id)
        assert again.exit_code == 0, again.output
        keyring = json.loads((runtime.settings.data_dir / "keys" / "keyring.json").read_text("utf-8"))
        assert len(keyring["keys"]) == 2
        assert "PRIVATE" not in json.dumps(keyring)
