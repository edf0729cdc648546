"""``hoclieu users``: create accounts and change their role, scope and state."""

from __future__ import annotations

import sys
from typing import Any

import click

from repository.curation.accounts import accounts
from repository.curation.schemas import UserAdminCreate, UserAdminUpdate
from repository.errors import RepositoryError
from repository.models import Role
from repository.uow import UnitOfWork
from web.cli.common import open_runtime


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (scripts); without it the "
    "password is asked for, hidden, twice.",
)
@click.option("--display-name", default="")
@click.option("--subject", "subjects", multiple=True, help="Curator scope: subject code (repeatable).")
@click.option(
    "--grade", "grades", multiple=True, type=click.IntRange(1, 12), help="Curator scope: grade (repeatable)."
)
def users_create(
    username: str,
    role: str,
    password_stdin: bool,
    display_name: str,
    subjects: tuple[str, ...],
    grades: tuple[int, ...],
) -> None:
    """Create a user account (curators: --subject/--grade limit what they review).

    Every account gets a password: from standard input with --password-stdin, else asked for
    (no input, e.g. a closed stdin, aborts without creating anything).
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        raise click.UsageError("an account needs a password (at least 8 characters)")
    runtime = open_runtime()
    try:
        data = UserAdminCreate(
            username=username,
            role=role,
            password=password,
            display_name=display_name,
            scope={"subjects": list(subjects), "grades": list(grades)},
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        with UnitOfWork(runtime.db) as uow:
            created = accounts.create_user(uow.session, None, data)
            user_id = created.id
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created {role} {username} ({user_id})")


@users.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]))
@click.option("--subject", "subjects", multiple=True, help="Curator scope: subject code (repeatable).")
@click.option(
    "--grade", "grades", multiple=True, type=click.IntRange(1, 12), help="Curator scope: grade (repeatable)."
)
@click.option("--clear-scope", is_flag=True, help="Remove every scope restriction.")
@click.option("--disable/--enable", "disabled", default=None, help="Disable (revokes tokens) or re-enable.")
def users_set(
    username: str,
    role: str | None,
    subjects: tuple[str, ...],
    grades: tuple[int, ...],
    clear_scope: bool,
    disabled: bool | None,
) -> None:
    """Change a user's role, curator scope, or disable the account (audited)."""
    scope: dict[str, Any] | None = None
    if clear_scope or subjects or grades:
        scope = {"subjects": list(subjects), "grades": list(grades)}
    runtime = open_runtime()
    try:
        with UnitOfWork(runtime.db) as uow:
            changed = accounts.update_user(
                uow.session, None, username, UserAdminUpdate(role=role, scope=scope, disabled=disabled)
            )
            summary = (
                f"{changed.username}: role {changed.role}, scope {changed.scope}, disabled {changed.disabled}"
            )
    except RepositoryError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(summary)
