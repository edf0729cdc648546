"""Vietnamese text primitives (``repository.text``): the i/y spellings of one syllable."""

from __future__ import annotations

import pytest

from repository.text import fold, i_y_spellings, merge_i_y
from search.query import fast_fold, syllable_pairs


@pytest.mark.parametrize(
    ("word", "twins"),
    [
        ("lý", ("lý", "lí")),
        ("lí", ("lí", "lý")),
        ("kỹ", ("kỹ", "kĩ")),
        ("mỹ", ("mỹ", "mĩ")),
        ("tỷ", ("tỷ", "tỉ")),
        ("sĩ", ("sĩ", "sỹ")),
        ("hy", ("hy", "hi")),
        ("kỳ", ("kỳ", "kì")),
        ("quý", ("quý", "quí")),
        ("ky", ("ky", "ki")),
        ("ki", ("ki", "ky")),
    ],
)
def test_a_syllable_of_an_alternating_onset_has_two_spellings(word: str, twins: tuple[str, ...]) -> None:
    assert i_y_spellings(word) == twins


@pytest.mark.parametrize(
    "word", ["thủy", "thuy", "y", "ý", "gì", "vi", "try", "sky", "kia", "lyn", "tin", "my1"]
)
def test_other_syllables_have_one(word: str) -> None:
    # "uy" is another rime, "y" alone another word, "Vi"/"Vy" two names, English stays English.
    assert i_y_spellings(word) == (word,)


def test_merge_writes_every_alternating_syllable_with_i() -> None:
    assert (
        merge_i_y("vat ly, hoc ky, my thuat, quy dinh, ty le") == "vat li, hoc ki, mi thuat, qui dinh, ti le"
    )
    assert merge_i_y("thuy dien, y te, try again, lyly, ky2") == "thuy dien, y te, try again, lyly, ky2"
    # Words as the search splits them: "_" separates two ("hoc_ky" is "hoc" and "ky").
    assert merge_i_y("hoc_ky_he") == "hoc_ki_he"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Định luật Ørsted", "dinh luat orsted"),
        ("Straße ẞ", "strasse ss"),
        ("Æsop, Œuvre", "aesop, oeuvre"),
        ("Łódź, Þór, Điện", "lodz, thor, dien"),
    ],
)
def test_letters_without_a_decomposition_fold_as_the_engines_fold_them(text: str, folded: str) -> None:
    # The engines' ASCII folding indexes "Straße" as "strasse": a query typed "Straße" must fold
    # the same way to find it, and the phrase pairs must hold what the engines indexed.
    assert fold(text) == fast_fold(text) == folded


def test_pairs_join_every_two_neighbours_as_the_engines_phrases_do() -> None:
    assert syllable_pairs("Học sinh, học. Thêm\nmới – Straße") == [
        "hocsinh",
        "sinhhoc",
        "hocthem",
        "themmoi",
        "moistrasse",
    ]
