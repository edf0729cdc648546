"""The response policy of stored files: disposition, type, CSP, ``nosniff`` and caching.

One helper per concern, so the download routes stay thin and the storage side (where the bytes
come from, ranges, validators) can change on its own:

* :func:`file_headers` — what the *bytes* allow (``repository.content_safety``): passive formats
  inline when asked, everything that can carry script an attachment in a CSP sandbox, and
  ``X-Content-Type-Options: nosniff`` on every file and derivative;
* :func:`cache_control` — public, immutable caching only for approved public content (its URL names
  the file row, which never changes content); anything else is ``private, no-store``.
"""

from __future__ import annotations

from repository.content_safety import HEAD_BYTES, OCTET_STREAM, Delivery, delivery_for
from repository.runtime import Runtime

PUBLIC_CACHE = "public, max-age=31536000, immutable"
PRIVATE_CACHE = "private, no-store"


def cache_control(public: bool) -> str:
    """``Cache-Control`` of a file response: shared caches keep only what anyone may read."""
    return PUBLIC_CACHE if public else PRIVATE_CACHE


def read_head(runtime: Runtime, key: str) -> bytes:
    """The first bytes of a stored blob, for sniffing."""
    with runtime.blobs.open(key) as stream:
        return stream.read(HEAD_BYTES)


def _attachment_type(stored: str) -> str:
    # An attachment is never rendered, but a type a browser would run is not sent at all:
    # defence in depth for clients that ignore Content-Disposition.
    base = stored.split(";")[0].strip().lower()
    scriptable = (
        base.startswith("text/") and base not in ("text/plain", "text/csv", "text/markdown", "text/vtt")
    ) or base.endswith(("/xml", "+xml", "html", "javascript", "ecmascript"))
    return OCTET_STREAM if scriptable or not base else stored


def file_headers(
    head: bytes, stored_media_type: str, *, inline: bool
) -> tuple[Delivery, str, dict[str, str]]:
    """Decide how to send a file whose first bytes are ``head``.

    ``inline`` is what the caller asked for (``?download=false``, derivatives); the bytes decide
    whether it is granted. Returns the delivery, the ``Content-Type`` to send and the headers.
    """
    delivery = delivery_for(head)
    # Always the file's own policy, so the portal's page policy (``object-src 'none'`` would stop the
    # PDF viewer) is never applied to it.
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": delivery.csp}
    if delivery.inline and inline:
        return delivery, delivery.media_type, headers
    attached = Delivery(inline=False, media_type=delivery.media_type, csp=delivery.csp)
    media_type = delivery.media_type if delivery.inline else _attachment_type(stored_media_type)
    return attached, media_type, headers
