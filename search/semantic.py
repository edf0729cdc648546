"""A third stage for questions: what the question and each candidate *mean*.

The lexical stages (the engines' first pass, ``search.rerank``) plateau near MRR@10 0.88 on real
questions: what they miss is mostly a paragraph next to the answer that shares its words, or an
answer that says the question's words differently. A multilingual sentence encoder
(``repository.vectors``) reads both texts as meaning; its cosine, added to the lexical score of
the top candidates, reorders them (``bench/README.md``, "Session 12").

It runs on searches of :data:`MIN_WORDS` words or more (:func:`applies`) where the second stage
re-scored and found no known item (a title holding every word, or a text holding the whole query
word for word, keeps the lexical order), on the top :data:`DEPTH` (deeper than the other
searches' second stage). A search that reads as a question (:func:`questioning`: a question word
or mark) has its vector encoded while the first stages run (typed without accents: from when
its first candidates are read); any other has it encoded only when no known item answers it, so
a long title looked up by name never pays for an encoding. A query typed without accents is
first given them back (``search.accents``): the encoder reads unaccented Vietnamese badly. Its
candidates' texts then help (:class:`Meaning`), with the capitals of its names too, and before
that they give the engines' first stage the accents to rank by (:func:`respelled`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from repository import vectors as _vectors
from repository.text import fold
from search.accents import Local
from search.query import WORD_RUNS, ParsedQuery, plain_text
from search.rerank import spelled_words

#: Weight of the cosine, as a z-score among the candidates, against the lexical score scaled to
#: 0-1 among them (chosen on the training questions of ``05_vietnamese_questions``).
WEIGHT = 0.3
#: Candidates a question's later stages re-rank (``search.rerank`` and this one), instead of
#: ``search.rerank.DEPTH``: its meaning reaches answers its words rank lower. The same on every
#: page of a search (whether it is a question does not change), so no page repeats another. On
#: the questions of ``bench/search_relevance.py``, 20 → 30: accent-free MRR@10 0.889 → 0.892
#: (held-out 0.889 → 0.891), accented 0.911 → 0.912 (held-out 0.915 → 0.918); 40 gains no more,
#: and without the meaning 30 gains only 0.001. Ten more texts cost the second stage ~2 ms of
#: CPU, beside an encoding of ~25 ms.
DEPTH = 30
#: Words a query needs (question words included) for this stage: a question or a description,
#: not a topic.
MIN_WORDS = 4
#: The first-stage candidates a search typed without accents ranks again with the accents their
#: texts give it (:func:`respelled`). No more than a gated first pass ranks exactly
#: (``search.backends.embedded.GATED_CANDIDATES``), so every page ranks the same ones again. On
#: the real questions 100 and 300 ranked alike, and 50 within 0.0015 of them (better on the
#: held-out ones, worse on the training ones).
RESPELL = 50
#: What a query's vector reads at most: characters, and the longest word kept (a Vietnamese
#: syllable has at most 7 letters; "wikipedia" 9). 99 % of the real questions are under 140
#: characters.
QUERY_CHARS = 200
LONGEST_WORD = 20


def applies(parsed: ParsedQuery) -> bool:
    """Whether a search is read for its meaning: :data:`MIN_WORDS` words or more, curriculum
    aliases aside.

    Students leave the question mark out as often as not, and many questions have no question
    word ("Điều kiện để được bảo lưu kết quả học tập"). When only the searches that read as
    questions (:func:`questioning`) were read, the real questions of ``05_vietnamese_questions``
    typed without their question mark lost most of the stage: MRR@10 accented 0.913 with the mark,
    0.902 without; read whenever they are long enough, 0.909 without (``bench/README.md``,
    "Session 14"). A long title, or a sentence quoted from a text, is a known item: it keeps the
    lexical order, and a search that does not read as a question (:func:`questioning`) is then
    never encoded."""
    return sum(len(c.tokens) for c in parsed.clauses if c.kind != "alias") >= MIN_WORDS


def questioning(parsed: ParsedQuery) -> bool:
    """Whether a search reads as a question: a question word ("gì", "đâu", "bao nhiêu") or a
    question mark. Its vector is then worth encoding at once, beside the first stages (it will
    be needed: a question is rarely a known item); any other search :func:`applies` to encodes
    it only when the second stage found no known item."""
    return any(t.question for t in parsed.tokens) or parsed.text.rstrip().endswith("?")


def respells(parsed: ParsedQuery) -> bool:
    """Whether a search's first candidates are ranked again with the accents their texts give
    its words (:func:`respelled`): typed without accents and long enough to be read for its
    meaning (:func:`applies`). The backends do it only when the second stage found no known
    item, on every page of the search (so no page repeats another)."""
    return not parsed.has_marks and applies(parsed)


def respelled(
    parsed: ParsedQuery, restore: Restore, texts: Sequence[str], near: Local | None = None
) -> ParsedQuery:
    """``parsed`` as if typed with the accents that its candidates' ``texts`` (as
    ``search.rerank.second_stage`` reads them) and the index give its words
    (``search.accents.restore`` with ``search.accents.Local``): the engines' first stage then
    ranks the materials that write the words so above those that write them otherwise, as it
    does for a query typed with accents.

    The first stage of a query typed without accents is blind to them, and what it does not
    find the later stages cannot rank: on the real questions of ``bench/search_relevance.py``
    (MRR@10 0.897 typed without accents, 0.914 with them), ranking the first stage by the
    questions' typed accents gave 0.901, by the accents their first candidates give 0.898
    (held-out 0.896 → 0.902); the second stage, given the typed accents, gained nothing
    (``bench/README.md``, "Session 15"). A search whose second stage finds a known item (a
    title, a sentence quoted from a text) is not respelled: passages lost 0.016 when it was.
    Question words stay question words, as typed. ``near``: what ``texts`` say, when already
    read (:meth:`Meaning.respelled`)."""
    tokens = parsed.tokens
    spelled = iter(restore([t.folded for t in tokens], near=near or _local(parsed, texts)))
    clauses = tuple(
        dataclasses.replace(
            c, tokens=tuple(dataclasses.replace(t, exact=next(spelled, t.exact)) for t in c.tokens)
        )
        for c in parsed.clauses
    )
    return dataclasses.replace(parsed, clauses=clauses, has_marks=True)


def beneath(rest: Sequence[float], head: Sequence[float]) -> list[float]:
    """The scores ``rest`` moved down as one, each by the same amount, until the highest is
    below the lowest of ``head`` (unmoved if it already is): the candidates after the ones
    :func:`respelled` ranked again stay after them on every page (a page is ordered by score),
    in their own order."""
    if not rest or not head:
        return list(rest)
    below = math.nextafter(min(head), -math.inf)
    shift = max(max(rest) - below, 0.0)
    return [score - shift for score in rest]


def _local(parsed: ParsedQuery, texts: Sequence[str]) -> Local:
    """What the candidates' ``texts`` say of how to spell the query's words."""
    return Local((t.folded for t in parsed.tokens), map(spelled_words, texts))


def asked(parsed: ParsedQuery) -> bool:
    """Whether a search is read for its meaning (:func:`applies`) and this process has the
    encoder. The backends re-rank it :data:`DEPTH` deep and ask :func:`query_vector` for it."""
    return applies(parsed) and _vectors.encoder() is not None


def query_text(
    parsed: ParsedQuery,
    restore: Callable[[Sequence[str]], list[str]] | None = None,
    near: Local | None = None,
) -> str:
    """What the query's vector reads: the text as typed, casing and punctuation kept (the
    encoder reads them: accented questions' MRR@10 0.904 → 0.911 against the bare lowercase
    words), without the search syntax (``search.query.plain_text``). Typed without accents, its
    words get them back from ``restore`` (the backend's ``search.accents.restore``, given the
    folded words), each keeping its capital letters.

    The encoder's cost grows with its input (four made-up 240-letter words and "là gì?" cost a
    second of CPU instead of ~25 ms): a run of words holding one longer than
    :data:`LONGEST_WORD` is left out, and the text ends, at a space, before
    :data:`QUERY_CHARS`."""
    kept: list[str] = []
    size = 0
    for run in plain_text(parsed.text).split():
        if any(len(w) > LONGEST_WORD for w in WORD_RUNS.findall(run)):
            continue
        if size + len(run) > QUERY_CHARS:
            break
        kept.append(run)
        size += len(run) + 1
    text = " ".join(kept)
    if restore is None or parsed.has_marks:
        return text
    found = WORD_RUNS.findall(text)
    spelled = restore([fold(w.lower()) for w in found])
    named = near.names(spelled) if near is not None else spelled
    given = iter(zip(spelled, named, strict=False))  # a word left over keeps its form

    def spell(m: re.Match[str]) -> str:
        word, name = next(given, (m.group(), m.group()))
        return _cased(word, name, m.group())

    return WORD_RUNS.sub(spell, text)


def _cased(word: str, named: str, typed: str) -> str:
    """``word`` with the capitals of ``typed`` ("Ha" → "Hà", "VN" → "VN"); typed in lowercase,
    as ``named``: with the capitals the candidates' texts give it when it is a name there
    ("viet nam" → "Việt Nam": the encoder reads names by their capitals;
    ``search.accents.Local.names``)."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return named if typed.islower() else word


def blend(scores: Sequence[float], vectors: Sequence[np.ndarray | None], query: np.ndarray) -> list[int]:
    """The candidates' new order (indices into ``scores``): each one's lexical score scaled to
    0-1 among them plus :data:`WEIGHT` times its cosine to ``query`` as a z-score among those
    that have a vector. A candidate without one (a video, a material indexed before vectors)
    gets the mean, so it neither gains nor loses by it. Equal values keep their given order."""
    n = len(scores)
    known = [i for i, v in enumerate(vectors) if v is not None]
    if n < 2 or len(known) < 2:
        return list(range(n))
    s = np.asarray(scores, dtype=np.float64)
    spread = float(s.max() - s.min())
    lexical = (s - s.min()) / spread if spread > 0 else np.zeros(n)
    cos = np.stack([v for v in vectors if v is not None]) @ query
    z = np.zeros(n)
    deviation = float(cos.std())
    if deviation > 0:
        z[known] = (cos - cos.mean()) / deviation
    final = lexical + WEIGHT * z
    return sorted(range(n), key=lambda i: -final[i])


def query_vector(parsed: ParsedQuery, restore: Callable[[Sequence[str]], list[str]]) -> np.ndarray | None:
    """The vector of a query :func:`asked` accepted (None if the encoder went away since).
    ``restore`` gives the folded words of a query typed without accents their accents back (the
    backend's ``search.accents.restore``) before it is encoded."""
    model = _vectors.encoder()
    if model is None:
        return None
    return model.query(query_text(parsed, restore))


class Restore(Protocol):
    """A backend's ``search.accents.restore``: folded words with their accents, from the
    index's counts and, with ``near``, the candidates' texts."""

    def __call__(self, folded: Sequence[str], near: Local | None = None) -> list[str]: ...


class Meaning:
    """A search's vector, asked for once its second stage is done (:meth:`vector`).

    ``restore`` gives a query typed without accents its accents back. With ``start`` (a
    question: it will be needed) the encoding starts early, on a search thread (``start`` runs
    a step there and returns what waits for its result): at once when typed with accents, as
    soon as its first candidates' texts are read (:meth:`respelled`) when typed without; without
    ``start`` the query is encoded only when asked.
    """

    def __init__(
        self,
        parsed: ParsedQuery,
        restore: Restore,
        start: Callable[[Callable[[], np.ndarray | None]], Callable[[], np.ndarray | None]] | None = None,
    ) -> None:
        self.parsed = parsed
        self._restore = restore
        self._start = start
        # Typed without accents, the text the encoder reads comes from the first candidates
        # (:meth:`respelled`, which starts its encoding): one started before them, with the
        # index's accents alone, was another text for one question in three (its accents or
        # its names) and cost a second encoding.
        self._started = start(self._encode) if start is not None and parsed.has_marks else None
        self._near: Local | None = None
        self._spelled: dict[tuple[str, ...], list[str]] = {}
        #: The encoding of the text the candidates give the query, started when they are read
        #: (:meth:`respelled`).
        self._final: Callable[[], np.ndarray | None] | None = None

    def _encode(self) -> np.ndarray | None:
        return query_vector(self.parsed, self._restore)

    def respelled(self, texts: Sequence[str]) -> ParsedQuery:
        """:func:`respelled`, the query as its first candidates' ``texts`` spell it. What they
        say of its accents then gives it its vector too (:meth:`vector`): they are read once,
        and the query the encoder reads is the one the first stage ranked by."""
        near = self._near = _local(self.parsed, texts)
        out = respelled(self.parsed, self._spell, texts, near)
        if self._start is not None:
            # A question: its vector will be needed, and what it reads is known now. Encoded
            # beside the ranking that follows, not after it.
            self._final = self._start(functools.partial(self._encode_near, near))
        return out

    def _encode_near(self, near: Local) -> np.ndarray | None:
        """The vector of the query as ``near`` (the candidates' texts) spells it."""
        model = _vectors.encoder()
        if model is None:
            return None
        return model.query(query_text(self.parsed, functools.partial(self._spell, near=near), near))

    def _spell(self, folded: Sequence[str], near: Local | None = None) -> list[str]:
        """``restore``, remembered for the candidates' texts the query was respelled by: the
        respelling and the vector usually ask for the same words (~4 ms of the index's counts
        each time at 250 000 materials)."""
        if near is None or near is not self._near:
            return self._restore(folded, near=near)
        key = tuple(folded)
        if key not in self._spelled:
            self._spelled[key] = self._restore(folded, near=near)
        return list(self._spelled[key])

    def vector(self, texts: Sequence[str] = ()) -> np.ndarray | None:
        """The query's vector. ``texts``: the re-scored candidates' texts (as
        ``search.rerank.second_stage`` reads them). A query typed without accents gets them
        back from these too (``search.accents.Local``): the texts a question finds speak of its
        topic and restore more of its words (96.0 % of the real questions' syllables, 94.2 %
        from the index's counts alone), and give its names their capitals. The texts its first
        candidates had (:meth:`respelled`) are the ones read; a question's encoding of them
        started then."""
        if not texts or self.parsed.has_marks:
            return self._started() if self._started is not None else self._encode()
        if self._final is not None:  # started by respelled, from its texts
            return self._final()
        return self._encode_near(self._near or _local(self.parsed, texts))


def reorder(
    scores: Sequence[float],
    stored: Sequence[bytes | None],
    query: Callable[[], np.ndarray | None],
) -> list[float] | None:
    """New scores for the re-scored candidates (``scores``, best first, with their ``stored``
    vectors), or None to keep their order: no ``query()`` vector (:func:`query_vector`), or
    fewer than two candidates with a vector. The new scores are the old ones handed out again in
    the blended order (so they stay above every candidate below) and strictly decreasing (so no
    later sort by score undoes it)."""
    found = [_vectors.decode(v) for v in stored]
    if sum(v is not None for v in found) < 2:
        return None
    vector = query()
    if vector is None:
        return None
    order = blend(scores, found, vector)
    out: list[float] = []
    for score in sorted(scores, reverse=True):
        out.append(score if not out or score < out[-1] else math.nextafter(out[-1], -math.inf))
    new = [0.0] * len(scores)
    for rank, i in enumerate(order):
        new[i] = out[rank]
    return new
