"""Vietnamese tone-mark placement: old style ("hóa", "thủy", "khỏe") and new style ("hoá", "thuỷ",
"khoẻ") written the same way, so the exact-accent fields match either.

Vietnamese writes one tone mark per syllable, on the syllable's *main* vowel. Two conventions
disagree about where that is in the rimes ``oa``, ``oe`` and ``uy`` without a final consonant:

* old style (still the most common in print and on the web) puts it on the first letter:
  ``hóa``, ``hòa``, ``khỏe``, ``xòe``, ``thủy``, ``tùy``, ``ủy``;
* new style (the orthography rule taught today: ``o``/``u`` here is the *medial* glide, ``a``/
  ``e``/``y`` the main vowel) puts it on the second: ``hoá``, ``hoà``, ``khoẻ``, ``xoè``,
  ``thuỷ``, ``tuỳ``, ``uỷ``.

Both write the same word; the corpora here mix them ("hoá" 703 times, "hóa" 1 981). With a final
consonant or a third vowel every writer already follows the main-vowel rule (``hoàng``, ``toán``,
``ngoài``, ``xoáy``, ``khuỷu``), so the one normal form is simple: **a tone mark on the ``o`` of
``oa``/``oe`` or on the ``u`` of ``uy`` moves to the following letter**, wherever the pair sits in
the syllable. That maps old style to new style and the rare misplaced "hòan", "ngòai" to their
correct spelling, and leaves every other syllable alone: no rime has a main ``o`` before ``a``/
``e`` or a main ``u`` before ``y`` ("mùa", "lúa", "cụ" stay as they are; ``ua`` is not one of the
pairs). ``lý``/``lí`` (i or y) is spelling, not placement: the index keeps it as written and
the backends look a query word up in both spellings (``repository.text.i_y_spellings``).

The same normal form is applied to the indexed exact-accent text and to the query's exact tokens
(:func:`search.query.analyze`), and :func:`char_mappings` gives it to OpenSearch as a
``mapping`` char filter, so every backend matches "hóa học" and "hoá học" as the same words.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Each tone mark on o / u, keyed by (tone name); index order: grave, acute, hook, tilde, dot.
_TONED_O = "òóỏõọ"
_TONED_A = "àáảãạ"
_TONED_E = "èéẻẽẹ"
_TONED_U = "ùúủũụ"
_TONED_Y = "ỳýỷỹỵ"

#: (medial, main, medial with tone i, main with tone i) for the three ambiguous rimes.
_RIMES: tuple[tuple[str, str, str, str], ...] = (
    ("o", "a", _TONED_O, _TONED_A),
    ("o", "e", _TONED_O, _TONED_E),
    ("u", "y", _TONED_U, _TONED_Y),
)


def _case(text: str, upper: tuple[bool, bool]) -> str:
    return "".join(ch.upper() if up else ch for ch, up in zip(text, upper, strict=True))


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    # Every old-style pair (in all four letter-case combinations) → its new-style form.
    table: dict[str, str] = {}
    for medial, main, toned_medial, toned_main in _RIMES:
        for i in range(5):
            old, new = toned_medial[i] + main, medial + toned_main[i]
            for upper in ((False, False), (True, False), (False, True), (True, True)):
                table[_case(old, upper)] = _case(new, upper)
    return table


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    # Two character classes instead of an alternation of 60 strings: the scan of a body for the
    # (rare) pairs then costs about as much as a ``str.find``.
    o_class = "".join(sorted(set(_TONED_O + _TONED_O.upper())))
    u_class = "".join(sorted(set(_TONED_U + _TONED_U.upper())))
    return re.compile(f"[{o_class}][aAeE]|[{u_class}][yY]")


def normalize_tone_placement(text: str) -> str:
    """Write every tone mark of the ``oa``/``oe``/``uy`` rimes on the main vowel (new style).

    ``text`` must be NFC (precomposed letters); case is kept. Examples::

        normalize_tone_placement("Hóa học, sức khỏe, thủy điện")  == "Hoá học, sức khoẻ, thuỷ điện"
        normalize_tone_placement("hoá học") == "hoá học"          # already new style
        normalize_tone_placement("mùa lúa") == "mùa lúa"          # not an ambiguous rime
    """
    if not text:
        return text
    table = _table()
    return _pattern().sub(lambda m: table[m.group(0)], text)


def char_mappings() -> list[str]:
    """The normal form as OpenSearch ``mapping`` char-filter rules (``"óa => oá"``, …)."""
    return [f"{old} => {new}" for old, new in sorted(_table().items())]
