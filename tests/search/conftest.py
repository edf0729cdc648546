"""Backends for the one behaviour suite (``test_backend_contract.py``).

* ``embedded``: always, a Tantivy index in ``tmp_path``.
* ``osmem``: the OpenSearch backend against ``osmem-server`` (an in-memory stand-in, bleve
  inside, no ICU, other scores), started once per session on a loopback port. It exercises the
  client calls and the mapping, never relevance: tests marked ``relevance`` skip on it.
* ``opensearch``: a real cluster when ``HOCLIEU_OPENSEARCH_URL`` is set (marker ``opensearch``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search.backends.base import SearchBackend
from search.backends.embedded import EmbeddedBackend

OPENSEARCH_URL = os.environ.get("HOCLIEU_OPENSEARCH_URL", "")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "relevance: asserts ranking; skipped on score-incompatible stand-ins")


@pytest.fixture(scope="session")
def osmem_url() -> Iterator[str]:
    osmem = pytest.importorskip("osmem_server")
    try:
        server = osmem.OsmemServer.start(japanese=False, addr="127.0.0.1:0")
    except osmem.OsmemError as exc:  # no binary for this platform
        pytest.skip(f"osmem-server cannot start here: {exc}")
    yield server.url
    server.close()
    if server.process.stdout is not None:  # the library leaves its pipe open (ResourceWarning)
        server.process.stdout.close()


def _opensearch(url: str) -> SearchBackend:
    from search.backends.opensearch import OpenSearchBackend

    return OpenSearchBackend(url, alias=f"hoclieu-test-{uuid.uuid4().hex[:10]}")


def _drop(backend: Any) -> None:
    for index in backend._indices():
        backend.client.indices.delete(index=index)
    backend.close()


@pytest.fixture(
    params=[
        "embedded",
        "osmem",
        pytest.param(
            "opensearch",
            marks=[
                pytest.mark.opensearch,
                pytest.mark.skipif(
                    not OPENSEARCH_URL, reason="set HOCLIEU_OPENSEARCH_URL to run on OpenSearch"
                ),
            ],
        ),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    kind = request.param
    if kind == "osmem" and request.node.get_closest_marker("relevance"):
        pytest.skip("osmem-server scores with bleve, not Lucene BM25: not a proof of relevance order")
    if kind == "embedded":
        b: SearchBackend = EmbeddedBackend(tmp_path / "index")
        yield b
        b.close()
        return
    url = request.getfixturevalue("osmem_url") if kind == "osmem" else OPENSEARCH_URL
    b = _opensearch(url)
    yield b
    _drop(b)
