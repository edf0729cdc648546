"""Vietnamese text primitives shared by ingest, search and the metadata layer.

* ``nfc`` — Unicode NFC. Vietnamese arrives precomposed or decomposed; everything stored or
  indexed is NFC.
* ``fold`` — lowercase and remove every tone and vowel mark, mapping ``đ``/``Đ`` to ``d``
  (stripping combining marks alone misses ``đ``, which is a separate letter, not a mark)::

      >>> fold("Toán lớp 5 – Đường tròn")
      'toan lop 5 – duong tron'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Letters no decomposition takes to ASCII, folded as the search engines' ASCII folding does
# (so "Straße" and "Æsop" typed find the texts the engines indexed as "strasse", "aesop").
_EXTRA = str.maketrans(
    {
        **dict.fromkeys("đĐÐð", "d"),
        **dict.fromkeys("øØ", "o"),
        **dict.fromkeys("æÆ", "ae"),
        **dict.fromkeys("œŒ", "oe"),
        **dict.fromkeys("ßẞ", "ss"),
        **dict.fromkeys("łŁ", "l"),
        **dict.fromkeys("þÞ", "th"),
        "\u0131": "i",  # dotless i
    }
)


def database_safe(value: Any) -> Any:
    """``value`` (text, or a JSON-like tree of dicts and lists) as the database can hold it: NUL
    removed (PostgreSQL refuses it in text and JSON) and lone surrogates replaced (not UTF-8).
    For what tools read out of uploaded files (document properties, a package's title)."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {database_safe(k): database_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [database_safe(v) for v in value]
    return value


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold_char(ch: str) -> str:
    """The definition: decompose, drop every combining mark, map đ/Đ, lowercase."""
    decomposed = unicodedata.normalize("NFD", ch.translate(_EXTRA))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).lower()


def _fold_table() -> dict[int, str]:
    # Every character of the scripts that carry marks (Latin, Greek, Cyrillic, the combining
    # blocks, kana, presentation forms) whose folded form differs from its lowercase: one
    # str.translate then replaces the per-character Python loop (~20x faster on long texts,
    # and ingest folds whole documents).
    table: dict[int, str] = {}
    for start, end in ((0, 0x3100), (0xFB00, 0x10000)):
        for code in range(start, end):
            ch = chr(code)
            folded = _fold_char(ch)
            if folded != ch.lower():
                table[code] = folded
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_FOLD).lower()


def _aligned_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for start, end in ((0, 0x3100), (0xFB00, 0x10000)):
        for code in range(start, end):
            ch = chr(code)
            folded = fold(ch)
            if len(folded) != 1:
                folded = ch.lower() if len(ch.lower()) == 1 else "?"
            if folded != ch:
                table[code] = folded
    return table


_ALIGNED = _aligned_table()


def fold_aligned(text: str) -> str:
    """``fold`` one character at a time, so offsets in the result are offsets in ``text``.

    ``text`` must be NFC. A character whose folded form is not one character is lowercased
    instead (or becomes ``?``), so the length never changes.
    """
    return text.translate(_ALIGNED)


def has_marks(text: str) -> bool:
    """True when ``text`` carries any Vietnamese tone/vowel mark or ``đ``."""
    return fold(text) != text.lower()


# --- i / y spellings ------------------------------------------------------------------------

# A syllable of one of these onsets + "y" (lý, kỹ, mỹ, sỹ, tỷ, hy, quý) is also written with "i"
# (lí, kĩ, mĩ, sĩ, tỉ, hi, quí): both spellings have been in print since the 1980s reforms, the
# 2018 textbooks write "i" ("Vật lí", "Mĩ thuật"), much else "y". Other onsets do not alternate
# (or only in names: Vy / Vi are two names), and English words stay apart ("try", "sky", "by").
_I_FORMS = "iìíỉĩị"
_Y_FORMS = "yỳýỷỹỵ"
_TO_I = str.maketrans(_Y_FORMS + _Y_FORMS.upper(), _I_FORMS + _I_FORMS.upper())
_TO_Y = str.maketrans(_I_FORMS + _I_FORMS.upper(), _Y_FORMS + _Y_FORMS.upper())
_ONSET = "(?:qu|[hklmst])"
_I_OR_Y = re.compile(rf"^({_ONSET})([{_I_FORMS}{_Y_FORMS}])$")
# A word is a run of letters and digits (as the search tokenizers split: "_" separates words).
_FOLDED_Y = re.compile(rf"(?<![^\W_])({_ONSET})y(?![^\W_])")


def i_y_spellings(word: str) -> tuple[str, ...]:
    """``word`` (one lowercase syllable, folded or with its accents) and its other i/y spelling,
    when it has one::

        >>> i_y_spellings("lý"), i_y_spellings("ki"), i_y_spellings("thủy")
        (('lý', 'lí'), ('ki', 'ky'), ('thủy',))
    """
    m = _I_OR_Y.match(word)
    if m is None:
        return (word,)
    onset, vowel = m.groups()
    return (word, onset + vowel.translate(_TO_Y if vowel in _I_FORMS else _TO_I))


def merge_i_y(folded: str) -> str:
    """Folded text with every syllable :func:`i_y_spellings` pairs written with "i"::

    >>> merge_i_y("vat ly, hoc ky, my thuat")
    'vat li, hoc ki, mi thuat'
    """
    return _FOLDED_Y.sub(r"\1i", folded)
