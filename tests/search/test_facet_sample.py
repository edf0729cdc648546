"""A broad query's facets, counted on its top candidates from the value-set columns (embedded).

The counts must be exactly what Tantivy's terms aggregation gives over the same materials (each
code of a material once, several subjects each counted), and follow a material whose codes
change: a set's number names its codes, so a re-indexed material counts under its new ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tantivy import Occur, Query

from repository import fields
from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery
from tests.search.test_backend_contract import material

SUBJECTS = (["toan"], ["toan", "tieng-viet"], ["tieng-viet"], ["toan", "khoa-hoc"])
TYPES = ("phieu-hoc-tap", "bai-giang-dien-tu", None)


def _materials(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        meta: dict[str, Any] = {"grades": [4 + i % 3] if i % 5 else [4, 5], "subjects": SUBJECTS[i % 4]}
        if TYPES[i % 3]:
            meta["type"] = TYPES[i % 3]
        out.append(material(f"bt-{i:02d}", f"Bài tập toán số {i}", description="Luyện tập cộng trừ.", **meta))
    return out


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedBackend]:
    monkeypatch.setattr(embedded, "FACET_SAMPLE", 12)
    monkeypatch.setattr(embedded, "FACET_BROAD", 5)
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    b.index(build_document(m) for m in _materials(40))
    b.refresh()
    yield b
    b.close()


def _aggregated(backend: EmbeddedBackend, addrs: list[Any]) -> dict[str, dict[str, int]]:
    """The facets of the materials at ``addrs`` by Tantivy's terms aggregation."""
    searcher = backend._searcher()
    keys = searcher.fast_field_values("key", addrs)
    q = Query.boolean_query(
        [(Occur.Must, backend._term("kind", "m")), (Occur.Must, backend._keys([int(k) for k in keys if k]))]
    )
    aggs = {n: {"terms": {"field": n, "size": 100}} for n in fields.facets()}
    result = searcher.aggregate(q, aggs)
    return {
        n: {
            str(int(b["key"]) if n == "grade" else b["key"]): int(b["doc_count"])
            for b in result[n]["buckets"]
        }
        for n in fields.facets()
    }


def _sampled(backend: EmbeddedBackend, addrs: list[Any]) -> dict[str, dict[str, int]]:
    found = backend._sampled_facets(backend._searcher(), addrs, fields.facets())
    return {n: {v.value: v.count for v in values} for n, values in found.items()}


def _top(backend: EmbeddedBackend, n: int) -> list[Any]:
    hits = backend._searcher().search(backend._term("kind", "m"), n, count=False).hits
    return [addr for _score, addr in hits]


def test_broad_query_counts_its_top_candidates(backend: EmbeddedBackend) -> None:
    result = backend.search(SearchQuery("bài tập toán", size=5))
    assert result.facets_approximate
    grades = {f.value: f.count for f in result.facets["grade"]}
    subjects = {f.value: f.count for f in result.facets["subject"]}
    # Twelve materials counted; some have two grades or two subjects, each counted.
    assert 12 < sum(grades.values()) < 24
    assert set(grades) <= {"4", "5", "6"}
    assert 12 < sum(subjects.values()) <= 24
    assert set(subjects) <= {"toan", "tieng-viet", "khoa-hoc"}
    assert sum(f.count for f in result.facets["type"]) <= 12  # a third have no type


def test_columns_count_as_the_aggregation_does(backend: EmbeddedBackend) -> None:
    addrs = _top(backend, 25)
    expected = _aggregated(backend, addrs)
    assert expected["subject"]["toan"] > 0 and expected["subject"]["tieng-viet"] > 0
    assert _sampled(backend, addrs) == expected
    # Asked again, the value sets come from memory: the same counts.
    assert _sampled(backend, addrs) == expected


def test_a_material_whose_codes_change_counts_under_the_new_ones(backend: EmbeddedBackend) -> None:
    _sampled(backend, _top(backend, 40))  # every set of the index learnt
    changed = [
        material(f"bt-{i:02d}", f"Bài tập toán số {i}", grades=[9], subjects=["lich-su"], type="de-kiem-tra")
        for i in range(0, 40, 2)
    ]
    backend.index(build_document(m) for m in changed)
    backend.refresh()
    addrs = _top(backend, 40)
    counted = _sampled(backend, addrs)
    assert counted == _aggregated(backend, addrs)
    assert counted["grade"]["9"] == 20
    assert counted["subject"]["lich-su"] == 20
