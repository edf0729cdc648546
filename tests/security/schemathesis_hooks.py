"""Loaded by the schemathesis CLI in ``test_fuzz.py`` (``SCHEMATHESIS_HOOKS``).

tus chunks are ``application/offset+octet-stream``: raw bytes, serialised like any octet stream,
so the fuzzer exercises ``PATCH /api/v1/uploads/{id}`` too instead of skipping it.
"""

from __future__ import annotations

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
