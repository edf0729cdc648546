"""Counting a request as a usage event: the HTTP half (who, robots, prefetch, ranges).

Routes call :func:`count` after they have answered successfully; it costs an in-memory append
(``repository.stats.recorder``). What identifies the visitor for today's de-duplication is the
signed-in account's id when there is one, else the client address and user agent; it is hashed
with the day's salt before anything is written, and never stored as it is.
"""

from __future__ import annotations

from fastapi import Request

from repository.models import UsageKind, User
from repository.stats.filters import counts
from repository.stats.recorder import UsageRecorder, normalise_query


def recorder(request: Request) -> UsageRecorder | None:
    found: UsageRecorder | None = getattr(request.app.state, "usage", None)
    return found


def _who(request: Request, user: User | None) -> str:
    if user is not None:
        return f"u:{user.id}"
    host = request.client.host if request.client else ""
    return f"a:{host}|{request.headers.get('user-agent', '')}"


def starts_at_zero(request: Request) -> bool:
    """A media request that starts playing from the beginning: no ``Range``, or one from byte 0
    (a browser's first request for a ``<video>``; seeking asks for later bytes)."""
    value = request.headers.get("range")
    if value is None:
        return True
    unit, _, spec = value.partition("=")
    return unit.strip().lower() == "bytes" and spec.strip().startswith("0-")


def count(
    request: Request,
    kind: UsageKind,
    user: User | None = None,
    *,
    material_id: str = "",
    query: str = "",
    results: int | None = None,
) -> None:
    """Record ``kind`` for this request unless it is a robot's, a prefetch or not a GET."""
    usage = recorder(request)
    if usage is None or not usage.enabled or not counts(request.method, request.headers):
        return
    if kind is UsageKind.search:
        query = normalise_query(query)
        if not query:
            return
    usage.record(kind, _who(request, user), material_id=material_id, query=query, results=results)
