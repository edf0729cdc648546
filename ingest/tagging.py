# Vietnamese text and legacy-font samples ("¸", "–", "×") are intended here.
# ruff: noqa: RUF001, RUF002, RUF003
"""Auto-tagging: curriculum tags a curator only has to confirm.

``suggest_tags`` reads what an upload says about itself — its file name, the folders it came
in, the document metadata Tika found and its extracted text — and proposes values for
``grades``, ``subjects``, ``type`` (resource type), ``series``, ``chapter``, ``lesson`` and
``language``, each with a confidence in 0..1 and the evidence a person can check::

    >>> [(s.field, s.value) for s in suggest_tags(filename="Toan_Lop5_Bai12_PhanSo.pdf")][:3]
    [('grades', 5), ('subjects', 'toan'), ('lesson', 'Bài 12: Phan So')]

Suggestions are never metadata: the caller stores them apart from what a person confirmed.

How the evidence is weighed:

* **Names** (file, folders, metadata title/subject/keywords) are matched against the subject,
  type and series spellings of ``ingest.tagging_lexicon`` plus those of the controlled
  vocabularies (``repository.vocabularies``). Matching is on folded text (so "Lop5", "lớp 5",
  NFD input all work), but a hit on *accented* text must carry the right marks: "toàn" (whole)
  is not "toán" (mathematics).
* **Text**: its header (first lines) is read like a name ("ĐỀ KIỂM TRA ... MÔN TOÁN LỚP 5"),
  and the whole text is scored against per-subject lexicons of characteristic terms, so a bare
  exam question still gets a subject. Tokens in legacy TCVN3/VNI fonts (extracted as Latin-1
  garbage such as "To¸n") are dropped instead of being read as words.
* The same value found in several places gets a combined confidence (noisy-or); the grade, when
  known, maps a subject to the code the 2018 programme uses at that grade ("Lịch sử" in grade 5
  is ``lich-su-va-dia-li``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Final

from ingest import tagging_lexicon as lex
from repository.errors import BadRequest
from repository.text import fold, fold_aligned, has_marks, nfc
from repository.vocabularies import Vocabulary, load_vocabularies

FIELDS: Final = ("grades", "subjects", "type", "series", "chapter", "lesson", "language")

# Texts longer than this are scored on their beginning only: a textbook's first 200k
# characters say what it is, and the cost stays bounded for huge extractions.
MAX_TEXT_CHARS: Final = 200_000
# How much of the text counts as its "header" (title block of a lesson plan or exam paper).
HEADER_LINES: Final = 15
HEADER_CHARS: Final = 1_500
# Suggestions below this are noise rather than help for a curator.
MIN_CONFIDENCE: Final = 0.2
MAX_PER_FIELD: Final = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One proposed tag.

    ``value`` is an ``int`` for grades and a vocabulary code or free text otherwise;
    ``evidence`` says where it was seen, e.g. ``"filename 'Toan_Lop5.pdf': 'Lop5'"``.
    """

    field: str
    value: int | str
    confidence: float
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored on the file and returned by the API."""
        return {
            "field": self.field,
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence,
        }


# --------------------------------------------------------------------------------------------
# Text preparation


# Latin-1 characters that are not Vietnamese letters. TCVN3 (".VnTime") and VNI documents
# read without their font come out full of them ("Gi¸o ¸n", "Giaùo aùn").
_VI_LATIN1: Final = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_LEGACY_CHARS: Final = frozenset(chr(c) for c in range(0xA1, 0x100)) - _VI_LATIN1
# Of those, the symbols a clean Unicode document legitimately uses ("30°C", "m²", "«...»").
_SYMBOLS: Final = frozenset("°²³±×÷·«»§©®µ¼½¾¹")
_LETTER_RE: Final = re.compile(r"[^\W\d_]")


def _drop_legacy_tokens(text: str) -> tuple[str, int]:
    """Remove whitespace tokens that are legacy-font garbage; return the text and how many.

    When garbage is frequent (≥ 1% of letters) the whole text is legacy-encoded and every
    token with such a character goes; otherwise only tokens with unmistakable letters do, so
    a clean "30°C" survives.
    """
    letters = len(_LETTER_RE.findall(text)) or 1
    suspicious = sum(1 for ch in text if ch in _LEGACY_CHARS)
    if suspicious == 0:
        return text, 0
    bad = _LEGACY_CHARS if suspicious / letters >= 0.01 else _LEGACY_CHARS - _SYMBOLS
    kept: list[str] = []
    dropped = 0
    for token in re.split(r"(\s+)", text):
        if token and not token.isspace() and any(ch in bad for ch in token):
            dropped += 1
            continue
        kept.append(token)
    return "".join(kept), dropped


def _fold_aligned(text: str) -> str:
    """``fold`` character by character, so offsets in the result are offsets in ``text`` (NFC)."""
    return fold_aligned(text)


def _mark_key(text: str) -> str:
    """Folded words plus, per word, the sorted marks it carries: equal for "hoá"/"hóa" (tone
    placement differs) but not for "toán"/"toàn" or "biển"/"biến" (different marks).
    """
    words: list[str] = []
    for word in text.lower().split():
        marks = sorted(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.combining(ch))
        words.append(fold(word) + ("|" + "".join(marks) if marks else "") + ("đ" if "đ" in word else ""))
    return " ".join(words)


_LETTER_THEN_DIGIT_RE: Final = re.compile(r"(?<=[^\W\d_])(?=\d)")


def _name_text(name: str) -> str:
    """A file or folder name as words: "Toan_Lop5_Bai12_PhanSo" → "Toan Lop 5 Bai 12 Phan So".

    Digits are split from the letters before them ("Lop5", "L5", "Bai12") but not from letters
    after them: "5A" is a class name (grade 5, class A).
    """
    text = nfc(name)
    text = re.sub(r"[_+.=]+", " ", text)
    # camelCase ("PhanSo", "TiengViet"); str methods, because Vietnamese upper and lower case
    # letters interleave in Unicode and no character range separates them.
    text = "".join(
        f" {ch}" if i and ch.isupper() and text[i - 1].islower() else ch for i, ch in enumerate(text)
    )
    text = _LETTER_THEN_DIGIT_RE.sub(" ", text)
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Phrase matching (accent-aware, on folded text)


@dataclass(frozen=True, slots=True)
class _Hit:
    value: str
    start: int
    end: int
    spelling: str


class _PhraseTable:
    """Finds known spellings of vocabulary terms in text, longest first, accent-checked."""

    def __init__(self, entries: Mapping[str, Iterable[str]], blockers: Iterable[str] = ()) -> None:
        self._accented: dict[str, set[str]] = defaultdict(set)  # folded spelling -> accented forms
        self._value: dict[str, str] = {}
        for value, spellings in entries.items():
            for spelling in spellings:
                spelling = nfc(spelling).lower()
                key = " ".join(_fold_aligned(spelling).split())
                if not key or self._value.setdefault(key, value) != value:
                    continue  # first table entry wins a clash
                self._accented[key].add(" ".join(spelling.split()))
        self._regex = self._compile(self._value)
        blocker_list = list(blockers)
        self._blockers = _PhraseTable({"_": blocker_list}) if blocker_list else None

    @staticmethod
    def _compile(keys: Iterable[str]) -> re.Pattern[str]:
        parts = [
            r"\s*[-–&]\s*".join(
                r"\s+".join(re.escape(w) for w in chunk.split()) for chunk in re.split(r"\s*[-–&]\s*", k)
            )
            for k in sorted(keys, key=len, reverse=True)
        ]
        return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + r")(?![^\W_])")

    def find(self, original: str, folded: str) -> list[_Hit]:
        """Hits in ``original`` (NFC); ``folded`` is ``_fold_aligned(original)``."""
        blocked: list[tuple[int, int]] = []
        if self._blockers is not None:
            blocked = [(h.start, h.end) for h in self._blockers.find(original, folded)]
        hits: list[_Hit] = []
        for m in self._regex.finditer(folded):
            key = self._normalise_key(m.group())
            value = self._value.get(key)
            if value is None:
                continue
            span = original[m.start() : m.end()]
            if has_marks(span) and _mark_key(self._normalise_key(span)) not in {
                _mark_key(self._normalise_key(a)) for a in self._accented[key]
            }:
                continue  # "toàn" is not "toán": accented text must match an accented spelling
            if any(
                b0 <= m.start() and m.end() <= b1 and (b1 - b0) > (m.end() - m.start()) for b0, b1 in blocked
            ):
                continue  # "học sinh" is not biology, "an toàn" not mathematics
            hits.append(_Hit(value, m.start(), m.end(), span))
        return hits

    @staticmethod
    def _normalise_key(text: str) -> str:
        return " ".join(re.sub(r"\s*([-–&])\s*", r" \1 ", text).split())


# Phrases containing a subject name that do not mean the subject.
_BLOCKERS: Final = (
    "học sinh", "sinh viên", "sinh hoạt", "sinh nhật", "giáo sinh", "sinh ra", "an toàn",
    "toàn quốc", "toàn bộ", "toàn diện", "toàn dân", "toàn trường", "hóa đơn", "hoá đơn", "văn hóa",
    "văn hoá", "địa phương", "địa chỉ", "địa điểm", "địa bàn", "sử dụng", "kiểm tra sức khỏe",
    "khoa học kĩ thuật", "khoa học kỹ thuật", "công nghệ thông tin", "dạy học", "giáo dục",
    "thể dục giữa giờ",
)  # fmt: skip


def _short_ambiguous(spelling: str) -> bool:
    """Single short words ("Anh", "Tin", "Lý", "CD", "PE") from the vocabularies' aliases are
    too ambiguous to find inside a name ("Anh A" is a person); our own tables list the safe ones.
    """
    key = fold(spelling).strip()
    return " " not in key and len(key) <= 4


@cache
def _vocabularies() -> dict[str, Vocabulary]:
    return load_vocabularies()


def _vocab_spellings(name: str) -> dict[str, list[str]]:
    """Labels and aliases of a vocabulary, usable as phrases in running names."""
    out: dict[str, list[str]] = defaultdict(list)
    for term in _vocabularies()[name].terms:
        for spelling in (term.label_vi, term.label_en, *term.aliases):
            if _short_ambiguous(spelling) or spelling.isupper() or re.search(r"[A-Z]{2}", spelling):
                continue  # abbreviations are matched case-sensitively, below
            out[term.code].append(spelling)
    return out


def _merge(*tables: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = defaultdict(list)
    for table in tables:
        for code, spellings in table.items():
            merged[code].extend(spellings)
    return merged


def _vocab_abbreviations(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for term in _vocabularies()[name].terms:
        for spelling in term.aliases:
            compact = nfc(spelling).replace(" ", "")
            if re.fullmatch(r"[A-ZĐ&\-]{2,}", compact) and len(compact) >= 3:
                out[compact] = term.code
    return out


@cache
def _tables() -> dict[str, _PhraseTable]:
    subject_names = _merge(lex.SUBJECT_NAMES, _vocab_spellings("subject"))
    text_subject_names = {
        code: [
            s
            for s in spellings
            if nfc(s).lower() not in lex.NAME_ONLY_SUBJECT_WORDS and not re.fullmatch(r"[A-Za-z ]+", s)
        ]
        for code, spellings in subject_names.items()
    }
    return {
        "subjects": _PhraseTable(subject_names, _BLOCKERS),
        "subjects_text": _PhraseTable(text_subject_names, _BLOCKERS),
        "type": _PhraseTable(_merge(lex.TYPE_NAMES, _vocab_spellings("resource-type")), _BLOCKERS),
        "series": _PhraseTable(_merge(lex.SERIES_NAMES, _vocab_spellings("series"))),
        "series_text": _PhraseTable({k: v[:2] for k, v in lex.SERIES_NAMES.items()}),
        "blockers": _PhraseTable({"_": _BLOCKERS}),
    }


@cache
def _abbreviations() -> dict[str, dict[str, str]]:
    return {
        "subjects": {**_vocab_abbreviations("subject"), **lex.SUBJECT_ABBREVIATIONS, "CNTT": "tin-hoc"},
        "type": {**_vocab_abbreviations("resource-type"), **lex.TYPE_ABBREVIATIONS},
        "series": {**_vocab_abbreviations("series"), **lex.SERIES_ABBREVIATIONS},
    }


# --------------------------------------------------------------------------------------------
# Evidence collection


@dataclass(slots=True)
class _Candidate:
    field: str
    value: int | str
    confidence: float
    evidence: str
    from_content: bool = False  # guessed from subject vocabulary, not read from a name
    origin: str = ""  # "filename", "folder", "metadata" for name sources
    source: str = ""  # the name it was read from; overlapping hits in one name count once


@dataclass(frozen=True, slots=True)
class _Source:
    label: str  # e.g. "filename 'x.doc'"
    text: str  # NFC words
    weight: float  # 1.0 for the file name; less for outer folders, text headers...
    is_name: bool  # names allow abbreviations and bare numbers ("L5", "K5", "5A")


_GRADE_WORD_RE: Final = re.compile(
    r"(?<![^\W_])(lop|khoi|grade|class|l|k)\s*(\d{1,2})(?:[a-z]\d?)?((?:\s*(?:,|-|–|va|&|\+|/)\s*\d{1,2}(?![\d]))*)(?![^\W_])"
)
_CLASS_RE: Final = re.compile(r"(?<![^\W_])(\d{1,2})([a-h])(\d?)(?![^\W_])")
_INTO_GRADE_RE: Final = re.compile(r"vao\s+lop\s*(\d{1,2})")
_SENIOR_EXAM_RE: Final = re.compile(r"tot\s+nghiep\s+thpt|thpt\s+quoc\s+gia|thptqg|ky\s+thi\s+thpt")

_GRADE_CONFIDENCE: Final = {"lop": 0.95, "khoi": 0.9, "grade": 0.9, "class": 0.7, "l": 0.7, "k": 0.5}


def _grades_from(source: _Source, folded: str, out: list[_Candidate]) -> None:
    for m in _GRADE_WORD_RE.finditer(folded):
        word = m.group(1)
        if word in ("l", "k", "class") and not source.is_name:
            continue
        if _INTO_GRADE_RE.match(folded, max(0, m.start() - 4)) and word == "lop":
            # "tuyển sinh vào lớp 10" is an exam *for* grade 9 pupils.
            out.append(
                _Candidate(
                    "grades",
                    int(m.group(2)) - 1,
                    0.6 * source.weight,
                    f"{source.label}: '{source.text[m.start() : m.end()]}'",
                )
            )
            continue
        numbers = [int(m.group(2)), *(int(n) for n in re.findall(r"\d{1,2}", m.group(3) or ""))]
        rest = m.group(3) or ""
        if "-" in rest or "–" in rest:
            lo, hi = numbers[0], numbers[-1]
            if lo < hi <= 12:
                numbers = list(range(lo, hi + 1))
        for number in numbers:
            if 1 <= number <= 12:
                out.append(
                    _Candidate(
                        "grades",
                        number,
                        _GRADE_CONFIDENCE[word] * source.weight,
                        f"{source.label}: '{source.text[m.start() : m.end()]}'",
                    )
                )
    if source.is_name:
        for m in _CLASS_RE.finditer(folded):
            # "4A", "5H", "12A1": a class of that grade. "A4" (paper size) is the other order.
            if 1 <= int(m.group(1)) <= 12:
                out.append(
                    _Candidate(
                        "grades",
                        int(m.group(1)),
                        0.6 * source.weight,
                        f"{source.label}: class '{source.text[m.start() : m.end()]}'",
                    )
                )
    if _SENIOR_EXAM_RE.search(folded):
        out.append(
            _Candidate("grades", 12, 0.6 * source.weight, f"{source.label}: national upper-secondary exam")
        )


def _name_matches(
    field: str, table: str, source: _Source, folded: str, out: list[_Candidate], confidence: float
) -> list[_Hit]:
    hits = _tables()[table].find(source.text, folded)
    for hit in hits:
        out.append(
            _Candidate(field, hit.value, confidence * source.weight, f"{source.label}: '{hit.spelling}'")
        )
    if source.is_name:
        for m in re.finditer(r"[^\s\-_()\[\],;]+", source.text):
            code = _abbreviations()[field].get(m.group())
            if code is not None:
                hits.append(_Hit(code, m.start(), m.end(), m.group()))
                out.append(
                    _Candidate(
                        field, code, (confidence - 0.1) * source.weight, f"{source.label}: '{m.group()}'"
                    )
                )
        if field == "type":
            # "Đề 18", "De so 3", "ĐỀ 1": a numbered paper from a set of tests.
            for m in re.finditer(r"(?<![^\W_])de\s+(?:so\s+)?\d{1,3}(?![^\W_])", folded):
                span = source.text[m.start() : m.start() + 2]
                if not has_marks(span) or span.lower() == "đề":
                    out.append(
                        _Candidate(
                            field,
                            "de-kiem-tra",
                            0.7 * source.weight,
                            f"{source.label}: '{source.text[m.start() : m.end()]}'",
                        )
                    )
    return hits


_SUBJECT_GRADE_RE_TEMPLATE: Final = r"\s*[-–]?\s*(\d{1,2})(?![\d])"
_PLAN_WORDS_RE: Final = re.compile(
    r"(?<![^\W_])(?:giao an|ke hoach bai day|khbd)\s*(?:lop\s*)?(\d{1,2})(?![\d])"
)


def _grade_after(hits: list[_Hit], source: _Source, folded: str, out: list[_Candidate]) -> None:
    """A number right after a subject name is its grade: "Vật lý 10", "Toán 5", "GDCD 12"."""
    for hit in hits:
        m = re.compile(_SUBJECT_GRADE_RE_TEMPLATE).match(folded, hit.end)
        if m and 1 <= int(m.group(1)) <= 12:
            out.append(
                _Candidate(
                    "grades",
                    int(m.group(1)),
                    0.8 * source.weight,
                    f"{source.label}: '{source.text[hit.start : m.end()]}'",
                )
            )
    for m in _PLAN_WORDS_RE.finditer(folded):
        if 1 <= int(m.group(1)) <= 12:
            out.append(
                _Candidate(
                    "grades",
                    int(m.group(1)),
                    0.75 * source.weight,
                    f"{source.label}: '{source.text[m.start() : m.end()]}'",
                )
            )


_CHAPTER_RE: Final = re.compile(
    r"(?<![^\W_])(chuong|chu de|phan)\s*([ivxlc]+|\d{1,2})(?![^\W_])(?:\s*[:.\-–]\s*([^\n]{1,100}))?"
)
_LESSON_RE: Final = re.compile(
    r"(?<![^\W_])(bai|unit|lesson)\s*(\d{1,3})(?![^\W_])(?:\s*[:.\-–]?\s*([^\n]{1,100}))?"
)
_POINTS_RE: Final = re.compile(r"\s*\(\s*\d+(?:[.,]\d+)?\s*diem")
_CHAPTER_LABEL: Final = {"chuong": "Chương", "chu de": "Chủ đề", "phan": "Phần"}
_LESSON_LABEL: Final = {"bai": "Bài", "unit": "Unit", "lesson": "Lesson"}


def _clean_title(title: str) -> str:
    title = re.split(r"\s+[-–]\s+|\s{2,}|\t", title.strip())[0]
    return title.strip(" .:-–_()[]")


def _structure_from(source: _Source, folded: str, out: list[_Candidate]) -> None:
    """Chapter ("Chương II", "Chủ đề 3") and lesson ("Bài 5: Phân số", "Unit 4")."""
    for regex, fld, labels, base in (
        (_CHAPTER_RE, "chapter", _CHAPTER_LABEL, 0.8),
        (_LESSON_RE, "lesson", _LESSON_LABEL, 0.8),
    ):
        for m in regex.finditer(folded):
            if fld == "chapter" and m.group(1) == "phan" and not source.is_name:
                continue  # "phần" is too common in running text
            if _POINTS_RE.match(folded, m.end(2)):
                continue  # "Bài 1 (2 điểm)" is an exam problem, not a lesson
            number = m.group(2).upper() if not m.group(2).isdigit() else str(int(m.group(2)))
            if not source.is_name and m.group(1) == "bai" and fld == "lesson":
                line_start = folded.rfind("\n", 0, m.start()) + 1
                if folded[line_start : m.start()].strip():
                    continue  # in text only a line that starts with "Bài N" is a lesson heading
            value = f"{labels[m.group(1)]} {number}"
            title = _clean_title(source.text[m.start(3) : m.end(3)]) if m.group(3) else ""
            # A title taken from a name stops at the next structural word ("Bai 12 Chuong 2").
            title = re.split(r"(?i)\s+(?:chương|chuong|bài|bai|lớp|lop|tuần|tuan|tiết|tiet)\s+\d", title)[0]
            if title and not title.isdigit():
                value = f"{value}: {title}"
            out.append(
                _Candidate(
                    fld,
                    value,
                    base * source.weight,
                    f"{source.label}: '{source.text[m.start() : m.end()].strip()}'",
                )
            )


_EXAM_CODE_RE: Final = re.compile(r"(?<![^\W_])ma\s+de(?:\s+thi)?\s*[:.]?\s*(\d{3,4})(?![\d])")
_QUESTION_RE: Final = re.compile(r"(?m)^\s*cau\s+\d+\s*[:.)]")
_OPTION_RE: Final = re.compile(r"(?<![^\W_])[a-d]\s*[.)]\s")
_PLAN_STRUCTURE_RE: Final = re.compile(r"muc tieu|yeu cau can dat")
_PLAN_ACTIVITY_RE: Final = re.compile(
    r"hoat dong day hoc|tien trinh day hoc|cac hoat dong|do dung day hoc|chuan bi"
)


def _types_from_text(label: str, folded: str, out: list[_Candidate]) -> None:
    m = _EXAM_CODE_RE.search(folded[:4000])
    if m:
        out.append(_Candidate("type", "de-kiem-tra", 0.8, f"{label}: exam code {m.group(1)}"))
    questions = len(_QUESTION_RE.findall(folded))
    options = len(_OPTION_RE.findall(folded))
    if questions >= 1 and options >= 3:
        confidence = 0.5 if questions < 5 else 0.7
        out.append(
            _Candidate(
                "type",
                "de-kiem-tra",
                confidence,
                f"{label}: {questions} numbered question(s) with answer options",
            )
        )
    head = folded[:3000]
    if _PLAN_STRUCTURE_RE.search(head) and _PLAN_ACTIVITY_RE.search(folded[:20000]):
        out.append(
            _Candidate(
                "type", "ke-hoach-bai-day", 0.6, f"{label}: lesson-plan sections (mục tiêu, hoạt động)"
            )
        )


# --------------------------------------------------------------------------------------------
# Subject scoring from content


@dataclass(frozen=True, slots=True)
class _Lexicon:
    code: str
    folded: re.Pattern[str] | None
    weights: dict[str, float]  # folded term -> weight
    accented: dict[str, frozenset[str]]  # folded term -> mark keys of its accented spellings
    patterns: tuple[tuple[re.Pattern[str], float], ...]


@cache
def _lexicons() -> tuple[_Lexicon, ...]:
    built: list[_Lexicon] = []
    for code, terms in lex.SUBJECT_TERMS.items():
        weights: dict[str, float] = {}
        accented: dict[str, set[str]] = defaultdict(set)
        patterns: list[tuple[re.Pattern[str], float]] = []
        for term, weight in terms.items():
            if term.startswith("re:"):
                patterns.append((re.compile(term[3:]), float(weight)))
                continue
            key = " ".join(fold(term).split())
            weights[key] = max(float(weight), weights.get(key, 0.0))
            accented[key].add(_mark_key(nfc(term)))
        folded = None
        if weights:
            alternatives = "|".join(
                r"\s+".join(re.escape(w) for w in k.split()) for k in sorted(weights, key=len, reverse=True)
            )
            folded = re.compile(r"(?<![^\W_])(?:" + alternatives + r")(?![^\W_])")
        frozen = {k: frozenset(v) for k, v in accented.items()}
        built.append(_Lexicon(code, folded, weights, frozen, tuple(patterns)))
    return tuple(built)


def _term_counts(lexicon: _Lexicon, text: str, folded: str) -> dict[str, int]:
    """How often each term of ``lexicon`` occurs in ``text`` (NFC; ``folded`` aligned to it).

    Matching is on folded text so unaccented writing counts, but where the text *has* marks
    they must be the term's: "biến" (change) is not "biển" (sea), "là" (is) not "lá" (leaf).
    """
    counts: dict[str, int] = defaultdict(int)
    if lexicon.folded is None:
        return counts
    for m in lexicon.folded.finditer(folded):
        key = " ".join(m.group().split())
        span = text[m.start() : m.end()]
        if has_marks(span) and _mark_key(span) not in lexicon.accented.get(key, frozenset()):
            continue
        counts[key] += 1
    return counts


_ELEMENTS: Final = frozenset(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se
    Br Kr Rb Sr Ag Cd Sn Sb I Ba Pt Au Hg Pb""".split()
)
_FORMULA_TOKEN_RE: Final = re.compile(r"(?<![\w])(?:[A-Z][a-z]?\d*|\((?:[A-Z][a-z]?\d*)+\)\d*)+(?![\w])")
_SYMBOL_RE: Final = re.compile(r"[A-Z][a-z]?")


def _chemical_formulas(text: str) -> int:
    """Count tokens that read as chemical formulas: real element symbols, and a digit or a
    two-letter symbol among several ("H2SO4", "Ca(OH)2", "NaCl"; not "ADN", "HIV", "ASEAN").
    """
    count = 0
    for m in _FORMULA_TOKEN_RE.finditer(text):
        token = m.group()
        symbols = _SYMBOL_RE.findall(token)
        if len(symbols) < 1 or any(s not in _ELEMENTS for s in symbols):
            continue
        if (
            any(ch.isdigit() for ch in token)
            or "(" in token
            or (len(symbols) >= 2 and any(len(s) == 2 for s in symbols))
        ):
            count += 1
    return count


_WORD_RE: Final = re.compile(r"[^\W\d_]+")


def _language_counts(text: str) -> tuple[int, int, int]:
    """(words, words with Vietnamese marks, English function words)."""
    words = _WORD_RE.findall(text)
    marked = sum(1 for w in words if has_marks(w))
    english = sum(1 for w in words if w.lower() in lex.ENGLISH_STOPWORDS)
    return len(words), marked, english


def score_subjects(text: str) -> dict[str, float]:
    """Score ``text`` against every subject lexicon (higher = more characteristic terms).

    A term found ``n`` times adds ``weight * (1 + ln n)``: repetition is evidence, with
    diminishing returns so one word repeated cannot outvote the rest. English text adds to
    ``tieng-anh`` in proportion to its function words. ``text`` should be NFC.
    """
    text = nfc(text)
    folded = _fold_aligned(text)
    scores: dict[str, float] = {}
    for lexicon in _lexicons():
        counts = _term_counts(lexicon, text, folded)
        score = sum(lexicon.weights.get(term, 0.0) * (1 + math.log(n)) for term, n in counts.items())
        for pattern, weight in lexicon.patterns:
            n = len(pattern.findall(text))
            if n:
                score += weight * (1 + math.log(n))
        if score:
            scores[lexicon.code] = score
    formulas = _chemical_formulas(text)
    if formulas:
        scores["hoa-hoc"] = scores.get("hoa-hoc", 0.0) + 2.0 * (1 + math.log(formulas))
    words, marked, english = _language_counts(text)
    if words and english:
        english_share = english / max(1, english + marked)
        scores["tieng-anh"] = scores.get("tieng-anh", 0.0) + 0.8 * english * english_share
    return scores


def _subjects_from_content(text: str, out: list[_Candidate]) -> None:
    scores = score_subjects(text)
    if not scores:
        return
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    top_code, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    for code, score in ranked[:2]:
        if score < 2.0 or (code != top_code and score < 0.6 * top):
            continue
        share = score / (top + second + 1.0)
        confidence = min(0.9, share * (1 - math.exp(-score / 4)))
        out.append(
            _Candidate(
                "subjects",
                code,
                confidence,
                f"text: {_top_terms(code, text)} (score {score:.1f})",
                from_content=True,
            )
        )


def _top_terms(code: str, text: str, limit: int = 4) -> str:
    """The strongest terms of ``code``'s lexicon found in ``text``, for the evidence string."""
    lexicon = next(lx for lx in _lexicons() if lx.code == code)
    found = {
        term: lexicon.weights.get(term, 0.0) for term in _term_counts(lexicon, text, _fold_aligned(text))
    }
    if code == "tieng-anh" and not found:
        return "English text"
    if code == "hoa-hoc" and _chemical_formulas(text):
        found["chemical formulas"] = 2.5
    terms = sorted(found, key=lambda t: found[t], reverse=True)[:limit]
    return "terms " + ", ".join(repr(t) for t in terms) if terms else "notation"


# --------------------------------------------------------------------------------------------
# Language


_METADATA_LANGUAGE_KEYS: Final = ("language", "dc:language", "content-language", "lang", "xml:lang")


def _language_from(text: str, label: str, out: list[_Candidate]) -> None:
    words, marked, english = _language_counts(text)
    if words < 8:
        return
    if marked / words >= 0.15:
        out.append(
            _Candidate(
                "language",
                "vi",
                min(0.95, 0.55 + marked / words),
                f"{label}: {marked} of {words} words carry Vietnamese marks",
            )
        )
    if english / words >= 0.15:
        out.append(
            _Candidate(
                "language",
                "en",
                min(0.95, 0.45 + english / words),
                f"{label}: {english} of {words} words are English function words",
            )
        )


# --------------------------------------------------------------------------------------------
# Combining


def _band_code(code: str, grade: int, from_content: bool) -> str:
    """The code the programme uses for ``code``'s content at ``grade``."""
    vocab = _vocabularies()["subject"]
    term = vocab.get(code)
    if term is not None and term.grades is not None and grade in term.grades:
        return code
    table = lex.CONTENT_GRADE_BAND_CODES if from_content else lex.GRADE_BAND_CODES
    for first, last, mapped in table.get(code, ()):
        if first <= grade <= last:
            return mapped
    if term is not None:
        # The vocabulary knows broader subjects: "Tin học" at grade 4 is "Tin học và Công nghệ".
        broader = vocab.lookup(term.label_vi, grade=grade)
        if broader is not None and broader.grades is not None and grade in broader.grades:
            return broader.code
    return code


def _combine(candidates: list[_Candidate]) -> list[Suggestion]:
    # "GiaoAn_Lop5H" says grade 5 three ways ("Lop 5H", "Giao An Lop 5", class "5H"): one
    # name is one piece of evidence, so keep its strongest reading only.
    strongest: dict[tuple[str, int | str, str], _Candidate] = {}
    anonymous: list[_Candidate] = []
    for cand in candidates:
        if cand.confidence <= 0:
            continue
        if not cand.source:
            anonymous.append(cand)
            continue
        key = (cand.field, cand.value, cand.source)
        if key not in strongest or strongest[key].confidence < cand.confidence:
            strongest[key] = cand
    grouped: dict[tuple[str, int | str], list[_Candidate]] = defaultdict(list)
    for cand in [*strongest.values(), *anonymous]:
        grouped[(cand.field, cand.value)].append(cand)
    suggestions: list[Suggestion] = []
    for (fld, value), group in grouped.items():
        miss = 1.0
        for cand in group:
            miss *= 1.0 - min(cand.confidence, 0.99)
        confidence = min(0.99, 1.0 - miss)
        evidence: list[str] = []
        for cand in sorted(group, key=lambda c: c.confidence, reverse=True):
            if cand.evidence not in evidence:
                evidence.append(cand.evidence)
        suggestions.append(Suggestion(fld, value, round(confidence, 4), "; ".join(evidence[:3])))
    suggestions.sort(key=lambda s: (FIELDS.index(s.field), -s.confidence, str(s.value)))
    kept: list[Suggestion] = []
    per_field: dict[str, int] = defaultdict(int)
    for s in suggestions:
        if s.confidence < MIN_CONFIDENCE or per_field[s.field] >= MAX_PER_FIELD:
            continue
        per_field[s.field] += 1
        kept.append(s)
    return kept


def _is_title_line(line: str) -> bool:
    letters = _LETTER_RE.findall(line)
    if not letters or len(line) > 100 or re.match(r"\s*(?:c[aâ]u|CÂU)\s*\d", line, re.IGNORECASE):
        return False
    return sum(1 for ch in letters if ch.isupper()) / len(letters) >= 0.7


def _metadata_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [v for v in value if isinstance(v, str)]
    return []


def suggest_tags(
    *,
    filename: str,
    folders: Sequence[str] = (),
    doc_metadata: Mapping[str, Any] | None = None,
    text: str = "",
) -> list[Suggestion]:
    """Suggest curriculum tags for one file.

    Args:
        filename: the uploaded file's name (a path is accepted; its directories count as folders).
        folders: names of the folders the file came in, outermost first (an imported tree).
        doc_metadata: document metadata as extracted (Tika keys such as ``dc:title``,
            ``dc:subject``, ``meta:keyword``, ``language``); values may be strings or lists.
        text: extracted text (any normalisation form); legacy-font garbage in it is ignored.

    Returns:
        Suggestions ordered by field (grades, subjects, type, series, chapter, lesson, language)
        then confidence, at most three per field, each with the evidence it rests on.

    Raises:
        BadRequest: an argument has the wrong type.
    """
    if not isinstance(filename, str):
        raise BadRequest("filename must be a string")
    if isinstance(folders, str) or not all(isinstance(f, str) for f in folders):
        raise BadRequest("folders must be a list of folder names")
    if doc_metadata is not None and not isinstance(doc_metadata, Mapping):
        raise BadRequest("doc_metadata must be a mapping of metadata keys to values")
    if not isinstance(text, str):
        raise BadRequest("text must be a string")

    path = PureWindowsPath(filename) if "\\" in filename else PurePosixPath(filename)
    all_folders = [*folders, *[p for p in path.parent.parts if p not in ("/", ".", "\\")]]
    base = nfc(path.name)
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or len(extension) > 5 or " " in extension:
        stem, extension = base, ""

    sources: list[_Source] = []
    if stem.strip():
        sources.append(_Source(f"filename '{base}'", _name_text(stem), 1.0, True))
    for depth, folder in enumerate(reversed(all_folders)):
        if folder.strip():
            sources.append(
                _Source(f"folder '{nfc(folder)}'", _name_text(folder), max(0.6, 0.8 - 0.05 * depth), True)
            )
    metadata = {str(k).lower(): v for k, v in (doc_metadata or {}).items()}
    for key in (
        "dc:title",
        "title",
        "dc:subject",
        "subject",
        "cp:subject",
        "meta:keyword",
        "keywords",
        "cp:category",
    ):
        for value in _metadata_strings(metadata.get(key)):
            if value.strip():
                sources.append(_Source(f"metadata {key} '{nfc(value)[:80]}'", _name_text(value), 0.85, True))

    candidates: list[_Candidate] = []
    for source in sources:
        first = len(candidates)
        folded = _fold_aligned(source.text)
        _grades_from(source, folded, candidates)
        hits = _name_matches("subjects", "subjects", source, folded, candidates, 0.9)
        _grade_after(hits, source, folded, candidates)
        _name_matches("type", "type", source, folded, candidates, 0.85)
        _name_matches("series", "series", source, folded, candidates, 0.85)
        _structure_from(source, folded, candidates)
        for cand in candidates[first:]:
            cand.origin = source.label.split(" ", 1)[0]
            cand.source = source.label
    # The file's own name is more specific than the folder it sits in: "Bang_thu_chi_4A.xls"
    # in a "Lop5" folder is about class 4A. Folder values the file name contradicts count half.
    named = {(c.field, c.value) for c in candidates if c.origin == "filename"}
    named_fields = {fld for fld, _ in named}
    for cand in candidates:
        if cand.origin == "folder" and cand.field in ("grades", "subjects"):
            if cand.field in named_fields and (cand.field, cand.value) not in named:
                cand.confidence *= 0.5
    for source in sources[:1]:
        # "T_5__Nhan_1_so..." and "T5 ..." at the start of a primary teacher's file: Toán 5.
        m = re.match(r"T\s+([1-5])(?!\d)", source.text)
        if m:
            candidates.append(_Candidate("subjects", "toan", 0.45, f"{source.label}: 'T{m.group(1)}'"))
            candidates.append(_Candidate("grades", int(m.group(1)), 0.5, f"{source.label}: 'T{m.group(1)}'"))

    if extension:
        ext_type = lex.EXTENSION_TYPES.get(extension.lower())
        if ext_type is not None:
            candidates.append(_Candidate("type", ext_type, 0.5, f"file extension .{extension.lower()}"))

    body = nfc(text[:MAX_TEXT_CHARS]) if text else ""
    dropped = 0
    if body:
        body, dropped = _drop_legacy_tokens(body)
    if body.strip():
        lines = [ln for ln in body[: HEADER_CHARS * 2].splitlines() if ln.strip()][:HEADER_LINES]
        header = _Source("text header", "\n".join(ln.strip() for ln in lines)[:HEADER_CHARS], 0.7, False)
        header_folded = _fold_aligned(header.text)
        _grades_from(header, header_folded, candidates)
        # Subject names in running text ("cách mạng khoa học - kĩ thuật") are not the subject:
        # only title lines (mostly capitals, short, not a numbered question) are read as names.
        titles = [ln for ln in header.text.splitlines() if _is_title_line(ln)]
        if titles:
            title_source = _Source("text title", "\n".join(titles), 0.8, False)
            title_folded = _fold_aligned(title_source.text)
            hits = _name_matches("subjects", "subjects_text", title_source, title_folded, candidates, 0.85)
            _grade_after(hits, title_source, title_folded, candidates)
        for m in re.finditer(r"(?<![^\W_])mon(?:\s+(?:hoc|thi))?\s*[:\-]\s*", header_folded):
            line_end = header_folded.find("\n", m.end())
            after = _Source(
                "text header", header.text[m.end() : line_end if line_end >= 0 else None], 0.9, True
            )
            _name_matches("subjects", "subjects", after, _fold_aligned(after.text), candidates, 0.95)
        _name_matches("type", "type", header, header_folded, candidates, 0.8)
        _name_matches("series", "series_text", header, header_folded, candidates, 0.85)
        _structure_from(header, header_folded, candidates)
        _types_from_text("text", _fold_aligned(body[:20000]), candidates)
        _subjects_from_content(body, candidates)
        _language_from(body, "text", candidates)
    if dropped and not body.strip():
        candidates.append(
            _Candidate("language", "vi", 0.3, f"text: {dropped} tokens in a legacy Vietnamese font")
        )

    for key in _METADATA_LANGUAGE_KEYS:
        for value in _metadata_strings(metadata.get(key)):
            code = value.strip().replace("_", "-").split("-")[0].lower()
            if re.fullmatch(r"[a-z]{2,3}", code):
                found = _vocabularies()["language"].lookup(value) or _vocabularies()["language"].lookup(code)
                candidates.append(
                    _Candidate("language", found.code if found else code, 0.7, f"metadata {key} '{value}'")
                )
    if not body.strip() and any(has_marks(s.text) for s in sources[:1]):
        candidates.append(
            _Candidate("language", "vi", 0.35, f"{sources[0].label}: Vietnamese marks in the name")
        )

    # Map subjects to the code used at the (best) grade: "Lịch sử" in grade 5 → LS&ĐL.
    grade_conf: dict[int, float] = defaultdict(float)
    for cand in candidates:
        if cand.field == "grades" and isinstance(cand.value, int):
            grade_conf[cand.value] = 1 - (1 - grade_conf[cand.value]) * (1 - min(cand.confidence, 0.99))
    if grade_conf:
        grade, confidence = max(grade_conf.items(), key=lambda kv: kv[1])
        if confidence >= 0.5:
            for cand in candidates:
                if cand.field == "subjects" and isinstance(cand.value, str):
                    mapped = _band_code(cand.value, grade, cand.from_content)
                    if mapped != cand.value:
                        cand.evidence += f" (taught as {mapped} in grade {grade})"
                        cand.value = mapped
    known = {name: set(_vocabularies()[name].codes()) for name in ("subject", "resource-type", "series")}
    valid = [
        c
        for c in candidates
        if not (c.field == "subjects" and c.value not in known["subject"])
        and not (c.field == "type" and c.value not in known["resource-type"])
        and not (c.field == "series" and c.value not in known["series"])
        and not (c.field == "grades" and not (isinstance(c.value, int) and 1 <= c.value <= 12))
    ]
    return _combine(valid)


def best(suggestions: Iterable[Suggestion], field: str) -> Suggestion | None:
    """The most confident suggestion for ``field``, or ``None``."""
    return max((s for s in suggestions if s.field == field), key=lambda s: s.confidence, default=None)


__all__ = ["FIELDS", "Suggestion", "best", "score_subjects", "suggest_tags"]
