"""``hoclieu serve``: the portal and, on a second port, the content origin, in one process.

The content origin must be another *origin* than the portal, and ideally another host, because
browsers send cookies to every port of a host. When neither ``HOCLIEU_CONTENT_ORIGIN`` says where it
is nor the portal's host has an obvious twin, the content origin is the same host on the second port;
on the loopback it is ``localhost`` for a portal on ``127.0.0.1`` (and the reverse), so no portal
cookie (host-only: no ``Domain``) is ever sent to it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import click
import uvicorn

from repository.runtime import Runtime

LOOPBACK_TWIN = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


def default_content_origin(host: str, content_port: int, base_url: str) -> str:
    """Where the content origin is when ``HOCLIEU_CONTENT_ORIGIN`` is unset."""
    public_host = host if host not in ("0.0.0.0", "::", "") else (urlsplit(base_url).hostname or "localhost")
    public_host = LOOPBACK_TWIN.get(public_host, public_host)
    if ":" in public_host:
        public_host = f"[{public_host}]"
    return f"http://{public_host}:{content_port}"


class _QuietServer(uvicorn.Server):
    """The second server leaves signal handling to the portal's (one process, one shutdown)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def content_server(runtime: Runtime, *, host: str, port: int, content_port: int) -> uvicorn.Server:
    """The content origin's server (``hoclieu serve`` and ``--workers N`` alike): it lets the portal
    at ``host:port``, under every name it answers to, frame its pages."""
    from web.content import create_content_app, portal_origin

    settings = runtime.settings
    bind_host = host if host not in LOOPBACK_TWIN else "127.0.0.1"
    framers = " ".join(
        sorted({portal_origin(settings), f"http://{host}:{port}", f"http://{bind_host}:{port}"})
    )
    content_app = create_content_app(settings, runtime, portal_origins=framers)
    level = settings.log_level.lower()
    return _QuietServer(
        uvicorn.Config(content_app, host=host, port=content_port, log_level=level, lifespan="off")
    )


def run(runtime: Runtime, *, host: str, port: int, content_port: int) -> None:
    from web.app import create_app

    settings = runtime.settings
    if content_port and not settings.content_origin:
        settings.content_origin = default_content_origin(host, content_port, settings.base_url)
    app = create_app(settings, runtime=runtime)
    level = settings.log_level.lower()
    portal = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=level))
    click.echo(f"Hoclieu on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    if not content_port:
        portal.run()
        return
    content = content_server(runtime, host=host, port=port, content_port=content_port)
    click.echo(f"content origin {settings.content_origin} (port {content_port})")

    async def both() -> None:
        task = asyncio.create_task(content.serve())
        try:
            await portal.serve()
        finally:
            content.should_exit = True
            await task

    asyncio.run(both())
