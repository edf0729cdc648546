"""``hoclieu clients create/list``: the secret printed once works at the token endpoint."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from web.cli import main


@pytest.mark.usefixtures("runtime")
def test_create_then_get_a_token_and_list(client: TestClient) -> None:
    runner = CliRunner()
    created = runner.invoke(
        main, ["clients", "create", "Moodle Sở", "--scope", "harvest", "--organisation", "Sở GD Huế"]
    )
    assert created.exit_code == 0, created.output
    out = json.loads(created.output)
    token = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(out["client_id"], out["client_secret"]),
    )
    assert token.status_code == 200
    assert token.json()["scope"] == "harvest"
    listed = runner.invoke(main, ["clients", "list"])
    assert listed.exit_code == 0
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["client_id"] for r in rows] == [out["client_id"]]
    assert out["client_secret"] not in listed.output


@pytest.mark.usefixtures("runtime")
def test_an_unknown_scope_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["clients", "create", "X", "--scope", "root"])
    assert result.exit_code == 2
