"""What leaves the checkout: the Docker build context excludes local state and test output."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _patterns() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str) -> bool:
    """Docker's matching for the patterns used here: a pattern matches the path or a parent of it."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in _patterns():
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(Path(prefix).name, bare)
            ):
                return True
    return False


class TestDockerignore:
    def test_local_state_secrets_and_test_output_stay_out_of_the_build_context(self) -> None:
        for path in (
            ".venv/bin/python",
            "data/hoclieu.db",
            "data/keys/approval-ed25519.pem",
            ".env",
            ".env.testing",
            "test-artifacts/screenshots/home-phone.png",
            "bench/out/ingest.json",
            "web/portal/__pycache__/render.cpython-311.pyc",
            ".git/HEAD",
            "hoclieu.egg-info/PKG-INFO",
        ):
            assert _ignored(path), path

    def test_what_the_image_copies_is_kept(self) -> None:
        dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
        copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
        assert copied
        for source in copied:
            for path in (
                (REPO_ROOT / source).rglob("*") if (REPO_ROOT / source).is_dir() else [REPO_ROOT / source]
            ):
                relative = path.relative_to(REPO_ROOT).as_posix()
                if "__pycache__" in relative:
                    continue
                assert not _ignored(relative), relative


@pytest.mark.slow  # builds a wheel (about 15 s); it does not depend on the database
def test_the_wheel_holds_every_package_and_its_data(tmp_path: Path) -> None:
    """A non-editable install (a wheel) gets every package of the four top-level ones."""
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("hoclieu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in ("repository", "ingest", "search", "web"):
        for init in (REPO_ROOT / top).rglob("__init__.py"):
            rel = init.relative_to(REPO_ROOT).as_posix()
            assert rel in names, f"{rel} is missing from the wheel"
    assert any(n.startswith("repository/migrations/versions/") for n in names)
    assert any(n.startswith("web/templates/") for n in names)
