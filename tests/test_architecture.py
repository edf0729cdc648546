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


def test_search_reads_through_repository_services() -> None:
    """``search/`` builds documents and queries engines; what it reads from the database comes
    through repository services (``repository.material.index_source``), like ingest's."""
    assert _offenders("search", _web_offences) == {}


# The domain packages of ``repository/`` (``material/``, ``curation/``, ``policy/``...): one
# directory each. Its single modules (``db.py``, ``jobs.py``...) are infrastructure, not domains.
DOMAINS = sorted(
    p.name for p in (ROOT / "repository").iterdir() if (p / "__init__.py").exists() and p.name != "migrations"
)


def _domain_graph(root: Path) -> dict[str, set[str]]:
    """Which domain package imports which (lazy imports inside functions included)."""
    graph: dict[str, set[str]] = {name: set() for name in DOMAINS}
    for name in DOMAINS:
        for path in (root / "repository" / name).rglob("*.py"):
            for module in _modules(path):
                parts = module.split(".")
                if parts[0] == "repository" and len(parts) > 1 and parts[1] in graph and parts[1] != name:
                    graph[name].add(parts[1])
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_repository_domains() -> None:
    """``policy`` sits below ``material`` and ``curation``; ``curation`` builds on ``material``;
    no two domain packages import each other, directly or round a longer loop."""
    assert {"material", "curation", "policy"} <= set(DOMAINS)
    assert _cycles(_domain_graph(ROOT)) == []


def test_material_never_imports_curation() -> None:
    """The review workflow builds on materials, never the reverse: what material needs to know
    (visibility, who is privileged, a curator's scope) is ``repository.policy``."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _modules(path) if m.startswith("repository.curation"))
        for path in sorted((ROOT / "repository" / "material").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_cycle_rules_catch_lazy_imports(tmp_path: Path) -> None:
    """A function-level import counts, and a loop is found however long it is."""
    path = tmp_path / "service.py"
    path.write_text("def f():\n    from repository.curation.service import curation\n", encoding="utf-8")
    assert "repository.curation.service" in _modules(path)
    path.write_text("def f():\n    from repository import curation\n", encoding="utf-8")
    assert "repository.curation" in _modules(path)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


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
