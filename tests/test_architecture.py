"""Dependencies point inward: web → {repository, search, ingest}, search → repository,
ingest → repository, repository → nothing of ours. Checked on the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("repository", "ingest", "search", "web")
ALLOWED = {
    "repository": set(),
    "ingest": {"repository"},
    "search": {"repository"},
    "web": {"repository", "search", "ingest"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_inward(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imports(path) - ALLOWED[package] - {package}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_nothing_imports_web() -> None:
    for package in ("repository", "ingest", "search"):
        for path in (ROOT / package).rglob("*.py"):
            assert "web" not in _imports(path), path
