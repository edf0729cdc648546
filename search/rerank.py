"""Second-stage ranking: where in a material the query's words are, not only whether it has them.

The engines' first stage (see ``search.backends``) ranks by IDF-weighted *coverage*: how much of
the query a material holds anywhere, then field-weighted BM25. Coverage "anywhere" favours long
texts: a 400-word OCR page of a textbook holds most common words of a question somewhere, and
the short passage that answers it holds them in one sentence. This stage re-scores the first
stage's best :data:`DEPTH` candidates, the same way on every backend, with generic passage
signals computed from the candidates' own text:

* **window coverage**: the weighted share of the query's distinct words found together in the
  best window of :data:`WINDOW` consecutive words (a question is answered in one place);
* **saturated term frequency**: BM25's term-frequency saturation with length normalisation
  (k1 = 1.2, b = 0.75) against the candidates' mean length, so a word repeated in a short text
  counts more than once in a long one, but never without bound;
* minus the **coverage anywhere**, so words that are merely somewhere in a long text weigh less
  than words found together;
* each of those three twice: with the words weighed by their IDF over the index, and by that
  times their IDF *among the candidates* (:func:`pool_weights`): a word every candidate holds
  ("sinh viên" among regulation passages) does not tell them apart, however rare it is in the
  index;
* **title coverage**: the share of the query's weight the title line holds;
* **pairs**: the query's adjacent word pairs found side by side in the text (the title's last
  word and the body's first are not), each worth its *rarer* word, so a pair of common
  words ("tên đầy đủ") is evidence of order, not a topic the way the index's pair IDF makes it;
* **verbatim run**: the share of the query's weight in its longest part found word for word.

When a candidate's title holds every word of the query, the search is a known-item one that the
first stage's field weights answer, and nothing is re-scored (:func:`second_stage`).

All of it is scaled to the first stage's units (``COVERAGE_SCORE`` per unit of IDF) and added
to its score. Question words weigh :data:`~search.backends._common.QUESTION_WEIGHT` as
everywhere; a word typed with accents counts half where the text has other accents; belonging
to the grade or subject a curriculum alias names ("toán lớp 5") counts as those words in every
window. The signals and weights came from coordinate ascent on MRR@10 over the *training*
questions of ``05_vietnamese_questions`` together with title and passage queries drawn with
another seed than the benchmark's; the held-out test questions and the benchmark's own title
and passage queries then judged them (``bench/README.md``, "Relevance, session 4").

Positions beyond :data:`DEPTH` keep the first stage's order, so paging stays consistent: a page
never shows a material another page already showed.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import cast

from repository.text import merge_i_y
from search.query import WORD_RUNS, ParsedQuery, bm25_idf, fast_fold
from search.vietnamese import normalize_tone_placement

#: Candidates re-scored per search (the first stage's top results).
DEPTH = 20
#: Words in the window that window coverage looks for the query in.
WINDOW = 10
#: Weights of the signals in units of first-stage coverage (see the module docstring), with
#: the words weighed by their IDF over the index, then (``POOL_*``) by that IDF times their IDF
#: among the candidates themselves.
WINDOW_WEIGHT = 1.6
DENSITY_WEIGHT = 0.65
ANYWHERE_WEIGHT = 0.6
POOL_WINDOW_WEIGHT = 2.35
POOL_DENSITY_WEIGHT = 1.75
POOL_ANYWHERE_WEIGHT = 2.0
#: Weight of the share of the query's weight that the title (the text's first line) holds.
TITLE_WEIGHT = 3.5
#: Weight of the query's adjacent word pairs found side by side in the text, each worth the
#: weight of the rarer of its two words.
PAIR_WEIGHT = 4.95
#: Weight of the share of the query's weight in its longest run found verbatim (in order,
#: side by side) in the text.
RUN_WEIGHT = 2.25
#: Characters of each candidate's text read: two or three pages of a textbook. Reading them
#: costs ~0.25 ms per 1 000 characters, for each of the DEPTH candidates: with 20 000 a search
#: whose candidates were books spent ~100 ms here (the relevance benchmark's texts are shorter
#: than 5 000 characters and ranked the same with 5 000 and 20 000).
TEXT_CHARS = 6_000
K1 = 1.2
B = 0.75

#: Stands between the title and the body (never a query word).
BREAK = ""

#: Distinct whitespace-separated tokens whose words are remembered (:func:`text_words`); the
#: memory starts over beyond it. Vietnamese texts repeat a few thousand syllables.
TOKENS_KEPT = 200_000
#: Longer tokens are read each time, not remembered (a word and its punctuation are shorter).
TOKEN_CHARS_KEPT = 48
#: Characters that end a sentence when they end a token: the next word's capital is the
#: sentence's, not a name's (:func:`spelled_words`).
SENTENCE_ENDS = frozenset(".?!:…")
#: A token's folded words; its accented words in lowercase, or None when folding cuts them
#: otherwise; and the same with their capitals, the last one followed by the token's last
#: character when that is punctuation (the next word is not its neighbour; after one of
#: :data:`SENTENCE_ENDS` it begins a sentence). The last two are the folded
#: words when folding cuts them otherwise (the second is the accented words or None, the
#: third the same or the folded words). See :func:`_forms`.
_Forms = tuple[tuple[str, ...], tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]
_token_forms: dict[str, _Forms] = {}


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
                word = merge_i_y(tok.folded)
                out[word] = max(out.get(word, 0.0), weight)
                if tok.exact != tok.folded:
                    exact[word] = tok.exact
    return out, exact


def text_words(text: str, exact: dict[str, str] | None = None) -> list[str]:
    """The folded words of ``text`` (its first :data:`TEXT_CHARS` characters), as indexed,
    each in its "i" spelling where it has an i/y twin ("ky" → "ki": ``merge_i_y``).

    With ``exact`` (folded → accented query word), a word written with other accents than the
    query's becomes ``"~" + folded``: it counts half (:func:`_weigh`), as in first-stage coverage.
    """
    text = text[:TEXT_CHARS]
    forms = _read(text.split())
    folded = list(itertools.chain.from_iterable(map(operator.itemgetter(0), forms)))
    if not exact:
        return folded
    parts = list(map(operator.itemgetter(1), forms))
    if None in parts:  # a character folding changed the word boundaries
        return _whole_text_words(text, exact)
    return _marked(folded, itertools.chain.from_iterable(cast(list[tuple[str, ...]], parts)), exact)


def spelled_words(text: str) -> tuple[list[str], list[str], list[str]]:
    """The words of ``text`` (its first :data:`TEXT_CHARS` characters) folded as
    :func:`text_words` folds them, and side by side with them the same words accented, in
    lowercase and the index's tone placement (``search.accents.Local``), then accented with
    the capitals the text gives them, a word followed by punctuation keeping its last mark (a
    word after one of :data:`SENTENCE_ENDS` begins a sentence); a token whose folding cuts its
    words otherwise keeps its folded words there. Read through the same memory of tokens as
    :func:`text_words` (which has usually just read the same text)."""
    # A line's last word ends a sentence too (a title's, before the body's first word).
    forms = _read(text[:TEXT_CHARS].replace("\n", ".\n").split())
    folded = list(itertools.chain.from_iterable(map(operator.itemgetter(0), forms)))
    accented = list(itertools.chain.from_iterable(map(operator.itemgetter(2), forms)))
    cased = list(itertools.chain.from_iterable(map(operator.itemgetter(3), forms)))
    return folded, accented, cased


def _read(tokens: list[str]) -> list[_Forms]:
    """Each token's :func:`_forms`, from the memory of tokens. Read token by token (whitespace
    never joins two words): folding and cutting a whole text each time cost ~2 ms per 6 000
    characters, most of a question's second stage. The lookups run in one ``map``; only a
    text with a token not met before goes through them one by one (measured on 97 questions'
    candidates at 1M: 20 candidates' words 2.3 → 1.4 ms)."""
    remembered = list(map(_token_forms.get, tokens))
    if None in remembered:  # tokens not met before (or too long to remember): read them now
        return [f or _forms(t) for f, t in zip(remembered, tokens, strict=True)]
    return cast(list[_Forms], remembered)


def _forms(token: str) -> _Forms:
    """A token's folded words and, when they cut the same, its accented words, in lowercase
    and as written when it has capitals (remembered)."""
    folded = tuple(WORD_RUNS.findall(merge_i_y(fast_fold(token))))
    lower = token.lower()
    accented = tuple(WORD_RUNS.findall(normalize_tone_placement(lower)))
    same = len(accented) == len(folded)
    cased = accented if same else folded
    if same and accented and (token != lower or not token[-1].isalnum()):
        written = tuple(WORD_RUNS.findall(normalize_tone_placement(token)))
        if len(written) == len(folded):
            # A last word followed by punctuation keeps it: the next word is not its neighbour.
            cased = (*written[:-1], written[-1] + token[-1]) if not token[-1].isalnum() else written
    forms = (folded, accented if same else None, accented if same else folded, cased)
    if len(token) <= TOKEN_CHARS_KEPT:  # a hostile text's long tokens would fill the memory
        if len(_token_forms) >= TOKENS_KEPT:
            _token_forms.clear()
        _token_forms[token] = forms
    return forms


def _whole_text_words(text: str, exact: dict[str, str]) -> list[str]:
    """:func:`text_words` of a text some of whose characters fold into other word boundaries:
    folded and cut as a whole (its accents count where the cuts agree)."""
    folded = WORD_RUNS.findall(merge_i_y(fast_fold(text)))
    accented = WORD_RUNS.findall(normalize_tone_placement(text.lower()))
    if len(accented) != len(folded):
        return folded
    return _marked(folded, accented, exact)


def _marked(folded: list[str], accented: Iterable[str], exact: dict[str, str]) -> list[str]:
    """``folded``, each query word written with other accents than the query's (``accented``,
    word for word) as ``"~" + folded``."""
    return [f if f not in exact or a == exact[f] else "~" + f for f, a in zip(folded, accented, strict=True)]


def candidate_words(text: str, exact: dict[str, str] | None = None) -> list[str]:
    """:func:`text_words` of a candidate's text, with :data:`BREAK` between its title line and
    the rest: the last word of a title and the first of the body are not side by side."""
    title, _, rest = text.partition("\n")
    return [*text_words(title, exact), BREAK, *text_words(rest, exact)]


def _weigh(weights: dict[str, float]) -> dict[str, float]:
    # "~word": the word with other accents than the query's, worth half.
    return {**weights, **{"~" + w: v / 2 for w, v in weights.items()}}


def _positions(weights: dict[str, float], ws: Sequence[str]) -> list[tuple[int, str]]:
    return [(i, w) for i, w in enumerate(ws) if w in weights]


def _window(weights: dict[str, float], hits: list[tuple[int, str]], window: int) -> float:
    inside: dict[str, int] = {}
    current = best = 0.0
    start = 0
    for pos, word in hits:
        n = inside.get(word, 0)
        if n == 0:
            current += weights[word]
        inside[word] = n + 1
        while hits[start][0] <= pos - window:
            old = hits[start][1]
            left = inside[old] - 1
            inside[old] = left
            if left == 0:
                current -= weights[old]
            start += 1
        if current > best:
            best = current
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


def pool_weights(weights: dict[str, float], tokenised: Sequence[Sequence[str]]) -> dict[str, float]:
    """``weights`` times each word's IDF among the candidates (BM25's formula over the
    candidate texts): a word that every candidate holds ("sinh viên" among regulations) tells
    them apart no better than a particle, however rare it is in the whole index."""
    n = len(tokenised)
    df: Counter[str] = Counter()
    for ws in tokenised:
        df.update({w.lstrip("~") for w in ws if w.lstrip("~") in weights})
    return {w: v * bm25_idf(n, df[w]) for w, v in weights.items()}


def query_pairs(parsed: ParsedQuery, weights: dict[str, float]) -> dict[tuple[str, str], float]:
    """The query's adjacent word pairs (folded), outside aliases and question words, each
    weighted by the rarer word's weight: a pair of common words ("tên đầy đủ") is evidence of
    word order, not of a topic."""
    toks = [t for c in parsed.clauses if c.kind != "alias" for t in c.tokens]
    out = {}
    for a, b in itertools.pairwise(toks):
        if not (a.question or b.question):
            pair = (merge_i_y(a.folded), merge_i_y(b.folded))
            out[pair] = min(weights.get(pair[0], 0.0), weights.get(pair[1], 0.0))
    return out


def pair_coverage(pairs: dict[tuple[str, str], float], hits: list[tuple[int, str]]) -> float:
    """Sum of the weights of the distinct query ``pairs`` found side by side among ``hits``."""
    seen: set[tuple[str, str]] = set()
    for (p1, w1), (p2, w2) in itertools.pairwise(hits):
        pair = (w1.lstrip("~"), w2.lstrip("~"))
        if p2 == p1 + 1 and pair in pairs:
            seen.add(pair)
    return sum(pairs[p] for p in seen)


def run_coverage(
    adjacent: set[tuple[str, str]], weights: dict[str, float], hits: list[tuple[int, str]]
) -> float:
    """The largest sum of weights of distinct words in a run of ``hits`` at consecutive
    positions where each word follows the one before it in the query (``adjacent``): the
    longest part of the query the text holds verbatim."""
    best = current = 0.0
    inside: set[str] = set()
    previous: tuple[int, str] | None = None
    for pos, word in hits:
        bare = word.lstrip("~")
        if previous is not None and pos == previous[0] + 1 and (previous[1], bare) in adjacent:
            if bare not in inside:
                current += weights[word]
                inside.add(bare)
        else:
            inside, current = {bare}, weights[word]
        best = max(best, current)
        previous = (pos, bare)
    return best


@dataclass(frozen=True)
class Rescored:
    """What the second stage adds to each candidate's first-stage score (``extra``, all zeros
    when it re-scored nothing), and whether the search is a known-item one (:attr:`known_item`).
    ``titled``: a candidate's title holds every word of the query; ``words`` and ``quoted``: the
    candidates' words and the query's, for the word-for-word check, made only when asked."""

    extra: list[float]
    titled: bool = False
    words: Sequence[list[str]] = ()
    quoted: Sequence[str] = ()

    def reordered(self, order: Sequence[int]) -> Rescored:
        """The same candidates in another ``order`` (each one's place here, as :func:`reordered`
        gives it): what the stage adds to each depends on which candidates they are, not on
        their order, so it holds."""
        return replace(
            self,
            extra=[self.extra[i] for i in order],
            words=[self.words[i] for i in order] if self.words else self.words,
        )

    @functools.cached_property
    def known_item(self) -> bool:
        """A candidate's title holds every word of the query, or its text holds the whole query
        word for word (someone looking a text up by a sentence of it). The meaning of such a
        query says nothing its words do not (``search.semantic`` leaves it alone); only that
        stage asks, so other searches never pay for the scan."""
        return self.titled or any(holds(ws, self.quoted) for ws in self.words)


def reordered(before: Sequence[Hashable], after: Sequence[Hashable]) -> list[int] | None:
    """Where each candidate of ``after`` stands in ``before`` (both by identity), when they are
    the same candidates in another order (a respelled search whose top stayed); None when
    others came up, which the stage must score afresh (:meth:`Rescored.reordered`)."""
    at = {key: i for i, key in enumerate(before)}
    if set(after) != at.keys():
        return None
    return [at[key] for key in after]


def second_stage(
    parsed: ParsedQuery,
    idf: dict[str, float],
    texts: Sequence[str],
    curricula: Sequence[tuple[Sequence[int], Sequence[str]]],
    *,
    unit: float,
    question_weight: float,
) -> Rescored:
    """Score to add to each candidate's first-stage score (``texts`` and their ``curricula``,
    ``(grades, subjects)``, in candidate order). Each text starts with the material's title
    line (both backends put the title first).

    ``unit`` is the first stage's score per unit of IDF (``COVERAGE_SCORE``). Adds zeros when
    the query has no word for this stage (only aliases, only question words unknown to the index).
    """
    plain, exact = query_weights(parsed, idf, question_weight)
    if not plain or not texts:
        return Rescored([0.0] * len(texts))
    marks = exact if parsed.has_marks else None
    weights = _weigh(plain)
    total = sum(plain.values())
    titles = [
        sum(weights[w] for w in set(text_words(t.split("\n", 1)[0], marks)) if w in weights) for t in texts
    ]
    if max(titles) >= total * (1.0 - 1e-9):
        # A title holds every word of the query: a known-item search, which the first stage's
        # field weights already answer (among near-identical exam questions, passage signals
        # only reshuffle them).
        return Rescored([0.0] * len(texts), titled=True)
    tokenised = [candidate_words(t, marks) for t in texts]
    # One pass over each text: where the query's words are; everything else works on those.
    found = [_positions(weights, ws) for ws in tokenised]
    pooled = _weigh(pool_weights(plain, [[w for _i, w in hits] for hits in found]))
    pairs = query_pairs(parsed, plain)
    toks = [merge_i_y(t.folded) for c in parsed.clauses if c.kind != "alias" for t in c.tokens]
    adjacent = set(itertools.pairwise(toks))
    lengths = [len(ws) - ws.count(BREAK) for ws in tokenised]
    mean_length = sum(lengths) / len(lengths)
    extra = []
    for title, hits, length, curriculum in zip(titles, found, lengths, curricula, strict=True):
        counts = Counter(w for _i, w in hits)
        # Belonging to the grade/subject the query names counts in every window, both ways.
        credit = alias_credit(parsed, idf, *curriculum)
        extra.append(
            unit
            * (
                WINDOW_WEIGHT * (_window(weights, hits, WINDOW) + credit)
                + DENSITY_WEIGHT * _saturated(weights, counts, length, mean_length)
                - ANYWHERE_WEIGHT * sum(weights[w] for w in counts)
                + POOL_WINDOW_WEIGHT * (_window(pooled, hits, WINDOW) + credit)
                + POOL_DENSITY_WEIGHT * _saturated(pooled, counts, length, mean_length)
                - POOL_ANYWHERE_WEIGHT * sum(pooled[w] for w in counts)
                + TITLE_WEIGHT * title / total
                + PAIR_WEIGHT * pair_coverage(pairs, hits)
                + RUN_WEIGHT * run_coverage(adjacent, weights, hits) / total
            )
        )
    # Shifted to start at 0: every re-scored candidate stays at or above its first-stage score,
    # so above every candidate beyond DEPTH, and one ordering by score holds on every page.
    low = min(extra)
    quoted = [merge_i_y(t.folded) for t in parsed.tokens]
    return Rescored([e - low for e in extra], words=tokenised, quoted=quoted)


def holds(ws: list[str], quoted: Sequence[str]) -> bool:
    """Whether the words ``ws`` (a candidate's, from :func:`candidate_words`) hold ``quoted``
    word for word, side by side (accents aside)."""
    k = len(quoted)
    if not k:
        return False
    target = list(quoted)
    # The first word is looked for by list.index (a C scan), written as typed or "~" + it.
    for first in (target[0], "~" + target[0]):
        start = 0
        while True:
            try:
                i = ws.index(first, start)
            except ValueError:
                break
            if [x.lstrip("~") for x in ws[i : i + k]] == target:
                return True
            start = i + 1
    return False


def applies(parsed: ParsedQuery, sort: str, offset: int, depth: int = DEPTH) -> bool:
    """Whether a search is re-ranked: by relevance, with words that are not only curriculum
    aliases, on a page starting in the top ``depth`` (the candidates re-scored: :data:`DEPTH`,
    or ``search.semantic.DEPTH`` for a question)."""
    words = any(c.kind != "alias" for c in parsed.clauses)
    return sort == "relevance" and words and offset < depth
