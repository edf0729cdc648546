"""Tone-mark placement: old style and new style written one way (``search.vietnamese``)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from repository.text import fold, nfc
from search.backends.opensearch import MAPPING_VERSION
from search.query import analyze
from search.vietnamese import char_mappings, normalize_tone_placement

# (old style, new style): the pairs that actually vary in Vietnamese text.
PAIRS = [
    ("hóa", "hoá"),
    ("hòa", "hoà"),
    ("họa", "hoạ"),
    ("thỏa", "thoả"),
    ("lõa", "loã"),
    ("khỏe", "khoẻ"),
    ("xòe", "xoè"),
    ("lóe", "loé"),
    ("thủy", "thuỷ"),
    ("tùy", "tuỳ"),
    ("thúy", "thuý"),
    ("lũy", "luỹ"),
    ("ủy", "uỷ"),
    ("hủy", "huỷ"),
    ("Hóa", "Hoá"),
    ("HÓA", "HOÁ"),
    ("ThỦY", "ThUỶ"),
    ("TÙY", "TUỲ"),
]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_old_style_becomes_new_style(old: str, new: str) -> None:
    assert normalize_tone_placement(old) == new
    assert normalize_tone_placement(new) == new  # idempotent
    assert fold(old) == fold(new)  # only the mark moved


@pytest.mark.parametrize(
    "word",
    # Not ambiguous: a main vowel with a hat or horn, a final consonant or a third vowel fixes the
    # place for everyone; "ua"/"ia"/"ưa" have their main vowel first; lý/lí is spelling.
    [
        "mùa",
        "lúa",
        "của",
        "kìa",
        "mưa",
        "hoàng",
        "toán",
        "thuyền",
        "quý",
        "ngoài",
        "xoáy",
        "khuỷu",
        "lý",
        "lí",
        "người",
        "hoa",
        "thuy",
        "gì",
        "quà",
        "khoẻ",
        "đoàn",
        "chuyện",
    ],
)
def test_other_syllables_are_left_alone(word: str) -> None:
    assert normalize_tone_placement(word) == word


def test_misplaced_marks_in_closed_syllables_go_to_the_main_vowel() -> None:
    assert normalize_tone_placement("hòan thành") == "hoàn thành"
    assert normalize_tone_placement("ngòai trời") == "ngoài trời"


def test_running_text_keeps_everything_else() -> None:
    text = nfc("Hóa học 10 — sức khỏe, thủy điện & <b>tùy</b> ý; HÒA BÌNH.\n2 + 2 = 4")
    assert normalize_tone_placement(text) == nfc(
        "Hoá học 10 — sức khoẻ, thuỷ điện & <b>tuỳ</b> ý; HOÀ BÌNH.\n2 + 2 = 4"
    )
    assert normalize_tone_placement("") == ""


def test_query_tokens_get_the_same_normal_form() -> None:
    old, new = analyze("hóa học thủy"), analyze("hoá học thuỷ")
    assert [t.exact for t in old.tokens] == [t.exact for t in new.tokens] == ["hoá", "học", "thuỷ"]
    assert old.has_marks
    assert new.has_marks
    assert [t.folded for t in old.tokens] == ["hoa", "hoc", "thuy"]


def test_opensearch_mapping_carries_the_same_rules() -> None:
    path = resources.files("search") / "mappings" / "opensearch" / f"material-v{MAPPING_VERSION}.json"
    analysis = json.loads(path.read_text(encoding="utf-8"))["settings"]["analysis"]
    assert analysis["char_filter"]["vi_tone"]["mappings"] == char_mappings()
    assert analysis["analyzer"]["vi_exact"]["char_filter"] == ["vi_tone"]
    rules = dict(r.split(" => ") for r in char_mappings())
    assert len(rules) == 60
    assert rules["óa"] == "oá"
    assert rules["ỦY"] == "UỶ"
