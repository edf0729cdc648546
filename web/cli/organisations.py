"""``hoclieu organisations``: create organisations and name their members from the command line.

Registered on the root group in ``web/cli/__init__.py``. The same service as the API and the
portal; the actor is the system account, so the audit log names it.
"""

from __future__ import annotations

import json

import click
from pydantic import ValidationError

from repository.errors import RepositoryError
from repository.models import MemberRole, OrganisationKind
from repository.organisation.schemas import MemberAdd, MemberUpdate, OrganisationCreate
from repository.organisation.service import organisations as organisation_service
from repository.uow import UnitOfWork
from repository.user.service import user as user_service
from web.cli.common import open_runtime


@click.group()
def organisations() -> None:
    """Organisations that contribute materials, and their members."""


@organisations.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Its full name, e.g. 'Khoa Sư phạm, ĐH Sư phạm Hà Nội'.")
@click.option("--kind", required=True, type=click.Choice([k.value for k in OrganisationKind]))
@click.option("--description", default="")
@click.option("--url", default="", help="Its own web site (http/https).")
def create(slug: str, name: str, kind: str, description: str, url: str) -> None:
    """Create an organisation; SLUG is its URL name (a-z, 0-9, '-')."""
    try:
        data = OrganisationCreate.model_validate(
            {"slug": slug, "name": name, "kind": kind, "description": description, "url": url}
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(problems) from None
    runtime = open_runtime()
    try:
        with UnitOfWork(runtime.db) as uow:
            org = organisation_service.create(uow.session, user_service.system_user(uow.session), data)
            click.echo(f"created organisation {org.slug} ({org.id})")
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None


@organisations.command("list")
def list_() -> None:
    """Every organisation, one JSON line each, with its number of approved materials."""
    runtime = open_runtime()
    with runtime.db.read() as session:
        for org, count in organisation_service.all(session):
            line = {"slug": org.slug, "name": org.name, "kind": org.kind, "materials": count}
            click.echo(json.dumps(line, ensure_ascii=False))


@organisations.command("member")
@click.argument("slug")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in MemberRole]), default="member", show_default=True)
@click.option("--remove", is_flag=True, help="Take the account out of the organisation.")
def member(slug: str, username: str, role: str, remove: bool) -> None:
    """Add USERNAME to the organisation with a role, change its role, or --remove it."""
    runtime = open_runtime()
    try:
        with UnitOfWork(runtime.db) as uow:
            system = user_service.system_user(uow.session)
            if remove:
                organisation_service.remove_member(uow.session, system, slug, username)
                click.echo(f"removed {username} from {slug}")
                return
            current = {m.username: m for m in organisation_service.members(uow.session, system, slug)}
            if username in current:
                organisation_service.update_member(
                    uow.session, system, slug, username, MemberUpdate(role=MemberRole(role))
                )
            else:
                organisation_service.add_member(
                    uow.session, system, slug, MemberAdd(username=username, role=MemberRole(role))
                )
            click.echo(f"{username} is {role} of {slug}")
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None


@organisations.command("members")
@click.argument("slug")
def members(slug: str) -> None:
    """The organisation's members, one JSON line each."""
    runtime = open_runtime()
    try:
        with UnitOfWork(runtime.db) as uow:
            system = user_service.system_user(uow.session)
            for m in organisation_service.members(uow.session, system, slug):
                click.echo(json.dumps(m.model_dump(mode="json"), ensure_ascii=False))
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
