"""Job: bring the usage statistics up to date (``repository.stats.service.StatsService.aggregate``).

Queued by each web process's usage recorder every ``HOCLIEU_STATS_AGGREGATE_EVERY_S`` (one queued
job at a time, by key), and runnable by hand. Idempotent.
"""

from __future__ import annotations

from repository.runtime import get_runtime
from repository.stats.service import stats
from repository.uow import UnitOfWork


def aggregate_usage() -> dict[str, int]:
    runtime = get_runtime()
    with UnitOfWork(runtime.db) as uow:
        return stats.aggregate(uow.session, retention_days=runtime.settings.stats_retention_days)
