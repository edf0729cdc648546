"""Vietnamese text primitives shared by ingest, search and the metadata layer.

* ``nfc`` — Unicode NFC. Vietnamese arrives precomposed or decomposed; everything stored or
  indexed is NFC.
* ``fold`` — lowercase and remove every tone and vowel mark, mapping ``đ``/``Đ`` to ``d``
  (stripping combining marks alone misses ``đ``, which is a separate letter, not a mark)::

      >>> fold("Toán lớp 5 – Đường tròn")
      'toan lop 5 – duong tron'
"""

from __future__ import annotations

import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()


def has_marks(text: str) -> bool:
    """True when ``text`` carries any Vietnamese tone/vowel mark or ``đ``."""
    return fold(text) != text.lower()
