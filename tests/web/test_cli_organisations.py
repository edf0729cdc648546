"""``hoclieu organisations create/list/member``: the operator's way to set up an organisation."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from repository.models import Role
from repository.uow import UnitOfWork
from tests.repository.curation.helpers import person
from web.cli import main


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_create_list_and_name_members(runtime: Any) -> None:
    with UnitOfWork(runtime.db) as uow:
        person(uow.session, "co_nga", Role.teacher)
        person(uow.session, "thay_duc", Role.curator)
    r = _run(
        "organisations", "create", "so-gd-hue", "--name", "Sở GD&ĐT Thừa Thiên Huế", "--kind", "department"
    )
    assert r.exit_code == 0, r.output
    assert (
        _run("organisations", "create", "so-gd-hue", "--name", "Lần hai", "--kind", "department").exit_code
        == 1
    )
    bad = _run("organisations", "create", "Sở Huế", "--name", "Sai", "--kind", "department")
    assert bad.exit_code == 2
    assert "slug" in bad.output
    assert _run("organisations", "member", "so-gd-hue", "co_nga", "--role", "manager").exit_code == 0
    assert _run("organisations", "member", "so-gd-hue", "thay_duc", "--role", "curator").exit_code == 0
    # A teacher account cannot be the organisation's curator, even from the command line.
    refused = _run("organisations", "member", "so-gd-hue", "co_nga", "--role", "curator")
    assert refused.exit_code == 1
    assert "curator" in refused.output
    assert _run("organisations", "member", "so-gd-hue", "thay_duc", "--remove").exit_code == 0
    listed = [json.loads(line) for line in _run("organisations", "list").output.splitlines()]
    assert listed == [
        {"slug": "so-gd-hue", "name": "Sở GD&ĐT Thừa Thiên Huế", "kind": "department", "materials": 0}
    ]
    members = [json.loads(line) for line in _run("organisations", "members", "so-gd-hue").output.splitlines()]
    assert [(m["username"], m["role"]) for m in members] == [("co_nga", "manager")]
