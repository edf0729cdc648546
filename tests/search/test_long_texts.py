"""Long texts (a textbook's body is hundreds of thousands of characters), embedded backend.

The body is indexed whole but stored only as its first ``STORED_BODY_CHARS``: every search reads
the stored documents of its results, and snippets, the second stage and typo suggestions need
no more. A hit's snippet is cut from the part of that start around the first query word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery
from tests.search.test_backend_contract import material

FILLER = "Học sinh đọc bài và trả lời câu hỏi trong sách giáo khoa. "


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    early = FILLER * 40 + "Quang hợp là quá trình tổng hợp chất hữu cơ nhờ ánh sáng. " + FILLER * 400
    deep = FILLER * 2_000 + "Hô hấp tế bào giải phóng năng lượng. " + FILLER * 10
    b.index(
        [
            build_document(material("early", "Sinh học 11", text=early)),
            build_document(material("deep", "Sinh học 10", text=deep)),
        ]
    )
    b.refresh()
    yield b
    b.close()


def _marked(snippet: str) -> set[str]:
    return {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", snippet)}


def test_the_snippet_is_cut_around_the_first_query_word(backend: EmbeddedBackend) -> None:
    # "quang hợp" is 2 400 characters into the body, beyond the snippet window's length.
    hits = backend.search(SearchQuery("quang hợp")).hits
    assert [h.id for h in hits] == ["early"]
    assert _marked(hits[0].snippet) == {"quang", "hợp"}
    assert "Quang hợp là quá trình" in re.sub(r"</?mark>", "", hits[0].snippet)


def test_a_word_beyond_the_stored_start_is_found(backend: EmbeddedBackend) -> None:
    assert len(FILLER) * 2_000 > embedded.STORED_BODY_CHARS
    hits = backend.search(SearchQuery("hô hấp tế bào")).hits
    assert [h.id for h in hits] == ["deep"]
    # Nothing of it is stored to mark: the snippet is the start of the text, whole words.
    assert hits[0].snippet.startswith("Học sinh đọc bài")


def test_the_window_never_cuts_a_word(tmp_path: Path) -> None:
    from search.backends.embedded import _Snippets
    from search.query import analyze

    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    b.index([build_document(material("x", "X", text="thang " * 10))])
    b.refresh()
    snippets = _Snippets(b._searcher(), b.schema, analyze("hình thang").tokens)
    text = "Một hai ba bốn năm sáu bảy tám chín mười. " * 60 + "Diện tích hình thang. " + "Cao. " * 400
    part = snippets.around(text)
    assert len(part) <= embedded.SNIPPET_WINDOW
    assert "hình thang" in part
    assert text.startswith(part) is False
    # Whole words at both ends.
    assert f" {part} " in f" {text} "
    b.close()


def test_a_word_cut_by_the_first_look_is_not_taken_for_the_query_word(tmp_path: Path) -> None:
    # The first query word is looked for in the body's first SNIPPET_WINDOW characters, then in
    # the whole body. "thangnam" straddles that cut: "thang" alone is before it, and is no word.
    from search.backends.embedded import _Snippets
    from search.query import analyze

    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    b.index([build_document(material("x", "X", text="thang " * 10))])
    b.refresh()
    snippets = _Snippets(b._searcher(), b.schema, analyze("hình thang").tokens)
    lead = ("Một hai ba bốn. " * 100)[: embedded.SNIPPET_WINDOW - 6] + " "
    text = lead + "thangnam ba. " + "Một hai ba bốn. " * 100 + "Diện tích hình thang. " + "Cao. " * 400
    assert text.index("thangnam") + len("thang") == embedded.SNIPPET_WINDOW
    part = snippets.around(text)
    assert "hình thang" in part and "thangnam" not in part
    b.close()


def test_a_body_of_lines_without_spaces_is_cut_around_the_word(tmp_path: Path) -> None:
    # Text extracted from a PDF can hold one word per line: the window starts at a line break
    # before the word, not at the first space (which came after it and lost the word).
    b = EmbeddedBackend(tmp_path / "index", cache_size=0)
    body = "dòng\n" * 600 + "Hình\nvuông\ncó\nbốn\ncạnh bằng nhau. " + "Hết. " * 400
    b.index([build_document(material("dong", "Tài liệu", text=body))])
    b.refresh()
    hits = b.search(SearchQuery("hình")).hits
    assert [h.id for h in hits] == ["dong"]
    assert _marked(hits[0].snippet) == {"hình"}
    b.close()
