"""Running the app in one or several uvicorn worker processes (``hoclieu serve --workers N``).

Why not plain ``uvicorn.run(..., workers=N)``: with several workers uvicorn binds the listening
socket itself as ``socket.socket(family)``, whose ``proto`` is 0. asyncio only switches Nagle's
algorithm off (``TCP_NODELAY``) on accepted connections whose socket says ``IPPROTO_TCP``, so
every connection of a multi-worker uvicorn keeps Nagle on; a response written in two pieces
(headers, then body) then waits for the client's delayed ACK, ~40 ms on Linux. That was the
~50 ms floor of ``bench/search_speed.py --http-workers 2`` at one client (one worker: ~7 ms,
because a single worker lets asyncio create the socket, with ``IPPROTO_TCP``). ``TcpConfig``
re-wraps the bound socket with ``IPPROTO_TCP`` so every worker's connections get TCP_NODELAY.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn


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

    config = TcpConfig(app, host=host, port=port, workers=workers, factory=factory, **kwargs)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
