"""What every command group of ``hoclieu`` shares: the runtime, the error console, progress bars."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from repository.jobs import JobRunner
from repository.migrate import upgrade
from repository.runtime import Runtime, get_runtime

err = Console(stderr=True)


def open_runtime(migrate: bool = True) -> Runtime:
    """The process's runtime, with the schema upgraded first unless ``migrate`` is false."""
    runtime = get_runtime()
    if migrate:
        upgrade(runtime.db)
    return runtime


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def job_runner(
    runtime: Runtime, *, name: str | None = None, queues: tuple[str, ...] | None = None
) -> JobRunner:
    s = runtime.settings
    return JobRunner(
        runtime.db, name=name, queues=queues, stale_after_s=s.job_stale_after_s, heartbeat_s=s.job_heartbeat_s
    )
