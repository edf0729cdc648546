"""Limits and sanity checks that run before any route, dependency or authentication.

One ASGI middleware, registered by ``create_app`` with one line:

* **Body cap while streaming.** A request body that is not a file upload (everything except
  ``multipart/form-data`` and tus ``application/offset+octet-stream``, which stream to disk under
  their own limits) may be at most ``max_json_body_bytes``. A larger ``Content-Length`` is
  refused at once; a body without one (chunked) is counted as it arrives and refused the moment
  it passes the cap. Either way the answer is 413 before the app has seen a byte, so an
  anonymous client cannot make the server buffer or parse a gigabyte of JSON.
* **Text the database cannot hold → 400.** A NUL byte (PostgreSQL refuses it in text and
  JSONB) or a lone surrogate (not encodable as UTF-8: SQLite and every encoder fail) in the
  path, the query string, a header, a JSON body (keys and values, at any depth) or an
  urlencoded form is answered 400 here, identically on SQLite and PostgreSQL, instead of an
  error deep inside a store. Multipart text parts are checked by ``web.uploads`` with the same
  function (``unstorable``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import error_response

STREAMED_TYPES = ("multipart/form-data", "application/offset+octet-stream")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unstorable(value: Any, where: str = "body") -> str | None:
    """Where in ``value`` (a decoded JSON document, a string, a list of pairs) a NUL byte or a lone
    surrogate sits, or None when there is none. Iterative: any nesting depth is fine."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if _bad_text(item):
                return at
        elif isinstance(item, dict):
            for key, sub in item.items():
                if isinstance(key, str) and _bad_text(key):
                    return f"{at} (a key)"
                stack.append((sub, f"{at}.{key}" if len(at) < 200 else at))
        elif isinstance(item, list | tuple):
            stack.extend((sub, f"{at}[{i}]" if len(at) < 200 else at) for i, sub in enumerate(item))
    return None


async def _disconnected() -> Message:
    # The client went away while the body was read: the app sees the disconnect as it would have.
    return {"type": "http.disconnect"}


class _TooLarge(Exception):
    pass


class InputGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._check_request_line(scope)
        if problem is not None:
            await self._refuse(scope, send, 400, "bad_request", problem)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if scope["method"] not in BODY_METHODS or content_type in STREAMED_TYPES:
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "").strip()
        if declared and not (declared.isascii() and declared.isdigit()):
            await self._refuse(scope, send, 400, "bad_request", "the Content-Length header is not a number")
            return
        if declared and int(declared) > self.max_body_bytes:
            await self._refuse(scope, send, 413, "payload_too_large", self._too_large_message())
            return
        try:
            body, more = await self._read(receive)
        except _TooLarge:
            await self._refuse(scope, send, 413, "payload_too_large", self._too_large_message())
            return
        problem = self._check_body(content_type, body)
        if problem is not None:
            await self._refuse(scope, send, 400, "bad_request", problem)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await more()

        await self.app(scope, replay, send)

    def _too_large_message(self) -> str:
        return (
            f"the request body is larger than {self.max_body_bytes:,} bytes; "
            "files go in a multipart upload or a resumable upload"
        )

    async def _read(self, receive: Receive) -> tuple[bytes, Receive]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), _disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), receive

    def _check_request_line(self, scope: Scope) -> str | None:
        if _bad_text(scope.get("path", "")):
            return "the URL path contains a NUL byte or an invalid character"
        query = scope.get("query_string", b"")
        if query:
            # Decoded exactly as Starlette decodes it for the routes (latin-1, then %-escapes).
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            where = unstorable(pairs, "query")
            if where is not None:
                return "a query parameter contains a NUL byte or an invalid character"
        for name, value in scope.get("headers", []):
            if b"\x00" in value or b"\x00" in name:
                return f"the {name.decode('latin-1')[:40]!r} header contains a NUL byte"
        return None

    def _check_body(self, content_type: str, body: bytes) -> str | None:
        if not body:
            return None
        # FastAPI reads a body without Content-Type as JSON too, so it is checked as JSON.
        if content_type in ("", "application/json") or content_type.endswith("+json"):
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                return None  # not JSON: the route's own parser answers 422 with the reason
            where = unstorable(document, "body")
            if where is not None:
                return f"{where} contains a NUL byte or a lone surrogate (\\u0000, \\ud800...)"
        elif content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
            where = unstorable(pairs, "form")
            if where is not None:
                return "a form field contains a NUL byte or an invalid character"
        return None

    async def _refuse(self, scope: Scope, send: Send, status: int, code: str, message: str) -> None:
        async def empty() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        response = error_response(Request(scope, empty), status, {"code": code, "message": message})
        # The body may not have been read: the connection cannot be reused for another request.
        response.headers["Connection"] = "close"
        await response(scope, empty, send)
