"""Stateless OAI-PMH resumption tokens: the query and a keyset cursor, signed.

A token is ``<payload>.<mac>``: the payload is compact JSON in base64url, the MAC the first 16
bytes of HMAC-SHA256 under a key derived from the site secret. Nothing is stored on the server,
so a token survives restarts and works on every web process; the MAC makes a token the server
did not write (edited cursor, other query, truncated) a ``badResumptionToken`` rather than a
query someone crafted. The payload is readable by anyone: it only holds what the harvester
asked for and where it stopped.

    >>> codec = TokenCodec("s3cret")
    >>> token = codec.dump({"verb": "ListRecords", "c": 100})
    >>> codec.load(token)
    {'verb': 'ListRecords', 'c': 100}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

# Bumped when the payload changes shape: older tokens then fail cleanly instead of misreading.
TOKEN_VERSION = 1
MAX_TOKEN_LENGTH = 2048


class TokenError(ValueError):
    """The token was not written by this server (or by an older, incompatible version)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Signs and checks resumption-token payloads (JSON objects)."""

    def __init__(self, secret: str) -> None:
        # A key of its own, so a token can never double as a session cookie signature or vice versa.
        self._key = hmac.new(
            secret.encode("utf-8"), b"hoclieu/oai-pmh/resumption-token", hashlib.sha256
        ).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest()[:16])

    def dump(self, data: dict[str, Any]) -> str:
        """The signed token for ``data``."""
        body = json.dumps(
            {"v": TOKEN_VERSION, **data}, separators=(",", ":"), ensure_ascii=True, sort_keys=True
        )
        payload = _b64(body.encode("ascii"))
        return f"{payload}.{self._mac(payload)}"

    def load(self, token: str) -> dict[str, Any]:
        """The payload of a token this server wrote.

        Raises:
            TokenError: malformed, tampered with, or of another token version.
        """
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise TokenError("the resumption token is malformed")
        payload, mac = token.split(".")
        if not (payload.isascii() and mac.isascii()) or not hmac.compare_digest(self._mac(payload), mac):
            raise TokenError("the resumption token was not issued by this repository or was altered")
        try:
            data = json.loads(_unb64(payload))
        except (binascii.Error, ValueError) as exc:
            raise TokenError("the resumption token is malformed") from exc
        if not isinstance(data, dict) or data.pop("v", None) != TOKEN_VERSION:
            raise TokenError("the resumption token is from an incompatible version; start the harvest again")
        return data
