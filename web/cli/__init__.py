"""The ``hoclieu`` command line: the root group and the registration of every command group.

One module per command group; each defines its commands without knowing the root, and is
registered here, so ``hoclieu`` and ``python -m web.cli`` list the same commands whatever was
imported first. A new command: write it in its group's module (or a new module) and add it below.
"""

from __future__ import annotations

import logging

import click

from repository.config import get_settings
from repository.logs import configure_logging
from web.cli import (
    clients,
    curation,
    importing,
    indexing,
    offline,
    organisations,
    server,
    stats,
    storage,
    users,
    worker,
)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Hoclieu: the national digital learning-materials repository."""
    settings = get_settings()
    configure_logging(logging.DEBUG if verbose else settings.log_level, settings.log_format)


for command in (
    server.migrate,
    server.serve,
    worker.worker,
    users.users,
    importing.import_,
    importing.demo,
    indexing.reindex,
    indexing.search_check,
    indexing.vectors,
    curation.keys,
    curation.fixity,
    curation.verify,
    storage.storage,
    offline.package,
    offline.verify_package_cmd,
    offline.apply_update_cmd,
    clients.clients,
    organisations.organisations,
    stats.stats,
):
    main.add_command(command)

__all__ = ["main"]
