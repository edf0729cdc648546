"""``hoclieu stats aggregate``: bring the usage statistics up to date now (operators, cron).

The same service as the ``repository.stats.tasks.aggregate_usage`` job that web processes queue every
``HOCLIEU_STATS_AGGREGATE_EVERY_S``.
"""

from __future__ import annotations

import json

import click

from repository.stats.service import stats as stats_service
from repository.uow import UnitOfWork
from web.cli.common import open_runtime


@click.group()
def stats() -> None:
    """Usage statistics (views, plays, downloads, searches; no personal data)."""


@stats.command("aggregate")
@click.option(
    "--retention-days",
    type=click.IntRange(min=1),
    default=None,
    help="Default: HOCLIEU_STATS_RETENTION_DAYS.",
)
def aggregate(retention_days: int | None) -> None:
    """Rebuild the daily counts from the raw events, refresh the view counts behind sort=popular
    and delete raw events past retention; prints what it did as JSON."""
    runtime = open_runtime()
    with UnitOfWork(runtime.db) as uow:
        result = stats_service.aggregate(
            uow.session, retention_days=retention_days or runtime.settings.stats_retention_days
        )
    click.echo(json.dumps(result))
