"""``hoclieu migrate`` and ``hoclieu serve``: the schema and the web processes."""

from __future__ import annotations

import click

from repository.migrate import upgrade
from web.cli.common import open_runtime


@click.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    runtime = open_runtime(migrate=False)
    upgrade(runtime.db)
    runtime.blobs.prepare()  # an S3 store creates its bucket
    click.echo(f"database is up to date ({runtime.db.engine.dialect.name})")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--content-port",
    default=None,
    type=click.IntRange(0, 65535),
    help="Port of the content origin that plays e-lecture packages and HTML lessons "
    "(default: --port + 1; 0: do not serve it here, HOCLIEU_CONTENT_ORIGIN is served elsewhere).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web processes sharing the port. In the embedded mode exactly one of them writes the search "
    "index; the others read its commits.",
)
def serve(host: str, port: int, content_port: int | None, workers: int) -> None:
    """Run the web portal and API (embedded mode: also the job worker) and the content origin."""
    runtime = open_runtime()
    content = port + 1 if content_port is None else content_port
    if workers > 1:
        from web.multiproc import run_workers

        run_workers(runtime, host=host, port=port, content_port=content, workers=workers)
        return
    from web.serve import run

    run(runtime, host=host, port=port, content_port=content)
