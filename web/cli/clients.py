"""``hoclieu clients``: register and list API clients from the command line (operators).

The same service as the admin API and portal; the actor is the system account, so the audit log names it.
"""

from __future__ import annotations

import json

import click

from repository.client.schemas import SCOPES, ClientCreate
from repository.client.service import api_clients
from repository.errors import RepositoryError
from repository.uow import UnitOfWork
from repository.user.service import user as user_service
from web.cli.common import open_runtime


@click.group()
def clients() -> None:
    """API clients of other vendors' software (OAuth 2.0 client credentials)."""


@clients.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(list(SCOPES)))
@click.option("--organisation", default="", help="Who runs the application.")
def create(name: str, scopes: tuple[str, ...], organisation: str) -> None:
    """Register a client; prints its client_id and secret as JSON (the secret is shown once)."""
    runtime = open_runtime()
    try:
        with UnitOfWork(runtime.db) as uow:
            system = user_service.system_user(uow.session)
            client, secret = api_clients.create(
                uow.session, system, ClientCreate(name=name, organisation=organisation, scopes=list(scopes))
            )
            out = {"client_id": client.id, "client_secret": secret, "scopes": client.scopes}
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps(out))


@clients.command("list")
def list_clients() -> None:
    """One JSON line per client (never a secret)."""
    runtime = open_runtime()
    with runtime.db.read() as session:
        system = user_service.get_by_username(session, "hoclieu")
        if system is None:
            return
        for c in api_clients.list(session, system):
            line = {"client_id": c.id, "name": c.name, "organisation": c.organisation, "scopes": c.scopes}
            click.echo(json.dumps(line | {"disabled": c.disabled}, ensure_ascii=False))
