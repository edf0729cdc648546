"""The embedded backend's filters as it builds them (``EmbeddedBackend._build``): private
materials left out through their own short posting, and the kind filter dropped where a
required text clause already keeps to materials. Every kind of search finds, in the same order,
exactly the public materials among what it finds without the filter, and never a page or the
index's revision document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery
from tests.search.test_backend_contract import material

N = 90


def _private(i: int) -> bool:
    return i % 3 == 0


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedBackend]:
    # Small thresholds, so that this small index has common words and gated searches.
    monkeypatch.setattr(embedded, "COMMON_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_SHARE", 0.5)
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    docs = [
        material(
            f"m-{i:03d}",
            f"Bài tập {'hình thang' if i % 4 == 0 else 'phép tính'} số {i}",
            state="submitted" if _private(i) else "approved",
            grades=[5 if i % 2 else 6],
            subjects=["toan"],
            type="bai-tap",
            text=f"Bài tập số {i}. "
            + ("Diện tích hình thang. " if i % 5 == 0 else "Luyện tập. ") * (1 + i % 3),
            # Pages repeat the words: a page document must never come back as a material.
            pages=[(1, "Bài tập hình thang, phép tính."), (2, "Luyện tập.")] if i % 2 == 0 else (),
        )
        for i in range(N)
    ]
    b.index(build_document(d) for d in docs)
    b.refresh()
    yield b
    b.close()


SEARCHES = [
    "phép tính",  # one clause
    "bài tập diện tích hình thang",  # common words: gated
    '"hình thang"',  # a phrase: two passes
    "toán lớp 5 hình thang",  # a curriculum alias
    "-thang",  # an exclusion alone: no required text clause, the kind filter stays
    "",  # browsing
]


@pytest.mark.parametrize("text", SEARCHES)
@pytest.mark.parametrize("students_only", [False, True])
def test_public_searches_find_exactly_the_public_materials_of_the_unfiltered_search(
    backend: EmbeddedBackend, text: str, students_only: bool
) -> None:
    def ids(public_only: bool) -> tuple[list[str], int]:
        q = SearchQuery(text, size=N, public_only=public_only, students_only=students_only, with_facets=False)
        result = backend.search(q)
        return [h.id for h in result.hits], result.total

    everyone, everyone_total = ids(False)
    public, public_total = ids(True)
    assert everyone and all(i.startswith("m-") for i in everyone)  # materials only, never a page
    assert len(everyone) == len(set(everyone))
    kept = [i for i in everyone if not _private(int(i[2:]))]
    assert kept != everyone  # the unfiltered search finds private materials
    assert public == kept
    if len(everyone) == everyone_total:  # every match on the page: the totals count them too
        assert public_total == len(kept)
