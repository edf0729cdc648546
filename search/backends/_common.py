"""Helpers shared by the search backends (HTML snippets, typo suggestions, completions)."""

from __future__ import annotations

import html
import itertools
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from repository.text import fold, merge_i_y, nfc
from repository.vocabularies import load_vocabularies
from search.query import FUZZY_MIN_CHARS, ParsedQuery, Suggestion, did_you_mean, spellings, words
from search.vietnamese import normalize_tone_placement

SNIPPET_CHARS = 200

# Ranking shared by both backends, so the embedded engine and OpenSearch weigh alike.
# (folded field, weight). The exact twin is "<field>_x".
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 6.0),
    ("lesson", 4.0),
    ("kw", 3.0),
    ("desc", 2.0),
    ("body", 1.0),
)
# When the query carries accents, an exact-accent match adds this multiple of the field weight on
# top of the folded match, so "mã" ranks docs with "mã" above docs with "ma"/"má" (tones change
# meaning) while the folded ones still match.
EXACT_FACTOR = 2.0
PAIR_WEIGHTS = (("pairs_t", 4.0), ("pairs_b", 2.0))
ALIAS_SCORE = 4.0
# What a material *of* the grade/subject a query names ("toán lớp 5") scores for that span, in
# place of its words: (1 + EXACT_FACTOR) times ALIAS_SCORE, as much as the words typed with accents
# score, so curriculum materials rank above texts that merely mention "toán" and "lớp", with or
# without accents (bench/search_relevance.py: subject-grade MRR 0.65 → 0.70 accent-free).
CURRICULUM_SCORE = ALIAS_SCORE * (1.0 + EXACT_FACTOR)
FUZZY_WEIGHT = 0.5
# A question word or particle ("ai", "gì", "đâu": search.query.QUESTION_WORDS) scores this share
# of an ordinary word: it may tip a tie, never outweigh a word that names the topic.
QUESTION_WEIGHT = 0.1
# Score per unit of IDF for covering a query word anywhere in a material (see the backends'
# coverage clauses): large enough that covering one more distinct word of the query outranks
# matching the same words more often or in a heavier field.
# (bench/search_relevance.py, questions accent-free: 30 → 0.82, 60 → 0.84, 120 → 0.84, 400 →
# 0.83; subject-grade 0.61 → 0.86 from 30 to 120.)
COVERAGE_SCORE = 120.0
# Covering an adjacent pair of query words ("bảo lưu", "dân số") in that order scores this share
# of what covering a word as rare as the pair scores: word order, without a phrase requirement.
PAIR_COVERAGE = 0.5
# Best-matching pages listed per hit, and values per facet.
PAGES_PER_HIT = 3
FACET_SIZE = 100
# A query with more matches than this has its facets counted on its top this-many candidates
# (``SearchResult.facets_approximate``), not on every match. 0: always count every match.
FACET_SAMPLE = 1_000
# ... when one of its words alone is in more than this many materials (a query that broad has
# at least this many matches). Below it, counting every match costs less than collecting the
# sample: bench/search_cost.py at 30 000 materials measured sampling at about 3 ms more CPU
# than counting 10-30 000 matches, so the break-even is extrapolated to about 100 000 matches
# (exhaustive counting grows with the matches, the sample does not); not measured at 1M.
FACET_BROAD = 100_000
# OpenSearch counts matches exactly up to this many, then reports "at least"
# (``SearchResult.total_approximate``).
TOTAL_BOUND = 10_000
# Materials with equal scores are ordered by a stable key, not by where the index happens to
# hold them; when a page's cut falls inside such a group, up to this many candidates are
# collected to choose from (beyond it, a huge tie like every grade-5 maths material of a
# national index keeps the engine's order past the first TIE_CAP).
TIE_CAP = 1_000


#: What a query word scores in its other i/y spelling, against the spelling typed (1): a text
#: in either spelling is found, one written as the query is preferred (as exact accents are).
TWIN_WEIGHT = 0.5
#: Spellings of a phrase tried at most (each of its words in either i/y spelling: "học kì" and
#: "học kỳ"); a phrase with more alternating words keeps the first ones' combinations.
MAX_PHRASE_SPELLINGS = 8


def phrase_spellings(words: Sequence[str]) -> list[tuple[str, ...]]:
    """The phrase ``words`` in every combination of its words' :func:`spellings` (at most
    :data:`MAX_PHRASE_SPELLINGS`, the phrase as typed first)."""
    return list(itertools.islice(itertools.product(*(spellings(w) for w in words)), MAX_PHRASE_SPELLINGS))


def mark(fragment: str, ranges: Sequence[tuple[int, int]]) -> str:
    """Escape ``fragment`` and wrap the byte ``ranges`` (Tantivy reports UTF-8 offsets) in <mark>."""
    raw = fragment.encode("utf-8")
    out: list[str] = []
    pos = 0
    for start, end in sorted(ranges):
        if start < pos:
            continue
        out.append(html.escape(raw[pos:start].decode("utf-8", "replace")))
        out.append("<mark>" + html.escape(raw[start:end].decode("utf-8", "replace")) + "</mark>")
        pos = end
    out.append(html.escape(raw[pos:].decode("utf-8", "replace")))
    return "".join(out)


def highlight_filter(parsed: ParsedQuery | None) -> Callable[[str], bool] | None:
    """Which matched words a snippet may mark, or None for all of them.

    The engines match folded words, so "phân số" also matches "phần" and "So". When the query
    carries accents, a word typed with accents is only marked where the text has those accents;
    a word typed without them ("5", "lop") is marked however the text writes it.
    """
    if parsed is None or not parsed.has_marks:
        return None
    # Each word in both its i/y spellings, once per search rather than once per marked word.
    exact = {s for t in parsed.tokens if t.exact != t.folded for s in spellings(t.exact)}
    loose = {s for t in parsed.tokens if t.exact == t.folded for s in spellings(t.folded)}

    def keep(word: str) -> bool:
        w = normalize_tone_placement(nfc(word).lower())
        return w in exact or fold(w) in loose

    return keep


def plain(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit] + "…"
    return html.escape(text)


def edit1(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by exactly one edit (or one adjacent transposition)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def contains_prefix(text: str, folded: list[str]) -> bool:
    """True when ``text`` holds the words ``folded[:-1]`` followed by a word starting with the
    last, each word in either of its i/y :func:`~search.query.spellings`."""
    ws = [fold(w) for w in words(text)]
    merged = [merge_i_y(w) for w in ws]
    whole = [merge_i_y(w) for w in folded[:-1]]
    last = spellings(folded[-1])
    n = len(folded)
    for i in range(len(ws) - n + 1):
        if merged[i : i + n - 1] == whole and ws[i + n - 1].startswith(last):
            return True
    return False


#: ``candidates(field, folded, limit)``: public materials, most popular first, whose ``field``
#: (``title`` or ``lesson``) holds the words ``folded[:-1]`` and a word starting with the last;
#: as ``(material id, its display data)``.
Candidates = Callable[[str, list[str], int], Iterable[tuple[str, dict[str, Any]]]]


def suggestion_key(prefix: str, size: int) -> Hashable:
    """All that :func:`suggestions` reads of its arguments: two prefixes with the same key get
    the same completions from the same index (a cache key, with the index revision)."""
    return tuple(fold(t) for t in words(nfc(prefix))[:8]), min(size, 50)


def suggestions(
    prefix: str, size: int, candidates: Candidates, has_subject: Callable[[str], bool]
) -> list[Suggestion]:
    """Completions of ``prefix``: titles, then lessons/chapters (those starting with the prefix
    first, each text once), then subjects whose label or code starts with it and that have a
    public material (``has_subject``). The engines only answer ``candidates`` and ``has_subject``."""
    toks = words(nfc(prefix))[:8]
    if not toks or size < 1:
        return []
    size = min(size, 50)
    folded = [fold(t) for t in toks]
    want = " ".join(folded)
    # "vat ly" completes to "Vật lí" and the other way round (a last word still being typed is
    # not changed: "l" is no spelling of anything).
    merged = merge_i_y(want)
    out: list[Suggestion] = []
    seen: set[str] = set()
    for field, kind in (("title", "title"), ("lesson", "lesson")):
        ranked: list[tuple[int, Suggestion]] = []
        for ident, data in candidates(field, folded, size * 3):
            texts = [data.get("title", "")]
            if kind == "lesson":
                texts = [data.get("lesson", ""), data.get("chapter", "")]
            for text in texts:
                if not text or fold(text) in seen or not contains_prefix(text, folded):
                    continue
                seen.add(fold(text))
                first = merge_i_y(fold(text)).startswith(merged)
                ranked.append((0 if first else 1, Suggestion(text, kind, id=ident)))
        out += [s for _, s in sorted(ranked, key=lambda r: r[0])]
    for code, label in subject_labels().items():
        named = merge_i_y(fold(label)).startswith(merged) or merge_i_y(code.replace("-", " ")).startswith(
            merged
        )
        if named and has_subject(code):
            out.append(Suggestion(label, "subject", value=code))
    return out[:size]


def subject_labels() -> dict[str, str]:
    """Subject code → Vietnamese label, from the vocabularies (the source of truth)."""
    return {t.code: t.label_vi for t in load_vocabularies()["subject"].terms}


def correction(texts: Iterable[str], parsed: ParsedQuery) -> str | None:
    """A "did you mean" for ``parsed``: each long query word that appears in none of ``texts``
    (the words of the best fuzzy hits, all public) is replaced by the most frequent word of
    ``texts`` one edit away, in its accented form."""
    candidates: Counter[str] = Counter()
    originals: dict[str, str] = {}
    for text in texts:
        for w in words(text):
            f = fold(w)
            candidates[f] += 1
            originals.setdefault(f, w)
    corrections: dict[str, str] = {}
    accents: dict[str, str] = {}
    for tok in parsed.tokens:
        if tok.folded in candidates:
            # Words typed without accents are shown with them ("trinh" → "trình").
            if tok.exact == tok.folded:
                accents[tok.exact] = originals[tok.folded].lower()
            continue
        if len(tok.folded) < FUZZY_MIN_CHARS:
            continue
        near = [(n, c) for c, n in candidates.items() if edit1(tok.folded, c)]
        if near:
            corrections[tok.exact] = originals[max(near)[1]].lower()
    if not corrections:
        return None
    return did_you_mean([t.exact for t in parsed.tokens], {**accents, **corrections})
