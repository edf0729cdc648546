"""The second ranking stage (``search.rerank``): words found together outrank scattered words."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from repository.text import merge_i_y, nfc
from search.query import WORD_RUNS, analyze, fast_fold
from search.rerank import (
    TEXT_CHARS,
    candidate_words,
    pair_coverage,
    pool_weights,
    query_pairs,
    reordered,
    run_coverage,
    saturated_tf,
    second_stage,
    text_words,
    window_coverage,
)

FILLER = " ".join(f"đoạn {i} nói về một chủ đề khác của bài học." for i in range(12))
SCATTERED = f"Lá rụng. {FILLER} Cây trồng. {FILLER} Có màu đất. {FILLER} Xanh biếc. {FILLER}"
TOGETHER = "Lá cây có màu xanh vì chứa chất diệp lục."


def idf_of(text: str, value: float = 2.0) -> dict[str, float]:
    return {t.folded: value for t in analyze(text).tokens}


def test_window_coverage_counts_distinct_words_within_the_window() -> None:
    weights = {"la": 1.0, "cay": 2.0, "xanh": 4.0}
    assert window_coverage(weights, text_words(TOGETHER)) == 7.0
    assert window_coverage(weights, text_words(SCATTERED)) == 4.0
    # Repeating a word inside the window adds nothing.
    assert window_coverage(weights, ["xanh"] * 5) == 4.0
    assert window_coverage(weights, ["la", *["x"] * 9, "cay"], window=10) == 2.0
    assert window_coverage(weights, ["la", *["x"] * 8, "cay"], window=10) == 3.0


def test_term_frequency_saturates_and_long_texts_count_less() -> None:
    weights = {"xanh": 1.0}
    once, many = saturated_tf(weights, ["xanh"], 1.0), saturated_tf(weights, ["xanh"] * 100, 100.0)
    assert once < many < 2.2 * once
    assert saturated_tf(weights, ["xanh", *["x"] * 99], 10.0) < saturated_tf(weights, ["xanh"], 10.0)


def test_an_answer_in_one_place_outscores_the_same_words_scattered() -> None:
    for text in ("vì sao lá cây có màu xanh", "vi sao la cay co mau xanh"):
        parsed = analyze(text)
        extra = second_stage(
            parsed, idf_of(text), [SCATTERED, TOGETHER], [((), ()), ((), ())], unit=120.0, question_weight=0.1
        ).extra
        assert extra[1] > extra[0] >= 0.0, text


def test_belonging_to_the_named_grade_counts_in_every_window() -> None:
    text = "cho em hỏi tài liệu toán lớp 5 ở đâu"
    parsed = analyze(text)
    grade5, other = ([5], ["toan"]), ([3], ["toan"])
    extra = second_stage(
        parsed, idf_of(text), ["Phân số", "Phân số"], [grade5, other], unit=120.0, question_weight=0.1
    ).extra
    assert extra[0] > extra[1]


def test_accented_words_count_half_where_the_text_has_other_accents() -> None:
    parsed = analyze("khoẻ")
    extra = second_stage(
        parsed,
        idf_of("khoe"),
        ["Bài đọc\nSức khỏe học đường", "Bài đọc\nKhoe, khoe khoang, khoe"],
        [((), ()), ((), ())],
        unit=120.0,
        question_weight=0.1,
    ).extra
    assert extra[0] > extra[1]


def test_nothing_to_re_rank_without_words_of_the_text() -> None:
    parsed = analyze("toán lớp 5")
    assert second_stage(
        parsed, idf_of("toan lop 5"), ["a", "b"], [((5,), ()), ((), ())], unit=120.0, question_weight=0.1
    ).extra == [0.0, 0.0]


def rerank(text: str, texts: list[str], idf: dict[str, float] | None = None) -> list[float]:
    parsed = analyze(text)
    return second_stage(
        parsed, idf or idf_of(text), texts, [((), ())] * len(texts), unit=120.0, question_weight=0.1
    ).extra


def test_words_every_candidate_holds_weigh_less_among_them() -> None:
    # "sinh viên" is rare in the index but in every candidate: it does not tell them apart.
    tokenised = [["sinh", "vien", "bao", "luu"], ["sinh", "vien", "hoc", "phi"], ["sinh", "vien"]]
    pooled = pool_weights({"sinh": 3.0, "vien": 3.0, "bao": 3.0}, tokenised)
    assert pooled["bao"] > 2 * pooled["sinh"]
    assert pooled["sinh"] == pooled["vien"]


def test_a_pair_of_common_words_is_worth_its_rarer_word() -> None:
    parsed = analyze("tên đầy đủ của Messi")
    pairs = query_pairs(parsed, {"ten": 1.0, "day": 2.0, "du": 2.0, "cua": 0.5, "messi": 9.0})
    assert pairs[("ten", "day")] == 1.0
    assert pairs[("cua", "messi")] == 0.5
    weights = {"ten": 1.0, "day": 2.0, "du": 2.0}
    assert pair_coverage(pairs, [(0, "ten"), (1, "day"), (2, "du")]) == 3.0
    assert pair_coverage(pairs, [(0, "ten"), (2, "day"), (4, "du")]) == 0.0
    assert weights  # the pairs carry their own weights


def test_the_longest_verbatim_run_of_the_query() -> None:
    adjacent = {("phuong", "trinh"), ("trinh", "bac"), ("bac", "hai")}
    weights = {"phuong": 1.0, "trinh": 1.0, "bac": 1.0, "hai": 1.0}
    assert run_coverage(adjacent, weights, [(0, "phuong"), (1, "trinh"), (2, "bac"), (3, "hai")]) == 4.0
    # Out of order, or not side by side: runs of one word.
    assert run_coverage(adjacent, weights, [(0, "bac"), (1, "phuong"), (5, "trinh"), (9, "hai")]) == 1.0
    assert run_coverage(adjacent, weights, [(0, "phuong"), (1, "trinh"), (7, "bac"), (8, "hai")]) == 2.0


def test_query_pairs_side_by_side_outrank_the_same_words_apart() -> None:
    # Both hold every word within one window, as often, in as long a text, with a two-word
    # verbatim run; one holds two of the query's pairs side by side, the other one.
    text = "kết quả học tập"
    two_pairs = "Bài học\nkết quả xét học tập xét"
    one_pair = "Bài học\nkết xét quả học xét tập"
    extra = rerank(text, [one_pair, two_pairs])
    assert extra[1] > extra[0]


def test_the_query_verbatim_outranks_its_pairs_scattered() -> None:
    # Both hold every pair of the query side by side, only one holds all of it in one run.
    text = "phương trình bậc hai"
    verbatim = "Bài học\nGiải phương trình bậc hai."
    pairs_only = "Bài học\nphương trình, trình bậc, bậc hai."
    extra = rerank(text, [pairs_only, verbatim])
    assert extra[1] > extra[0]


def test_a_title_holding_every_query_word_keeps_the_first_stage_order() -> None:
    # Known-item search: the first stage's field weights rank titles; passage signals only
    # reshuffle near-identical exam questions.
    text = "căn cứ vào atlat địa lí việt nam trang 9"
    texts = [
        "Căn cứ vào Atlat Địa lí Việt Nam trang 9, cho biết\nCăn cứ vào Atlat Địa lí Việt Nam trang 9",
        "Câu 8\nCăn cứ vào Atlat Địa lí Việt Nam trang 9, trang 9, trang 9",
    ]
    assert rerank(text, texts) == [0.0, 0.0]
    assert rerank(text, [texts[1], texts[1].replace("Câu 8", "Atlat")]) != [0.0, 0.0]


def test_the_title_and_the_body_are_not_side_by_side() -> None:
    # "Hệ nhị phân" (title) + "Số nhị phân…" (body) is no "phân số".
    words = candidate_words("Hệ nhị phân\nSố nhị phân, gồm 0")
    assert words == ["he", "nhi", "phan", "", "so", "nhi", "phan", "gom", "0"]
    adjacent = {("phan", "so")}
    weights = {"phan": 1.0, "so": 1.0}
    assert run_coverage(adjacent, weights, [(i, w) for i, w in enumerate(words) if w in weights]) == 1.0


def test_a_word_counts_in_its_other_i_y_spelling() -> None:
    # "kì" in the text is the query's "kỳ": found side by side with "học" as a pair, in the title.
    text = "học kỳ hè đăng ký thế nào"
    parsed = analyze(text)
    assert {"hocky", "hocki"} <= set(parsed.pairs)
    assert text_words("Học kì hè, đăng kí") == ["hoc", "ki", "he", "dang", "ki"]
    extra = second_stage(
        parsed,
        idf_of(text),
        ["Quy chế\nHọc kì hè: sinh viên đăng kí trước tuần 2.", "Quy chế\nKỳ thi và học phí hè."],
        [((), ()), ((), ())],
        unit=120.0,
        question_weight=0.1,
    ).extra
    assert extra[0] > extra[1]


# Characters whose folding or lowercasing changes where words are cut, or that are odd
# whitespace: the token-by-token reading must cut every text as the whole-text reading does.
ODD_TEXTS = [
    "İstanbul và Hóa học ﬁnal ΣΟΦΟΣ σοφός",
    "nước\u00a0mía, thủy\u2003điện; khỏe\u200bmạnh — x²+y³ = z½",
    "đường  thẳng\tđi qua\nđiểm A₁ và B₂ (\uff28\uff2f\uff23 \uff2c\uff29\uff25\uff35) hoà hòa",
    "a\u0301 co\u0300mbining marks ǅ ǈ ẞ ß ﬀ ŉ",
    "",
    "   ",
]


def test_reading_a_text_token_by_token_gives_the_whole_texts_words(shared_data: Path) -> None:
    from search.rerank import _whole_text_words

    pages = shared_data / "01_vietnamese_edu/textbook_ocr_grade12_chatbot-vnhsge/textbook_pages.jsonl"
    with pages.open(encoding="utf-8") as lines:
        texts = [nfc(json.loads(line)["text"] or "") for line in itertools.islice(lines, 400)]
    texts += ODD_TEXTS
    exact_sets = [
        {"hoa": "hóa", "hoc": "học", "istanbul": "istanbul", "mia": "mía"},
        {"dien": "điện", "nuoc": "nươc", "ki": "kỳ", "sigma": "σοφός"},
    ]
    for text in texts:
        cut = text[:TEXT_CHARS]
        assert text_words(text) == WORD_RUNS.findall(merge_i_y(fast_fold(cut)))
        for exact in exact_sets:
            assert text_words(text, exact) == _whole_text_words(cut, exact), text[:80]


def test_a_hostile_texts_long_tokens_are_read_but_not_remembered() -> None:
    from search import rerank

    rerank._token_forms.clear()  # what other tests read, not this text
    long_tokens = [f"{i:03d}" + "x" * 5_000 for i in range(3)] + [f"{i:03d}" + "ỳ" * 60 for i in range(50)]
    text = " ".join(["Lá cây", *long_tokens, "màu xanh"])
    exact = {"xanh": "xanh"}
    assert text_words(text, exact) == rerank._whole_text_words(text[:TEXT_CHARS], exact)
    assert not any(len(t) > rerank.TOKEN_CHARS_KEPT for t in rerank._token_forms)
    # Short tokens are remembered ("màu xanh" is beyond the characters read).
    assert "cây" in rerank._token_forms and "xanh" not in rerank._token_forms


def test_the_same_candidates_in_another_order_keep_what_the_stage_added() -> None:
    texts = [f"Bài {i}\n{t}" for i, t in enumerate((TOGETHER, SCATTERED, "Lá cây xanh tốt.", FILLER))]
    parsed = analyze("vì sao lá cây có màu xanh")
    first = second_stage(
        parsed, idf_of("vì sao lá cây có màu xanh"), texts, [([], [])] * 4, unit=1.0, question_weight=0.5
    )
    order = reordered(["a", "b", "c", "d"], ["c", "a", "d", "b"])
    assert order == [2, 0, 3, 1]
    again = second_stage(
        parsed,
        idf_of("vì sao lá cây có màu xanh"),
        [texts[i] for i in order],
        [([], [])] * 4,
        unit=1.0,
        question_weight=0.5,
    )
    assert first.reordered(order).extra == pytest.approx(again.extra)
    assert first.reordered(order).words == again.words
    # Another candidate came up: nothing to reuse.
    assert reordered(["a", "b", "c", "d"], ["c", "a", "e", "b"]) is None
    assert reordered(["a", "b"], ["a"]) is None
