"""Rate limits: a token bucket per API client (or signed-in token) and per anonymous address.

Every request outside ``/static`` and the health check takes one token from its caller's bucket.
A bucket holds up to a minute's worth of requests (the configured rate) and refills continuously,
so a client may burst, then runs at the steady rate. An empty bucket answers 429 with
``Retry-After``; every answer carries the IETF ``RateLimit-Limit`` / ``-Remaining`` / ``-Reset``
fields and ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers).

Buckets live in Redis when ``HOCLIEU_REDIS_URL`` is set (one atomic Lua script, the server's
clock, shared by every web process), otherwise in this process. If Redis fails the request goes
through: a limiter outage must not become an API outage.

Who is calling is read from the bearer token (or the portal's session cookie) by a cached
lookup of its hash; a token that does not resolve counts against its address, so random tokens
cannot mint fresh buckets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repository.client.service import api_clients
from repository.config import Settings

log = logging.getLogger(__name__)

EXEMPT_PREFIXES = ("/static/", "/api/v1/health")
WINDOW_S = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int  # until one request is allowed again (0 when allowed)
    reset_s: int  # until the bucket is full again


class Buckets(Protocol):
    async def take(self, key: str, per_minute: int) -> Decision: ...

    async def close(self) -> None: ...


def _decide(tokens: float, allowed: bool, per_minute: int) -> Decision:
    rate = per_minute / WINDOW_S
    return Decision(
        allowed=allowed,
        limit=per_minute,
        remaining=max(0, math.floor(tokens)),
        retry_after_s=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
        reset_s=max(0, math.ceil((per_minute - tokens) / rate)),
    )


class MemoryBuckets:
    """Buckets in this process (embedded mode). Bounded: the least recently used are dropped
    (a dropped bucket starts full again, which only ever errs towards letting requests in)."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_keys = max_keys

    async def take(self, key: str, per_minute: int) -> Decision:
        rate = per_minute / WINDOW_S
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - at) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return _decide(tokens, allowed, per_minute)

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV[1] rate per second, ARGV[2] capacity. Returns {allowed, tokens as text}.
_LUA = """
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or cap
local at = tonumber(b[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(cap / rate) + 1)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets shared by every web process through Redis (one atomic script per request)."""

    def __init__(self, url: str, *, prefix: str = "hoclieu:rl:") -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.script = self.redis.register_script(_LUA)
        self.prefix = prefix

    async def take(self, key: str, per_minute: int) -> Decision:
        allowed, tokens = await self.script(
            keys=[self.prefix + key], args=[per_minute / WINDOW_S, per_minute]
        )
        return _decide(float(tokens), bool(int(allowed)), per_minute)

    async def close(self) -> None:
        await self.redis.aclose()


class _Identities:
    """token hash → ``client:<id>`` / ``user:<id>`` (or None), cached briefly."""

    def __init__(self, *, ttl_s: float = 60.0, max_keys: int = 10_000) -> None:
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.ttl_s = ttl_s
        self.max_keys = max_keys

    def lookup(self, runtime: Any, token: str) -> str | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None and hit[0] > now:
                return hit[1]
        with runtime.db.read() as session:
            owner = api_clients.token_owner(session, token)
        identity = None if owner is None else (f"client:{owner[0]}" if owner[0] else f"user:{owner[1]}")
        with self._lock:
            self._cache[digest] = (now + self.ttl_s, identity)
            while len(self._cache) > self.max_keys:
                self._cache.popitem(last=False)
        return identity


def _credential(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and 0 < len(token.strip()) <= 200:
                return token.strip()
        elif name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, cookie = part.strip().partition("=")
                if key == "hl_session" and ":" in cookie:
                    token = cookie.partition(":")[2]
                    if 0 < len(token) <= 200:
                        return token
    return None


class RateLimit:
    """ASGI middleware applying the buckets (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings, buckets: Buckets) -> None:
        self.app = app
        self.settings = settings
        self.buckets = buckets
        self.identities = _Identities()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        identity: str | None = None
        token = _credential(scope)
        if token is not None:
            runtime = scope["app"].state.runtime
            identity = await run_in_threadpool(self.identities.lookup, runtime, token)
        if identity is not None:
            key, per_minute = identity, self.settings.rate_limit_client_per_minute
        else:
            client = scope.get("client")
            key, per_minute = (
                f"addr:{client[0] if client else '-'}",
                self.settings.rate_limit_anonymous_per_minute,
            )
        if per_minute <= 0:
            await self.app(scope, receive, send)
            return
        try:
            decision = await self.buckets.take(key, per_minute)
        except Exception:
            log.exception("ratelimit.backend_failed")  # fail open: see the module docstring
            await self.app(scope, receive, send)
            return
        fields = [
            (b"ratelimit-limit", str(decision.limit).encode()),
            (b"ratelimit-remaining", str(decision.remaining).encode()),
            (b"ratelimit-reset", str(decision.reset_s).encode()),
            (b"ratelimit-policy", f"{per_minute};w={WINDOW_S}".encode()),
        ]
        if not decision.allowed:
            await _refuse(scope, send, decision, fields)
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *fields]}
            await send(message)

        await self.app(scope, receive, send_with_fields)


async def _refuse(scope: Scope, send: Send, decision: Decision, fields: list[tuple[bytes, bytes]]) -> None:
    message = f"too many requests: try again in {decision.retry_after_s} s"
    wants_html = any(n == b"accept" and b"text/html" in v for n, v in scope.get("headers", []))
    if wants_html and not scope.get("path", "").startswith("/api/"):
        body = (
            "<!doctype html><html lang='vi'><meta charset='utf-8'><title>429</title>"
            f"<h1>Quá nhiều yêu cầu</h1><p>{message}</p></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"error": {"code": "rate_limited", "message": message}}).encode()
        content_type = b"application/json"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(decision.retry_after_s).encode()),
        *fields,
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install(app: Any, settings: Settings) -> None:
    """The one registration ``create_app`` makes (``close`` runs at shutdown)."""
    buckets: Buckets = RedisBuckets(settings.redis_url) if settings.redis_url else MemoryBuckets()
    app.state.rate_limit_buckets = buckets
    app.add_middleware(RateLimit, settings=settings, buckets=buckets)


async def close(app: Any) -> None:
    """Release the buckets' connections (Redis) when the app stops."""
    buckets: Buckets | None = getattr(app.state, "rate_limit_buckets", None)
    if buckets is not None:
        await buckets.close()
