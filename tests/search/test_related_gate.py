"""Related materials in a large index: words most titles hold make no candidate.

At a million materials "Bài", "phiếu" and "lớp" are in most titles; related lists scored every
material holding one (130-320 ms per material page). Here a small index stands for a large one
(``COMMON_MIN_DOCS`` = 0, as ``bench/search_relevance.py``'s gated column does; a word in more
than a fifth of the titles is common).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from tests.search.test_backend_contract import material

# "Bài" is in every title (common); "quang hợp" in two. Grades and subjects vary.
CORPUS = [
    material("goc", "Bài 3: Quang hợp ở thực vật", subjects=["sinh-hoc"], grades=[11]),
    material("cung-tu", "Bài 7: Quang hợp và hô hấp", subjects=["khoa-hoc-tu-nhien"], grades=[7]),
    material("cung-lop", "Bài 4: Hô hấp ở thực vật", subjects=["sinh-hoc"], grades=[11]),
    material("cung-mon", "Bài 9: Di truyền học", subjects=["sinh-hoc"], grades=[12]),
    *[material(f"khac-{i}", f"Bài {i}: Hàm số bậc nhất", subjects=["toan"], grades=[10]) for i in range(12)],
]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    # No result cache: the tests change the thresholds between two asks of one index.
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    b.index(build_document(m) for m in CORPUS)
    b.refresh()
    yield b
    b.close()


def large_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "COMMON_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_SHARE", 0.2)


def test_common_title_words_make_no_candidate_in_a_large_index(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = [h.id for h in backend.related("goc", size=20)]
    # Below COMMON_MIN_DOCS every word counts: the maths materials share "Bài".
    assert {"khac-0", "cung-tu", "cung-lop", "cung-mon"} <= set(small)
    large_index(monkeypatch)
    large = [h.id for h in backend.related("goc", size=20)]
    # Sharing selective words first ("quang hợp", "ở thực vật"), then, the list not being
    # full, the same subject or grade. Sharing "Bài" alone is nothing.
    assert set(large[:2]) == {"cung-tu", "cung-lop"}
    assert large[2:] == ["cung-mon"]


def test_too_few_candidates_are_filled_with_the_same_subject_or_grade(
    backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_index(monkeypatch)
    # "Hàm số bậc nhất" is in twelve titles of sixteen: common; the other maths materials share
    # the subject and grade.
    related = [h.id for h in backend.related("khac-0", size=6)]
    assert len(related) == 6
    assert set(related) <= {f"khac-{i}" for i in range(1, 12)}
