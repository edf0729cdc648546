"""Dependencies point inward: web → {repository, search, ingest}, search → repository,
ingest → repository, repository → nothing of ours. Within that, ``web/`` and ``ingest/`` reach the
database only through repository services (no SQLAlchemy, no stores; ingest no models either).
Checked on the source with ``ast``."""

from __future__ import annotations

import ast
from collections.abc import Callable
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


def _modules(path: Path) -> set[str]:
    """Every module a file imports, by its full dotted name (``from a import b`` counts ``a.b`` too:
    ``b`` may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _data_access_offences(path: Path, *, models: bool = False) -> list[str]:
    """Imports that reach the database other than through a service: SQLAlchemy, a store, and
    (``models``) the ORM rows themselves."""
    bad = []
    for module in sorted(_modules(path)):
        parts = module.split(".")
        if parts[0] == "sqlalchemy":
            bad.append(f"{module} (SQL belongs in repository stores)")
        elif parts[0] == "repository" and parts[-1] in ("store", "stores"):
            bad.append(f"{module} (callers use services, never stores)")
        elif models and parts[:2] == ["repository", "models"]:
            bad.append(f"{module} (rows are written by repository services)")
    return bad


def _web_offences(path: Path) -> list[str]:
    return _data_access_offences(path)


def _ingest_offences(path: Path) -> list[str]:
    return _data_access_offences(path, models=True)


def _offenders(package: str, offences: Callable[[Path], list[str]]) -> dict[str, list[str]]:
    return {
        str(path.relative_to(ROOT)): bad
        for path in sorted((ROOT / package).rglob("*.py"))
        if (bad := offences(path))
    }


def test_web_translates_http_only() -> None:
    """``web/`` (API, portal, CLI) turns requests into service calls: no SQLAlchemy, no stores.

    A route may hold a session (``ReadSession``) only to hand it to a service; ``Session`` is
    re-exported by ``repository.uow`` for that annotation.
    """
    assert _offenders("web", _web_offences) == {}


@pytest.mark.parametrize(
    ("source", "offence"),
    [
        ("from sqlalchemy import select\n", "sqlalchemy"),
        ("def f():\n    from sqlalchemy.orm import Session\n", "sqlalchemy.orm"),
        ("from repository.material.store import MaterialStore\n", "repository.material.store"),
        ("from repository.curation import store\n", "repository.curation.store"),
        ("import repository.store\n", "repository.store"),
    ],
)
def test_the_web_rule_catches_each_way_of_importing(tmp_path: Path, source: str, offence: str) -> None:
    path = tmp_path / "route.py"
    path.write_text(source, encoding="utf-8")
    assert any(bad.startswith(offence + " ") for bad in _web_offences(path))
    path.write_text("from repository.material.service import material\n", encoding="utf-8")
    assert _web_offences(path) == []


def test_ingest_writes_through_repository_services() -> None:
    """``ingest/`` processes files and orchestrates jobs; what it records goes through repository
    services (``repository.material.ingest_results``) in units of work it opens, never through its
    own SQL, stores or rows."""
    assert _offenders("ingest", _ingest_offences) == {}


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import delete\n",
        "from repository.models import Derivative\n",
        "from repository.material.store import IngestStore\n",
    ],
)
def test_the_ingest_rule_catches_each_way_of_writing(tmp_path: Path, source: str) -> None:
    path = tmp_path / "pipeline.py"
    path.write_text(source, encoding="utf-8")
    assert _ingest_offences(path)
    path.write_text("from repository.material.ingest_results import ingest_results\n", encoding="utf-8")
    assert _ingest_offences(path) == []
