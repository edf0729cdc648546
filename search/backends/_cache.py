"""The search result cache: popular queries ("toán lớp 5" in the evening) cost a dictionary lookup.

Keys are ``(index revision, normalised query)``. The revision comes from the searcher that
computes the result (see ``EmbeddedBackend.revision``), so an entry describes exactly one state
of the index and can never be served after a change: every commit, a take-down included, makes a
new revision and therefore new keys. Old entries are not invalidated, they age out of the LRU.
"""

from __future__ import annotations

import dataclasses
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from search.query import SearchQuery

V = TypeVar("V")


def cache_key(query: SearchQuery) -> Hashable:
    """``query`` with its text normalised as the analyser reads it (NFKC/NFC, lower case, one
    space between words), so "Toán  lớp 5", "toán lớp 5" and an NFD "Toán lớp 5" share an entry.
    Filters keep their order-insensitive meaning (sorted)."""
    text = " ".join(unicodedata.normalize("NFC", unicodedata.normalize("NFKC", query.text)).lower().split())
    fields = dataclasses.asdict(query)
    fields["text"] = text
    return tuple((name, _frozen(value)) for name, value in sorted(fields.items()))


def _frozen(value: Any) -> Hashable:
    if isinstance(value, tuple | list):
        return tuple(sorted(value, key=str))
    if isinstance(value, dict):  # the generic vocabulary filters, by field name
        return tuple(sorted((k, _frozen(v)) for k, v in value.items() if v))
    hashable: Hashable = value
    return hashable


class ResultCache(Generic[V]):
    """A thread-safe LRU of search results (``size`` entries; 0 disables it), or of another
    kind of answer (completions, related materials)."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 0)
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            result = self._entries.get(key)
            if result is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return result

    def put(self, key: Hashable, result: V) -> None:
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
