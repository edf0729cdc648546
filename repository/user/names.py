"""The one normalisation of a username: every lookup and every sign-in lockout key use it.

Stored usernames are ASCII (``UserCreate``'s pattern) and compared case-insensitively, so
``Co_Lan``, ``co_lan``, `` co_lan`` and its full-width spelling (U+FF43 ...) are one account, and
therefore one lockout counter: an attacker cannot reset the lockout by changing the case.
"""

from __future__ import annotations

import unicodedata


def normalise_username(username: str) -> str:
    """NFKC (full-width and compatibility forms fold to ASCII), trimmed, lower case."""
    return unicodedata.normalize("NFKC", username).strip().lower()


def storable(text: str) -> bool:
    """Whether ``text`` can reach the database: no NUL (PostgreSQL refuses it in text) and no
    lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
