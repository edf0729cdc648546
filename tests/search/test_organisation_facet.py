"""The ``organisation`` facet and filter, on every backend (embedded and the OpenSearch ones)."""

from __future__ import annotations

from typing import Any

import pytest

from search.backends.base import SearchBackend
from search.documents import build_document
from search.query import SearchQuery
from tests.search.test_backend_contract import material


def contributed(ident: str, title: str, organisation: str | None, **kw: Any) -> dict[str, Any]:
    return {**material(ident, title, subjects=["toan"], grades=[5], **kw), "organisation": organisation}


DOCS = [
    contributed("a", "Phân số", "dhsp-ha-noi"),
    contributed("b", "Phân số thập phân", "dhsp-ha-noi"),
    contributed("c", "Phân số bằng nhau", "so-gd-hue"),
    contributed("d", "Rút gọn phân số", None),
    # A draft of an organisation counts nowhere.
    contributed("e", "Phân số nháp", "so-gd-hue", state="draft"),
]


@pytest.fixture
def loaded(backend: SearchBackend) -> SearchBackend:
    backend.index(build_document(m) for m in DOCS)
    backend.refresh()
    return backend


def test_the_facet_counts_public_materials_per_organisation(loaded: SearchBackend) -> None:
    result = loaded.search(SearchQuery("phân số"))
    assert result.total == 4
    counts = {f.value: f.count for f in result.facets["organisation"]}
    assert counts == {"dhsp-ha-noi": 2, "so-gd-hue": 1}


def test_the_filter_keeps_one_organisation_and_the_facet_shows_the_others(loaded: SearchBackend) -> None:
    result = loaded.search(SearchQuery("phân số", organisations=["dhsp-ha-noi"]))
    assert sorted(h.id for h in result.hits) == ["a", "b"]
    assert result.total == 2
    # A facet ignores its own filter: choosing another organisation shows what it would give.
    counts = {f.value: f.count for f in result.facets["organisation"]}
    assert counts == {"dhsp-ha-noi": 2, "so-gd-hue": 1}
    both = loaded.search(SearchQuery("", organisations=["dhsp-ha-noi", "so-gd-hue"]))
    assert sorted(h.id for h in both.hits) == ["a", "b", "c"]
    assert loaded.search(SearchQuery("phân số", organisations=["khong-co"])).total == 0
