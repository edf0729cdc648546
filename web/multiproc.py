"""``hoclieu serve --workers N``: the portal in N uvicorn worker processes on one port.

Why not plain ``uvicorn.run(..., workers=N)``: with several workers uvicorn binds the listening
socket itself as ``socket.socket(family)``, whose ``proto`` is 0. asyncio only switches Nagle's
algorithm off (``TCP_NODELAY``) on accepted connections whose socket says ``IPPROTO_TCP``, so
every connection of a multi-worker uvicorn keeps Nagle on; a response written in two pieces
(headers, then body) then waits for the client's delayed ACK, ~40 ms on Linux. That was the
~50 ms floor of ``bench/search_speed.py --http-workers 2`` at one client (one worker: ~7 ms,
because a single worker lets asyncio create the socket, with ``IPPROTO_TCP``). ``TcpConfig``
re-wraps the bound socket with ``IPPROTO_TCP`` so every worker's connections get TCP_NODELAY.

The content origin (``web.serve``) runs in the supervising process, on its own port.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from typing import Any

import click
import uvicorn

from repository.runtime import Runtime


class TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return sock
        fixed = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        fixed.set_inheritable(True)
        return fixed


def run_server(
    app: str | Any, *, host: str, port: int, workers: int = 1, factory: bool = False, **kwargs: Any
) -> None:
    """``uvicorn.run`` with the socket fix above for ``workers > 1``. With several workers
    ``app`` must be an import string (each worker process imports it)."""
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, factory=factory, **kwargs)
        return
    from uvicorn.supervisors import Multiprocess

    # uvicorn restarts a worker that has not answered its health check within 5 s; importing and
    # starting the app takes longer than that on a loaded machine, so it looped restarting them.
    kwargs.setdefault("timeout_worker_healthcheck", 60)
    config = TcpConfig(app, host=host, port=port, workers=workers, factory=factory, **kwargs)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def run_workers(runtime: Runtime, *, host: str, port: int, content_port: int, workers: int) -> None:
    from web.serve import content_server, default_content_origin

    settings = runtime.settings
    level = settings.log_level.lower()
    extra: dict[str, Any] = {"log_config": None} if settings.log_format == "json" else {}
    if content_port and not settings.content_origin:
        settings.content_origin = default_content_origin(host, content_port, settings.base_url)
    if settings.content_origin:
        os.environ["HOCLIEU_CONTENT_ORIGIN"] = settings.content_origin  # the worker processes read it
    click.echo(f"Hoclieu on http://{host}:{port}/ ({workers} processes)")
    if content_port:
        content = content_server(runtime, host=host, port=port, content_port=content_port)
        threading.Thread(
            target=lambda: asyncio.run(content.serve()), name="content-origin", daemon=True
        ).start()
        click.echo(f"content origin {settings.content_origin} (port {content_port})")
    run_server(
        "web.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=level, **extra
    )
