"""Second-stage ranking: where in a material the query's words are, not only whether it has them.

The engines' first stage (see ``search.backends``) ranks by IDF-weighted *coverage*: how much of
the query a material holds anywhere, then field-weighted BM25. Coverage "anywhere" favours long
texts: a 400-word OCR page of a textbook holds most common words of a question somewhere, and
the short passage that answers it holds them in one sentence. This stage re-scores the first
stage's best :data:`DEPTH` candidates, the same way on every backend, with two generic passage
signals computed from the candidates' own text:

* **window coverage**: the IDF-weighted share of the query's distinct words found together in
  the best window of :data:`WINDOW` consecutive words (a question is answered in one place);
* **saturated term frequency**: BM25's term-frequency saturation with length normalisation
  (k1 = 1.2, b = 0.75) against the candidates' mean length, IDF-weighted, so a word repeated in
  a short text counts more than once in a long one, but never without bound.

and it takes back half of the first stage's "anywhere" coverage (:data:`ANYWHERE_WEIGHT`), so
words that are merely somewhere in a long text weigh less than words found together.

All of it is scaled to the first stage's units (``COVERAGE_SCORE`` per unit of IDF) and added
to its score. Question words weigh :data:`~search.backends._common.QUESTION_WEIGHT` as
everywhere; a word typed with accents counts half where the text has other accents; curriculum
aliases ("toán lớp 5") are left to the first stage, which already credits belonging to the grade
or subject. Which signals and roughly what weights came from a fit on the *training* questions of
``05_vietnamese_questions`` (coordinate ascent on MRR@10; the held-out test questions scored as
the training ones: 0.88 against 0.88), then whole-benchmark runs chose among a few rounded
settings that keep the title and passage kinds (``bench/README.md``).

Positions beyond :data:`DEPTH` keep the first stage's order, so paging stays consistent: a page
never shows a material another page already showed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from search.query import ParsedQuery, fast_fold
from search.vietnamese import normalize_tone_placement

#: Candidates re-scored per search (the first stage's top results).
DEPTH = 20
#: Words in the window that window coverage looks for the query in.
WINDOW = 10
#: Weights of the signals in units of first-stage coverage (see the module docstring).
WINDOW_WEIGHT = 1.7
DENSITY_WEIGHT = 0.5
ANYWHERE_WEIGHT = 0.5
#: Characters of each candidate's text read (a 300-page book's body is not scanned whole).
TEXT_CHARS = 20_000
K1 = 1.2
B = 0.75

_WORDS = re.compile(r"[^\W_]+")


def query_weights(
    parsed: ParsedQuery, idf: dict[str, float], question_weight: float
) -> tuple[dict[str, float], dict[str, str]]:
    """IDF weight of each distinct folded word the second stage looks for, and the accented
    form of the words typed with accents (folded → exact).

    Words of curriculum aliases are left out (the first stage scores belonging to the grade and
    subject), question words weigh ``question_weight`` of an ordinary word.
    """
    out: dict[str, float] = {}
    exact: dict[str, str] = {}
    for clause in parsed.clauses:
        if clause.kind == "alias":
            continue
        for tok in clause.tokens:
            weight = idf.get(tok.folded, 0.0) * (question_weight if tok.question else 1.0)
            if weight > 0:
                out[tok.folded] = max(out.get(tok.folded, 0.0), weight)
                if tok.exact != tok.folded:
                    exact[tok.folded] = tok.exact
    return out, exact


def text_words(text: str, exact: dict[str, str] | None = None) -> list[str]:
    """The folded words of ``text`` (its first :data:`TEXT_CHARS` characters), as indexed.

    With ``exact`` (folded → accented query word), a word written with other accents than the
    query's becomes ``"~" + folded``: it counts half (:func:`_weigh`), as in first-stage coverage.
    """
    text = text[:TEXT_CHARS]
    folded = _WORDS.findall(fast_fold(text))
    if not exact:
        return folded
    accented = _WORDS.findall(normalize_tone_placement(text.lower()))
    if len(accented) != len(folded):  # a character folding changed the word boundaries
        return folded
    return [f if f not in exact or a == exact[f] else "~" + f for f, a in zip(folded, accented, strict=True)]


def _weigh(weights: dict[str, float]) -> dict[str, float]:
    # "~word": the word with other accents than the query's, worth half.
    return {**weights, **{"~" + w: v / 2 for w, v in weights.items()}}


def _positions(weights: dict[str, float], ws: Sequence[str]) -> list[tuple[int, str]]:
    return [(i, w) for i, w in enumerate(ws) if w in weights]


def _window(weights: dict[str, float], hits: list[tuple[int, str]], window: int) -> float:
    inside: Counter[str] = Counter()
    current = best = 0.0
    start = 0
    for pos, word in hits:
        if inside[word] == 0:
            current += weights[word]
        inside[word] += 1
        while hits[start][0] <= pos - window:
            old = hits[start][1]
            inside[old] -= 1
            if inside[old] == 0:
                current -= weights[old]
            start += 1
        best = max(best, current)
    return best


def _saturated(weights: dict[str, float], counts: Counter[str], length: int, mean_length: float) -> float:
    norm = K1 * (1.0 - B + B * length / max(mean_length, 1.0))
    return sum(weights[w] * n * (K1 + 1.0) / (n + norm) for w, n in counts.items())


def window_coverage(weights: dict[str, float], ws: Sequence[str], window: int | None = None) -> float:
    """The largest sum of weights of distinct query words within ``window`` (default
    :data:`WINDOW`) consecutive words."""
    return _window(weights, _positions(weights, ws), window or WINDOW)


def saturated_tf(weights: dict[str, float], ws: Sequence[str], mean_length: float) -> float:
    """BM25's weighted term-frequency part of ``ws`` for the query words (k1 = 1.2, b = 0.75)."""
    return _saturated(weights, Counter(w for _i, w in _positions(weights, ws)), len(ws), mean_length)


def alias_credit(
    parsed: ParsedQuery, idf: dict[str, float], grades: Sequence[int], subjects: Sequence[str]
) -> float:
    """What belonging to the grades/subjects the query names is worth: the IDF of each alias
    span ("toán", "lớp 5") the material belongs to, as if those words were in every window."""
    credit = 0.0
    for clause in parsed.clauses:
        if clause.kind == "alias" and (
            set(clause.grades) & set(grades) or set(clause.subjects) & set(subjects)
        ):
            credit += max(sum(idf.get(t.folded, 0.0) for t in clause.tokens), 1.0)
    return credit


def second_stage(
    parsed: ParsedQuery,
    idf: dict[str, float],
    texts: Sequence[str],
    curricula: Sequence[tuple[Sequence[int], Sequence[str]]],
    *,
    unit: float,
    question_weight: float,
) -> list[float]:
    """Score to add to each candidate's first-stage score (``texts`` and their ``curricula``,
    ``(grades, subjects)``, in candidate order).

    ``unit`` is the first stage's score per unit of IDF (``COVERAGE_SCORE``). Returns zeros when
    the query has no word for this stage (only aliases, only question words unknown to the index).
    """
    weights, exact = query_weights(parsed, idf, question_weight)
    if not weights or not texts:
        return [0.0] * len(texts)
    tokenised = [text_words(t, exact if parsed.has_marks else None) for t in texts]
    weights = _weigh(weights)
    mean_length = sum(len(ws) for ws in tokenised) / len(tokenised)
    extra = []
    for ws, curriculum in zip(tokenised, curricula, strict=True):
        # One pass over the text: where the query's words are; the rest works on those.
        hits = _positions(weights, ws)
        counts = Counter(w for _i, w in hits)
        extra.append(
            unit
            * (
                WINDOW_WEIGHT * (_window(weights, hits, WINDOW) + alias_credit(parsed, idf, *curriculum))
                + DENSITY_WEIGHT * _saturated(weights, counts, len(ws), mean_length)
                - ANYWHERE_WEIGHT * sum(weights[w] for w in counts)
            )
        )
    # Shifted to start at 0: every re-scored candidate stays at or above its first-stage score,
    # so above every candidate beyond DEPTH, and one ordering by score holds on every page.
    low = min(extra)
    return [e - low for e in extra]


def applies(parsed: ParsedQuery, sort: str, offset: int) -> bool:
    """Whether a search is re-ranked: by relevance, with words that are not only curriculum
    aliases, on a page starting in the top."""
    words = any(c.kind != "alias" for c in parsed.clauses)
    return sort == "relevance" and words and offset < DEPTH
