"""The command line is one package: both ways of starting it list the same commands.

Before ``web/cli/`` became a package, ``python -m web.cli --help`` listed 6 commands and the
``hoclieu`` entry point 11: the commands registered themselves on import through a
``cli`` ↔ ``cli_*`` import cycle, so what was listed depended on which module ran first.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import click

import web.cli
from tests.conftest import REPO_ROOT, skip_or_fail
from web.cli import main


def _listed(argv: list[str]) -> list[str]:
    """The command names a ``--help`` output lists, in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")}
    out = subprocess.run(
        [*argv, "--help"], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120, check=True
    ).stdout
    commands = out.split("Commands:\n", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\S+)", commands, re.MULTILINE)]


def _reachable(group: click.Group) -> set[click.Command]:
    found: set[click.Command] = set()
    for command in group.commands.values():
        found.add(command)
        if isinstance(command, click.Group):
            found |= _reachable(command)
    return found


def test_the_entry_point_and_python_m_list_the_same_commands() -> None:
    entry_point = Path(sys.executable).parent / "hoclieu"
    if not entry_point.exists():
        skip_or_fail(f"the hoclieu entry point is not installed beside {sys.executable} (pip install -e .)")
    by_module = _listed([sys.executable, "-m", "web.cli"])
    by_entry_point = _listed([str(entry_point)])
    assert by_module == by_entry_point
    assert by_module == sorted(main.commands)
    # The commands every deployment guide names are there.
    assert {"migrate", "serve", "worker", "users", "import", "demo", "reindex", "search-check"} <= set(
        by_module
    )


def test_every_command_defined_in_the_package_is_registered_on_the_root() -> None:
    reachable = _reachable(main)
    defined: list[str] = []
    for info in pkgutil.iter_modules(web.cli.__path__, "web.cli."):
        if info.name == "web.cli.__main__":
            continue  # running it would start the command line
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, click.Command) and value is not main and value not in reachable:
                defined.append(f"{info.name}.{name}")
    assert defined == [], "commands defined but not registered in web/cli/__init__.py"
