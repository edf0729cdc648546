"""The second ranking stage (``search.rerank``): words found together outrank scattered words."""

from __future__ import annotations

from search.query import analyze
from search.rerank import saturated_tf, second_stage, text_words, window_coverage

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
        )
        assert extra[1] > extra[0] >= 0.0, text


def test_belonging_to_the_named_grade_counts_in_every_window() -> None:
    text = "cho em hỏi tài liệu toán lớp 5 ở đâu"
    parsed = analyze(text)
    grade5, other = ([5], ["toan"]), ([3], ["toan"])
    extra = second_stage(
        parsed, idf_of(text), ["Phân số", "Phân số"], [grade5, other], unit=120.0, question_weight=0.1
    )
    assert extra[0] > extra[1]


def test_accented_words_count_half_where_the_text_has_other_accents() -> None:
    parsed = analyze("khoẻ")
    extra = second_stage(
        parsed,
        idf_of("khoe"),
        ["Sức khỏe học đường", "Khoe, khoe khoang, khoe"],
        [((), ()), ((), ())],
        unit=120.0,
        question_weight=0.1,
    )
    assert extra[0] > extra[1]


def test_nothing_to_re_rank_without_words_of_the_text() -> None:
    parsed = analyze("toán lớp 5")
    assert second_stage(
        parsed, idf_of("toan lop 5"), ["a", "b"], [((5,), ()), ((), ())], unit=120.0, question_weight=0.1
    ) == [0.0, 0.0]
