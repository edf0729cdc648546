# ruff: noqa: RUF001, RUF002, RUF003 - legacy-encoding mojibake is the subject of this module
"""Repair text typed in legacy Vietnamese 8-bit font encodings (TCVN3/ABC and VNI-Windows).

Before Unicode, Vietnamese teachers typed in fonts such as ``.VnTime`` (TCVN 5712:1993 "VN3",
the ABC encoding) or ``VNI-Times``: the document stores ordinary 8-bit codes and only the font
draws them as Vietnamese letters. Extractors decode those bytes as Windows-1252, so
"Giáo dục" arrives as ``Gi¸o dôc`` (TCVN3) or ``Giaùo duïc`` (VNI). This module finds such runs
and converts them to NFC Unicode, leaving correct Unicode Vietnamese and other languages alone::

    >>> fix_legacy_vietnamese("RÌn kÜ n¨ng tÝnh to¸n")
    'Rèn kĩ năng tính toán'
    >>> fix_legacy_vietnamese("Phong traøo Ñoâng Du")
    'Phong trào Đông Du'

How it decides (documents often mix Unicode paragraphs with legacy ones, even inside a line):

1. A *marker word* is one that is not a valid Vietnamese syllable as it stands but becomes one
   when decoded (``Gi¸o`` → ``Giáo``; ``Caâu`` → ``Câu``). A validator of Vietnamese syllable
   structure (onset + vowel cluster + coda, at most one tone) makes this precise, so English
   words with accents (``café``, ``naïve``) are not markers.
2. Words containing letters outside Windows-1252 (``ạ``, ``đ``, ``ư``...) can only be real
   Unicode, so they split a line into *runs*. A run with enough marker words for one
   encoding is decoded whole, which also converts legacy words that happen to look valid
   (TCVN3 ``mét`` is "một").

Tables were written from the published charts of TCVN 5712:1993 (VN3) and VNI-Windows and
checked against real teacher files (tests assert phrases from them).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

__all__ = ["decode_tcvn3", "decode_vni", "detect_legacy_encoding", "fix_legacy_vietnamese"]

# --- TCVN3 (TCVN 5712:1993 VN3): one byte per letter, shown here as the Windows-1252 character
# an extractor produces for that byte. Only lowercase toned letters exist; capitals with tones
# come from a separate "H" font (.VnTimeH) that draws the *same* codes as capitals.
_TCVN3_PAIRS = (
    "¡Ă ¢Â £Ê ¤Ô ¥Ơ ¦Ư §Đ ¨ă ©â ªê «ô ¬ơ \u00adư ®đ "
    "µà ¶ả ·ã ¸á ¹ạ »ằ ¼ẳ ½ẵ ¾ắ Æặ Çầ Èẩ Éẫ Êấ Ëậ "
    "Ìè Îẻ Ïẽ Ðé Ñẹ Òề Óể Ôễ Õế Öệ ×ì Øỉ Üĩ Ýí Þị "
    "ßò áỏ âõ ãó äọ åồ æổ çỗ èố éộ êờ ëở ìỡ íớ îợ "
    "ïù ñủ òũ óú ôụ õừ öử ÷ữ øứ ùự úỳ ûỷ üỹ ýý þỵ"
)
_TCVN3 = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split()}
_TCVN3_TABLE = str.maketrans(_TCVN3)

# --- VNI-Windows: an ASCII base letter followed by a mark character.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_TONE_MARKS = {"ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
_CIRC_MARKS = {"â": "", "á": _ACUTE, "à": _GRAVE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
_BREVE_MARKS = {"ê": "", "é": _ACUTE, "è": _GRAVE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
_VNI_SINGLE = {"ñ": "đ", "ò": "ị", "æ": "ỉ", "ó": "ĩ", "î": "ỵ"}


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(marks))


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {}
    for lower in (False, True):

        def case(s: str, lower: bool = lower) -> str:
            return s if lower else s.upper()

        for mark_lower, tone in _TONE_MARKS.items():
            for mark in {mark_lower, mark_lower.upper()}:
                for vowel in "aeouy":
                    table[case(vowel) + mark] = case(_compose(vowel, tone))
                table[case("ô") + mark] = case(_compose("o", _HORN, tone))  # ô is VNI's ơ
                table[case("ö") + mark] = case(_compose("u", _HORN, tone))  # ö is VNI's ư
        for marks, vowels, shape in ((_CIRC_MARKS, "aeo", _CIRC), (_BREVE_MARKS, "a", _BREVE)):
            for mark_lower, tone in marks.items():
                for mark in {mark_lower, mark_lower.upper()}:
                    for vowel in vowels:
                        table[case(vowel) + mark] = case(_compose(vowel, shape, tone))
        table[case("ô")] = case("ơ")
        table[case("ö")] = case("ư")
        for code, letter in _VNI_SINGLE.items():
            table[case(code)] = case(letter)
    return table


_VNI = _build_vni()


def decode_tcvn3(text: str) -> str:
    """Decode TCVN3 text (as read through Windows-1252) to NFC Unicode, unconditionally."""
    return unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE))


def decode_vni(text: str) -> str:
    """Decode VNI-Windows text (as read through Windows-1252) to NFC Unicode, unconditionally."""
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if len(pair) == 2 and pair in _VNI:
            out.append(_VNI[pair])
            i += 2
        else:
            out.append(_VNI.get(text[i], text[i]))
            i += 1
    return unicodedata.normalize("NFC", "".join(out))


# --- Vietnamese syllable structure, to tell a real syllable from mojibake.
_TONES = {_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT}
# Vowel clusters of Vietnamese rhymes: those that never take a final consonant, those that
# must, and those that may. Onset spelling rules (gh/ngh/k before i, e, ê; c/g/ng elsewhere)
# reject most mojibake that the cluster rules alone would let through ("Nghóa", "Caùch").
_OPEN_NUCLEI = frozenset(
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ui ưi ưu ua ưa iêu yêu oai oay oao oeo uây uôi ươi "
    "ươu uya uyu uêu".split()
)
_CLOSED_NUCLEI = frozenset("ă â iê yê uô ươ oă uâ uyê".split())
_FREE_NUCLEI = frozenset("a e ê i o ô ơ u ư y oa oe uê uy".split())
_ONSETS = sorted(
    "ngh ng nh ch gh gi kh ph qu th tr b c d đ g h k l m n p r s t v x".split(), key=len, reverse=True
)
_CODAS = ("ch", "ng", "nh", "c", "m", "n", "p", "t")
_FRONT = ("i", "e", "ê", "y")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


def _valid_rhyme(onset: str, rest: str) -> bool:
    coda = next((c for c in _CODAS if rest.endswith(c) and len(rest) > len(c)), "")
    nucleus = rest[: len(rest) - len(coda)]
    if coda:
        ok = nucleus in _CLOSED_NUCLEI or nucleus in _FREE_NUCLEI
    else:
        ok = nucleus in _OPEN_NUCLEI or nucleus in _FREE_NUCLEI
    if not ok:
        return False
    if coda in ("nh", "ch") and nucleus not in ("a", "ê", "i", "y", "oa", "uê", "uy"):
        return False
    if coda == "ng" and nucleus in ("ê", "i", "y", "uy"):
        return False
    if coda in ("c", "ng") and nucleus in ("ơ", "uơ"):  # "ơng" is never written; "ương" is
        return False
    front = nucleus.startswith(_FRONT)
    if onset in ("gh", "ngh", "k"):
        return front
    if onset in ("c", "ng"):
        return not front
    return True


@functools.lru_cache(maxsize=65536)
def _is_syllable(word: str) -> bool:
    core = _EDGE.sub("", word).replace("_", "")
    if not core or not core.isalpha():
        return False
    decomposed = unicodedata.normalize("NFD", core.lower())
    if sum(ch in _TONES for ch in decomposed) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    if _valid_rhyme("", base):
        return True
    # Try every onset that fits ("gì" parses as g + ì, "gia" as gi + a).
    return any(base.startswith(o) and len(base) > len(o) and _valid_rhyme(o, base[len(o) :]) for o in _ONSETS)


def _has_letters(word: str) -> bool:
    return any(ch.isalpha() for ch in word)


def _unicode_only(word: str) -> bool:
    """True when the word has a letter no Windows-1252 decoding can produce (so it is Unicode)."""
    for ch in word:
        if ord(ch) > 0xFF and ch.isalpha():
            try:
                ch.encode("cp1252")
            except UnicodeEncodeError:
                return True
    return False


def _fix_case(original: str, decoded: str, capital_line: bool) -> str:
    # Text typed in the ".VnTimeH" capital font uses lowercase codes for toned letters, so
    # "GI¸O ¸N" decodes to "GIáO áN": a word whose plain letters are all capitals is a capital
    # word. With a single plain letter ("Më" is "Mở") only a line in capitals decides it.
    ascii_letters = [ch for ch in original if ch.isascii() and ch.isalpha()]
    if ascii_letters and all(ch.isupper() for ch in ascii_letters):
        if len(ascii_letters) > 1 or capital_line:
            return decoded.upper()
    return decoded


def _is_capital_line(words: list[str]) -> bool:
    letters = [ch for w in words for ch in w if ch.isascii() and ch.isalpha()]
    return len(letters) >= 3 and sum(ch.isupper() for ch in letters) * 10 >= len(letters) * 8


_DECODERS: dict[str, Callable[[str], str]] = {"tcvn3": decode_tcvn3, "vni": decode_vni}


# Pieces of a word that could be letters in some encoding: real letters plus the TCVN3 codes
# that are punctuation in Windows-1252 (¸ for "á", § for "Đ"...). "LT&Caâu" has two pieces.
_TCVN3_PUNCT = re.escape("".join(k for k in _TCVN3 if not k.isalpha()))
_PIECE = re.compile(r"(?:[^\W\d_]|[" + _TCVN3_PUNCT + r"])+")


def _pieces(word: str) -> list[str]:
    return _PIECE.findall(word)


# Micro-units ("0,6 µm") look like TCVN3 "àm" but are science, not Vietnamese.
_UNIT = re.compile(r"^µ(?:m|g|s|l|A|F|V|W|H|Hz|mol|C|T)$")


@functools.lru_cache(maxsize=65536)
def _piece_marker(piece: str, decode: Callable[[str], str]) -> int:
    if len(piece) < 2 or _UNIT.match(piece):
        # A lone letter ("Ñ", "ø") is too weak to say anything: OCR noise produces them.
        return 0
    decoded = decode(piece)
    if decoded == piece:
        return 0
    before, after = _is_syllable(piece), _is_syllable(decoded)
    if after and not before:
        return 1
    if before and not after:
        return -1
    return 0


def _marker(word: str, decode: Callable[[str], str]) -> int:
    """+1 if decoding turns an invalid word into syllables, -1 if it breaks a valid one."""
    total = sum(_piece_marker(piece, decode) for piece in _pieces(word))
    return (total > 0) - (total < 0)


def detect_legacy_encoding(text: str) -> dict[str, int]:
    """Count marker words per legacy encoding: ``{"tcvn3": n, "vni": m}``."""
    counts = dict.fromkeys(_DECODERS, 0)
    for word in text.split():
        if _unicode_only(word) or not _has_letters(word):
            continue
        for name, decode in _DECODERS.items():
            counts[name] += max(0, _marker(word, decode))
    return counts


def _legacy_documents(text: str, counts: dict[str, int]) -> dict[str, bool]:
    # A document is "clearly legacy" in an encoding when it has several marker words and they
    # are not a rounding error of a long Unicode text (OCR noise, IPA, units).
    words = sum(1 for w in text.split() if _has_letters(w))
    return {name: n >= 5 and n * 20 >= words for name, n in counts.items()}


def _evidence(word: str, decode: Callable[[str], str]) -> int | None:
    """+1 legacy, -1 Unicode, 0 ambiguous (decoding changes it, both forms valid), None neutral."""
    if not _has_letters(word):
        return None if decode(word) == word else 0
    if _unicode_only(word):
        return -1
    if decode(word) == word:
        return None
    return _marker(word, decode)


def _fix_line(words: list[str], doc_counts: dict[str, int], legacy_docs: dict[str, bool]) -> list[str]:
    scores = {
        name: sum(max(0, _marker(w, decode)) for w in words if not _unicode_only(w))
        for name, decode in _DECODERS.items()
    }
    name = max(scores, key=lambda n: (scores[n], doc_counts[n]))
    good = scores[name]
    candidates = sum(1 for w in words if _has_letters(w) and not _unicode_only(w))
    # Two marker words making a fair share of the line, or one in a document that is clearly
    # legacy: a single accented foreign word on its own is never enough.
    if good == 0 or not (legacy_docs[name] or (good >= 2 and good * 3 >= candidates)):
        return words
    decode = _DECODERS[name]
    evidence = [_evidence(w, decode) for w in words]
    out = list(words)
    capital_line = _is_capital_line(words)
    for i, word in enumerate(words):
        e = evidence[i]
        if e == 0:
            # Ambiguous ("mét" is TCVN3 "một" but also a Unicode word): follow the nearest
            # word that is clearly one or the other, so a line mixing a Unicode sentence with a
            # legacy phrase converts only the phrase.
            e = _nearest(evidence, i)
        if e == 1:
            out[i] = _fix_case(word, decode(word), capital_line)
        elif e == -1 and _unicode_only(word) and legacy_docs[name] and _marker(word, decode) > 0:
            out[i] = decode(word)  # half-converted by hand: "§Ộ" for "ĐỘ"
    return out


def _nearest(evidence: list[int | None], i: int) -> int:
    for distance in range(1, len(evidence)):
        left = evidence[i - distance] if i - distance >= 0 else None
        right = evidence[i + distance] if i + distance < len(evidence) else None
        # Prefer the legacy side on a tie: the line already qualified as legacy.
        for e in sorted((x for x in (left, right) if x), reverse=True):
            return e
    return 1


_SPACE = re.compile(r"(\s+)")


def _legacy_markers() -> frozenset[str]:
    """Characters the TCVN3 and VNI tables use that never occur in Unicode Vietnamese.

    Any real legacy-encoded passage contains some (VNI's tone and vowel marks ``ï ä ø û ü ë``,
    TCVN3's ``¸ µ ¹ ¶ ·``...), so text without any of them is returned without the word-by-word
    analysis: the common case (Unicode documents) costs one set intersection.
    """
    chars = set(_TCVN3) | set(_TONE_MARKS) | set(_CIRC_MARKS) | set(_BREVE_MARKS) | set(_VNI_SINGLE)
    for key in _build_vni():
        chars |= set(key)
    chars |= {c.upper() for c in chars if len(c.upper()) == 1}
    vietnamese = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZđĐ")
    for vowel in "aăâeêioôơuưy":
        for tone in ("", _ACUTE, _GRAVE, _HOOK, _TILDE, _DOT):
            vietnamese |= {_compose(vowel, tone), _compose(vowel.upper(), tone)}
    return frozenset(c for c in chars - vietnamese if ord(c) < 0x100)


_MARKERS = _legacy_markers()


def fix_legacy_vietnamese(text: str) -> str:
    """Convert TCVN3/VNI runs in ``text`` to Unicode; return everything else unchanged (NFC).

    Args:
        text: extracted text, possibly mixing Unicode and legacy-encoded runs.

    Returns:
        NFC text with the legacy runs decoded. Text without legacy markers comes back as its
        NFC form, so correct Vietnamese and other languages are untouched.
    """
    text = unicodedata.normalize("NFC", text)
    if _MARKERS.isdisjoint(text):
        return text  # no character that only legacy encodings produce: nothing to convert
    doc_counts = detect_legacy_encoding(text)
    if not any(doc_counts.values()):
        return text
    legacy_docs = _legacy_documents(text, doc_counts)
    lines = text.split("\n")
    for n, line in enumerate(lines):
        tokens = _SPACE.split(line)  # word, space, word, ...
        words = tokens[0::2]
        fixed = _fix_line(words, doc_counts, legacy_docs)
        if fixed is not words:
            tokens[0::2] = fixed
            lines[n] = "".join(tokens)
    return unicodedata.normalize("NFC", "\n".join(lines))
