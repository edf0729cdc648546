"""Search requests and query understanding (engine-neutral).

:class:`SearchQuery` is what the service hands a backend. :func:`analyze` turns the user's text
into a :class:`ParsedQuery`: a structure of words, phrases, exclusions and curriculum aliases that
each backend compiles into its own query objects *programmatically*. User syntax therefore never
reaches an engine's query parser (``c++ (``, ``AND``, ``*`` are just words or nothing).

Understanding, in order:

* NFC (an NFD-encoded "Toán lớp 5" is the same query), lowercase;
* ``"quoted phrases"`` (an unbalanced quote is ignored), ``-word`` / ``-"a phrase"`` exclusions;
* accents: ``has_marks`` decides whether exact-accent matches must rank first;
* curriculum aliases: "lop 5", "lớp 5", "L5", "khối 5" → grade 5; "toan", "Toán học", "GDCD",
  "KHTN", "Vật lý"/"Vật lí" → subject codes, via ``repository.vocabularies``. An alias is a
  *boost*, not a filter: each alias span becomes "this text OR this grade/subject", so
  "toan lop 5" ranks grade-5 mathematics first without hiding a grade-5 worksheet that says "toán"
  only in its text.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from repository import fields
from repository.errors import InvalidQuery
from repository.text import fold, has_marks, i_y_spellings, nfc
from repository.vocabularies import load_vocabularies, lookup_key
from search.vietnamese import normalize_tone_placement

Sort = Literal["relevance", "newest", "popular"]
SORTS: tuple[str, ...] = ("relevance", "newest", "popular")

MAX_SIZE = 100
#: Deep paging is refused beyond this many results (both engines pay for offset + size).
MAX_WINDOW = 10_000
MAX_QUERY_CHARS = 1_000
#: Words beyond this are ignored: a pasted paragraph still gets an answer, not a timeout.
MAX_TOKENS = 32
#: The engines drop longer tokens at index time (tantivy ``remove_long(40)``).
MAX_TOKEN_CHARS = 40
#: Words of at least this many letters get edit-distance-1 matching when exact matching finds little.
FUZZY_MIN_CHARS = 5
#: "Finds little": fewer hits than this turns typo tolerance on.
FUZZY_BELOW = 3


@dataclass(frozen=True)
class SearchQuery:
    """One search request. Filters combine with AND across fields and OR within a field.

    Example::

        SearchQuery("toan lop 5 phan so", grades=[5], sort="relevance", page=1, size=20)

    ``size`` is capped at :data:`MAX_SIZE`; ``page`` is 1-based and ``page * size`` may not exceed
    :data:`MAX_WINDOW`. ``public_only`` (the default) restricts everything, facet counts included,
    to approved materials; only trusted callers (curators, the owner's dashboard) turn it off.
    ``students_only`` leaves out teacher-only material (``repository.material.audience``): the
    service sets it for students and anonymous visitors who did not ask for an audience.
    """

    text: str = ""
    grades: Sequence[int] = ()
    subjects: Sequence[str] = ()
    types: Sequence[str] = ()
    series: Sequence[str] = ()
    languages: Sequence[str] = ()
    licenses: Sequence[str] = ()
    audiences: Sequence[str] = ()
    #: Contributing organisations by slug.
    organisations: Sequence[str] = ()
    sort: str = "relevance"
    page: int = 1
    size: int = 20
    public_only: bool = True
    with_facets: bool = True
    students_only: bool = False
    #: Filters on the registry's vocabulary fields that have no attribute above, by field name
    #: (``repository.fields``).
    codes: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def with_filters(cls, text: str, chosen: Mapping[str, Sequence[object]], **options: Any) -> SearchQuery:
        """A query from filters by field name (``{"grade": [5], "subject": ["toan"]}``), the way
        the API and the portal receive them.

        Raises:
            InvalidQuery: a name that is no filter of the registry.
        """
        known = {f.name: f for f in fields.filters()}
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise InvalidQuery(f"unknown filter(s): {', '.join(unknown)}")
        named: dict[str, Any] = {}
        codes: dict[str, Sequence[str]] = {}
        for name, values in chosen.items():
            attribute = known[name].query_attribute
            if attribute is None:
                codes[name] = [str(v) for v in values]
            else:
                named[attribute] = values
        return cls(text, **named, codes=codes, **options)

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise InvalidQuery(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}")
        if not isinstance(self.page, int) or self.page < 1:
            raise InvalidQuery(f"page must be an integer ≥ 1, got {self.page!r}")
        if not isinstance(self.size, int) or self.size < 1:
            raise InvalidQuery(f"size must be an integer ≥ 1, got {self.size!r}")
        object.__setattr__(self, "size", min(self.size, MAX_SIZE))
        if self.page * self.size > MAX_WINDOW:
            raise InvalidQuery(f"results beyond the first {MAX_WINDOW} are not available; refine the query")
        if len(self.text) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"the query is too long (at most {MAX_QUERY_CHARS} characters)")
        try:
            object.__setattr__(self, "grades", tuple(int(g) for g in self.grades))
        except (TypeError, ValueError):
            raise InvalidQuery(f"grade filters must be integers, got {list(self.grades)!r}") from None
        for f in fields.filters():
            if f.integer or f.query_attribute is None:
                continue
            value = getattr(self, f.query_attribute)
            if isinstance(value, str):
                value = [value]
            object.__setattr__(self, f.query_attribute, tuple(nfc(str(v)) for v in value))
        known = {f.name for f in fields.filters() if f.query_attribute is None}
        unknown = sorted(set(self.codes) - known)
        if unknown:
            raise InvalidQuery(f"unknown filter(s): {', '.join(unknown)}")
        codes = {name: [vs] if isinstance(vs, str) else vs for name, vs in self.codes.items()}
        object.__setattr__(self, "codes", {n: tuple(nfc(str(v)) for v in vs) for n, vs in codes.items()})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def filters(self) -> dict[str, tuple[object, ...]]:
        """Active filters keyed by index field name (``grade``, ``subject`` …), empty ones omitted."""
        pairs: dict[str, tuple[object, ...]] = {}
        for f in fields.filters():
            if f.query_attribute is None:
                pairs[f.name] = tuple(self.codes.get(f.name, ()))
            else:
                pairs[f.name] = tuple(getattr(self, f.query_attribute))
        return {k: v for k, v in pairs.items() if v}


@dataclass(frozen=True)
class Token:
    """A query word: ``exact`` is lowercase NFC with accents; ``folded`` has no marks and đ→d.

    ``question`` marks a question word or particle ("ai", "gì", "bao nhiêu"): it asks for the
    answer instead of naming it, so it neither excludes a material nor dominates its score.
    """

    exact: str
    folded: str
    question: bool = False


def listed(name: str) -> list[str]:
    """The lines of a list the ``search`` package ships (``question_words.txt``,
    ``question_pairs.txt``: written by ``bench/question_words.py``), stripped, without blank
    lines and ``#`` comments."""
    text = (resources.files("search") / name).read_text(encoding="utf-8")
    return [w for w in (line.strip() for line in text.splitlines()) if w and not w.startswith("#")]


@lru_cache(maxsize=1)
def question_words() -> tuple[frozenset[str], frozenset[str]]:
    """(exact, folded) question words, derived from real questions by ``bench/question_words.py``."""
    exact = frozenset(listed("question_words.txt"))
    return exact, frozenset(fold(w) for w in exact)


def is_question_word(exact: str, folded: str) -> bool:
    """Whether a query word is a question word: by its accents when typed with them ("đâu" is,
    "đầu" is not), by its folded form when typed without ("dau")."""
    exact_words, folded_words = question_words()
    if exact != folded:
        return exact in exact_words
    return folded in folded_words


@dataclass(frozen=True)
class Clause:
    """A required part of the query.

    ``kind`` is ``"word"`` (one token), ``"phrase"`` (adjacent tokens), or ``"alias"`` (tokens
    that named a grade and/or subject: matched by the text OR by ``grades``/``subjects``).
    """

    kind: Literal["word", "phrase", "alias"]
    tokens: tuple[Token, ...]
    grades: tuple[int, ...] = ()
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    """The engine-neutral meaning of the user's text. Empty ``clauses`` means "match all"."""

    text: str
    clauses: tuple[Clause, ...] = ()
    excluded: tuple[tuple[Token, ...], ...] = ()
    has_marks: bool = False
    #: Folded adjacent-syllable pairs ("hocsinh") of the positive words, for proximity boosts
    #: (a pair with a word of two i/y spellings is there in each: "hocki", "hocky").
    pairs: tuple[str, ...] = ()
    boost_grades: tuple[int, ...] = ()
    boost_subjects: tuple[str, ...] = ()
    #: The ``pairs`` that include a word of a curriculum alias ("toanlop", "lop5").
    alias_pairs: frozenset[str] = frozenset()

    @property
    def tokens(self) -> list[Token]:
        """Every positive token, in order (for highlighting)."""
        return [t for c in self.clauses for t in c.tokens]

    @property
    def is_empty(self) -> bool:
        return not self.clauses


# --- tokenisation -----------------------------------------------------------------------------


def words(text: str, *, keep_long: bool = False) -> list[str]:
    """Split like tantivy's ``simple`` tokenizer: runs of alphanumeric characters, lowercased.

    Input must already be NFC (combining marks are not alphanumeric and would split words).
    Words longer than :data:`MAX_TOKEN_CHARS` are dropped like the engines drop them, unless
    ``keep_long`` (a query made of one absurd word should match nothing, not everything).
    """
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch.isalnum():
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return [w.lower() for w in out if keep_long or len(w) <= MAX_TOKEN_CHARS]


def _token(word: str) -> Token:
    # The exact form writes tone marks on the main vowel ("hóa" → "hoá"), as the exact-accent
    # fields are indexed, so either placement convention matches the other.
    exact, folded = normalize_tone_placement(word), fold(word)
    return Token(exact=exact, folded=folded, question=is_question_word(exact, folded))


def syllable_pairs(text: str) -> list[str]:
    """Folded adjacent-syllable pairs of ``text``, joined without a separator ("học sinh" → "hocsinh").

    Indexed by every backend into a ``pairs_*`` field so a query for "học sinh" scores documents
    holding the two syllables side by side above documents that hold them apart (Vietnamese
    words are mostly two syllables, so pairs are mostly words), and so the embedded engine can
    look a quoted phrase's candidates up by its pairs. Neighbours pair up whatever separates
    them ("sinh, học" gives "sinhhoc"), as the engines' phrase queries see them: every phrase
    match in a text is then among the materials holding its pairs. A pair with a syllable
    longer than :data:`MAX_TOKEN_CHARS` is longer than the engines keep and drops there.
    """
    return pairs_of(folded_words(text))


def folded_words(text: str) -> list[str]:
    """The folded words of ``text`` as the ``vi_fold`` analyzer cuts them (long ones kept).

    This runs over every body at indexing time: the whole text folded by table lookup, then
    its runs of letters and digits found."""
    return WORD_RUNS.findall(fast_fold(nfc(text)))


def pairs_of(found: Sequence[str]) -> list[str]:
    """The adjacent pairs of the words ``found`` (:func:`syllable_pairs`)."""
    return [a + b for a, b in itertools.pairwise(found)]


#: Runs of letters and digits, like ``str.isalnum`` (``_`` excluded), as in :func:`words`: the
#: words the analyzers' ``simple`` tokenizer cuts.
WORD_RUNS = re.compile(r"[^\W_]+")


def bm25_idf(n: int, df: int) -> float:
    """BM25's IDF of a term in ``df`` of ``n`` documents (as Tantivy and Lucene compute it)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    # Every precomposed Latin letter (Latin-1 to Latin Extended Additional, where Vietnamese
    # lives) mapped to its folded form; ``repository.text.fold`` stays the reference.
    return {cp: fold(chr(cp)) for cp in range(0x00C0, 0x1F00) if chr(cp).isalpha()}


def fast_fold(text: str) -> str:
    """``repository.text.fold`` for NFC text, by table lookup (lowercase, marks removed, đ→d)."""
    return text.translate(_fold_table()).lower()


# --- curriculum aliases ----------------------------------------------------------------------

Resolver = Callable[[str], tuple[tuple[int, ...], tuple[str, ...]]]

_GRADE_WORDS = {"lop", "khoi", "grade", "class", "l", "k"}
_GRADE_COMPACT = re.compile(r"^(?:l|lop|k|khoi)(\d{1,2})$")


def _grade_of(number: str) -> int | None:
    value = int(number)
    return value if 1 <= value <= 12 else None


@lru_cache(maxsize=4096)
def _subject_code(phrase: str) -> str | None:
    """The subject a phrase *names* exactly: its lookup key equals a label's or an alias's.

    The vocabulary's own ``lookup`` is deliberately forgiving (it resolves "sinh" to Sinh học for
    auto-tagging); for queries that would turn the word "sinh" in "học sinh" into a subject.
    """
    term = load_vocabularies()["subject"].lookup(phrase)
    if term is None:
        return None
    key = lookup_key(phrase)
    names = (term.code.replace("-", " "), term.label_vi, term.label_en, *term.aliases)
    return term.code if any(lookup_key(n) == key for n in names) else None


def default_resolver(phrase: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Grades and subject codes named by ``phrase`` (one to four words), or ``((), ())``."""
    parts = lookup_key(phrase).split()
    if len(parts) == 2 and parts[0] in _GRADE_WORDS and parts[1].isdigit():
        grade = _grade_of(parts[1])
        return ((grade,) if grade else ()), ()
    if len(parts) == 1 and (m := _GRADE_COMPACT.match(fold(phrase))):
        grade = _grade_of(m.group(1))
        return ((grade,) if grade else ()), ()
    code = _subject_code(phrase)
    return (), ((code,) if code else ())


def _grade_follows(tokens: list[Token], i: int, resolver: Resolver) -> bool:
    """Whether the words from ``i`` on start with a grade ("lớp 5", "L5", "5")."""
    if i >= len(tokens):
        return False
    if tokens[i].folded.isdigit():
        return _grade_of(tokens[i].folded) is not None
    for n in (2, 1):
        span = tokens[i : i + n]
        if len(span) == n and resolver(" ".join(t.exact for t in span))[0]:
            return True
    return False


def _alias_clauses(tokens: list[Token], resolver: Resolver) -> list[Clause]:
    """Greedy longest match (4 words down to 1) of alias spans; the rest become word clauses."""
    clauses: list[Clause] = []
    i = 0
    while i < len(tokens):
        for n in range(min(4, len(tokens) - i), 0, -1):
            span = tokens[i : i + n]
            if (
                n == 1
                and clauses
                and clauses[-1].kind == "word"
                and not span[0].folded.isdigit()
                and (
                    not _grade_follows(tokens, i + 1, resolver)
                    # "học sinh lớp 5": the syllable and the word before it, swapped, name the
                    # subject ("sinh học"), so they are the word for "student".
                    or resolver(f"{span[0].exact} {tokens[i - 1].exact}")[1]
                )
            ):
                # One syllable right after an ordinary word is most likely part of that word
                # ("học sinh" is "student", not Sinh học): only accept it at the start, after
                # another alias ("toan lop 5", "lop 5 toan") or before a grade ("tài liệu toán
                # lớp 5", "bài tập toán 5").
                continue
            grades, subjects = resolver(" ".join(t.exact for t in span))
            if grades or subjects:
                i += n
                # "Vật lý 10", "toán 5": a bare grade number right after a subject names the grade.
                if subjects and not grades and i < len(tokens) and tokens[i].folded.isdigit():
                    grade = _grade_of(tokens[i].folded)
                    if grade:
                        clauses.append(Clause("alias", (tokens[i],), (grade,), ()))
                        clauses.insert(len(clauses) - 1, Clause("alias", tuple(span), grades, subjects))
                        i += 1
                        break
                clauses.append(Clause("alias", tuple(span), grades, subjects))
                break
        else:
            clauses.append(Clause("word", (tokens[i],)))
            i += 1
    return clauses


def _at_named_grades(clauses: list[Clause]) -> list[Clause]:
    """Subject aliases widened to the subject they are taught under at the grades the query names.

    "Lịch sử lớp 8" is history, but at grade 8 history is taught as "Lịch sử và Địa lí", and "Tin
    học lớp 3" as "Tin học và Công nghệ": a grade-8 history lesson belongs to that broader
    subject (``Vocabulary.lookup(..., grade=)``), so the alias names both codes and the lesson is
    credited as a material *of* the subject and grade, above grade-12 history that only says
    "lớp 8" in its text.
    """
    grades = [g for c in clauses if c.kind == "alias" for g in c.grades]
    if not grades:
        return clauses
    subjects = load_vocabularies()["subject"]
    out = []
    for c in clauses:
        if c.kind == "alias" and c.subjects:
            phrase = " ".join(t.exact for t in c.tokens)
            wider = [term.code for g in grades if (term := subjects.lookup(phrase, grade=g)) is not None]
            c = Clause(c.kind, c.tokens, c.grades, tuple(dict.fromkeys([*c.subjects, *wider])))
        out.append(c)
    return out


_QUOTED = re.compile(r'(-?)"([^"]*)"')


def plain_text(text: str) -> str:
    """The user's ``text`` (NFC) without the search syntax: the exclusions (``-word``,
    ``-"a phrase"``) left out, the quote marks of phrases dropped, casing and punctuation kept
    ("Ai tạo ra Wikipedia?")."""
    text = _QUOTED.sub(lambda m: " " if m.group(1) else f" {m.group(2)} ", text)
    return " ".join(c for c in text.replace('"', " ").split() if not (c.startswith("-") and len(c) > 1))


#: Whether the engines also look a query word up in its other i/y spelling ("lý" / "lí", "kỹ" /
#: "kĩ": :func:`repository.text.i_y_spellings`). The index keeps every text as written and both
#: spellings are in print, so this is on; the switch is for measuring what it costs
#: (``bench/search_cost.py``). The second stage reads texts with the spellings merged either way.
I_Y_SPELLINGS = True


def spellings(word: str) -> tuple[str, ...]:
    """The query word (folded or accented) as a text may write it: itself, and its other i/y
    spelling when it has one and :data:`I_Y_SPELLINGS` is on."""
    return i_y_spellings(word) if I_Y_SPELLINGS else (word,)


def _pairs(a: Token, b: Token) -> list[str]:
    """The indexed pair terms of two adjacent words: in every spelling of each ("hocki",
    "hocky"), as the texts write either."""
    return [x + y for x in spellings(a.folded) for y in spellings(b.folded)]


def analyze(text: str, resolver: Resolver | None = None) -> ParsedQuery:
    """Parse user text into a :class:`ParsedQuery`. Never raises on odd syntax.

    Raises:
        InvalidQuery: only when the text is longer than :data:`MAX_QUERY_CHARS`.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query is too long (at most {MAX_QUERY_CHARS} characters)")
    resolve = resolver or default_resolver
    # NFKC also maps full-width and compatibility forms typed on some phone keyboards; NFC last.
    text = nfc(unicodedata.normalize("NFKC", text))
    clauses: list[Clause] = []
    excluded: list[tuple[Token, ...]] = []
    budget = MAX_TOKENS

    def take(ws: list[str]) -> list[Token]:
        nonlocal budget
        kept = ws[: max(budget, 0)]
        budget -= len(kept)
        return [_token(w) for w in kept]

    # Quoted parts first; what remains is plain words (a lone unbalanced quote is just punctuation).
    plain_parts: list[str] = []
    last = 0
    phrase_clauses: list[Clause] = []
    for m in _QUOTED.finditer(text):
        plain_parts.append(text[last : m.start()])
        last = m.end()
        toks = take(words(m.group(2), keep_long=True))
        if not toks:
            continue
        if m.group(1):
            excluded.append(tuple(toks))
        else:
            phrase_clauses.append(Clause("phrase" if len(toks) > 1 else "word", tuple(toks)))
    plain_parts.append(text[last:])

    positive: list[Token] = []
    for part in plain_parts:
        for raw in part.replace('"', " ").split():
            if raw.startswith("-") and len(raw) > 1:
                excluded.extend((t,) for t in take(words(raw[1:], keep_long=True)))
            else:
                positive.extend(take(words(raw, keep_long=True)))
    clauses.extend(_at_named_grades(_alias_clauses(positive, resolve)))
    clauses.extend(phrase_clauses)

    # A pair with a question word ("o dau") is no evidence of where the answer is.
    pairs = [
        p for a, b in itertools.pairwise(positive) if not (a.question or b.question) for p in _pairs(a, b)
    ]
    for c in phrase_clauses:
        pairs.extend(p for a, b in itertools.pairwise(c.tokens) for p in _pairs(a, b))
    in_alias = {id(t) for c in clauses if c.kind == "alias" for t in c.tokens}
    alias_pairs = frozenset(
        p
        for a, b in itertools.pairwise(positive)
        if id(a) in in_alias or id(b) in in_alias
        for p in _pairs(a, b)
    )
    positive_text = " ".join(t.exact for c in clauses for t in c.tokens)
    return ParsedQuery(
        text=text,
        clauses=tuple(clauses),
        excluded=tuple(excluded),
        has_marks=has_marks(positive_text),
        pairs=tuple(dict.fromkeys(pairs)),
        boost_grades=tuple(dict.fromkeys(g for c in clauses for g in c.grades)),
        boost_subjects=tuple(dict.fromkeys(s for c in clauses for s in c.subjects)),
        alias_pairs=alias_pairs,
    )


@dataclass(frozen=True)
class Hit:
    """One material in a result list.

    ``snippet`` is HTML: escaped text with ``<mark>`` around matched words, cut from the original
    accented text. ``pages`` lists ``(page_number, snippet)`` for the best-matching pages.
    """

    id: str
    title: str
    snippet: str
    grades: list[int] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    type: str | None = None
    thumbnail: str | None = None
    pages: list[tuple[int, str]] = field(default_factory=list)
    score: float = 0.0


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """``total`` counts every match (not just this page); ``suggestion`` is the "did you mean".

    ``total_approximate``: ``total`` is a lower bound ("10 000+"), not an exact count.
    ``facets_approximate``: the facet counts of a broad query were counted on its top
    candidates (``search.backends._common.FACET_SAMPLE``), not on every match.
    """

    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None
    total_approximate: bool = False
    facets_approximate: bool = False


@dataclass(frozen=True)
class Suggestion:
    """A completion: ``kind`` is ``title``, ``lesson`` or ``subject``; ``id`` names the material
    (``None`` for a subject, whose ``value`` is the subject code)."""

    text: str
    kind: str
    id: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class BrowseCounts:
    """Counts of public materials for the curriculum tree (``GET /api/v1/browse``).

    ``grades`` counts distinct materials per grade. ``paths`` counts materials per
    ``(grade, subject, series, volume, chapter, lesson)``; a material appears once per
    (grade, subject) it has, and ``""`` / ``0`` stand for "not set".
    """

    total: int
    grades: dict[int, int]
    paths: dict[tuple[int, str, str, int, str, str], int]


#: Separates the parts of a browse path inside one keyword term.
PATH_SEP = "\x1f"
#: Chapter and lesson headings are cut to this many characters in browse paths.
PATH_PART_CHARS = 200


def browse_paths(
    grades: Sequence[int],
    subjects: Sequence[str],
    series: str | None,
    volume: int | None,
    chapter: str,
    lesson: str,
) -> list[str]:
    """The browse keys a document is counted under: one per (grade, subject) it has."""
    heads = [chapter.strip()[:PATH_PART_CHARS], lesson.strip()[:PATH_PART_CHARS]]
    tail = [t.replace(PATH_SEP, " ") for t in (series or "", str(volume or ""), *heads)]
    return [PATH_SEP.join([str(g), s, *tail]) for g in grades for s in subjects]


def parse_path(key: str) -> tuple[int, str, str, int, str, str] | None:
    """The inverse of :func:`browse_paths` for one key (``None`` for a malformed key)."""
    parts = key.split(PATH_SEP)
    if len(parts) != 6 or not parts[0].isdigit():
        return None
    volume = int(parts[3]) if parts[3].isdigit() else 0
    return int(parts[0]), parts[1], parts[2], volume, parts[4], parts[5]


def did_you_mean(tokens: Sequence[str], corrections: dict[str, str]) -> str | None:
    """The query text with corrected words replaced, or None when nothing was corrected."""
    if not corrections:
        return None
    return " ".join(corrections.get(t, t) for t in tokens)
