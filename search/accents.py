"""Accents put back on a query typed without them, from how the index writes its words.

"vi sao la cay co mau xanh" is read by the engines' folded fields as well as its accented form,
but a language model reads unaccented Vietnamese badly (``search.semantic``): "la" is "là", "lá",
"lạ" or "la", and only the neighbours tell which. :func:`restore` picks, for each syllable, the
accented spelling that the index's texts use most *next to the spellings picked for its
neighbours*: the most frequent path through the candidates (a Viterbi search over pairs, each
pair weighed by the number of materials that hold it side by side, each word by the number that
hold it at all). On the judged questions (``bench/search_relevance.py``) that gives 94 % of the
syllables their typed accents back, 74 % with the words alone.

The texts an index holds state things and rarely ask: their counts alone read "o dau" as "ở đầu"
(at the start) and "bao nhieu" as "bảo nhiều". The phrases real questions ask with ("ở đâu",
"bao nhiêu", "là gì", a question word ending the question: ``question_pairs.txt``, derived from
the training questions by ``bench/question_words.py``) count as frequent pairs wherever they fit
(:data:`PHRASE_BONUS`): 94.05 → 94.61 % of the training questions' syllables, 90.70 → 91.37 % of
the held-out ones'.

The whole index may spell a question's words otherwise than its topic does: "hanh tinh do" is
"hành tính độ" (practise measuring lengths) in most texts, "hành tinh đỏ" (the red planet) in
those about Mars. Once a search's candidates are found, their texts count too (:class:`Local`:
each candidate holding a spelling or pair as :data:`LOCAL_WEIGHT` materials, and the spellings
they give a run of three query words side by side favoured): 94.2 → 96.0 % of the questions'
syllables (held-out 91.4 → 94.4 %).

The candidates of a syllable are every accented spelling that folds to it
(:func:`candidates`: the vowel letters' variants, ``đ`` for ``d``, and a tone mark on one vowel,
in the index's tone placement), of which the index knows a handful. The counts come from the
backend (``Counts``): document frequencies of accented words, and of accented pairs (the two
words joined) in a field both backends keep for this, among the *public* materials only. A
draft is never a candidate of anyone else's search, and must not decide how their queries are
spelled either: a teacher uploading a hundred unapproved drafts that write "hành tính độ" would
otherwise turn every "hanh tinh do" on the portal into practising measurements.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from repository.text import merge_i_y
from search.query import WORD_RUNS, listed
from search.rerank import SENTENCE_ENDS
from search.vietnamese import normalize_tone_placement

#: Base vowel → its toned forms (grave, acute, hook above, tilde, dot below).
_TONED = {
    "a": "àáảãạ",
    "ă": "ằắẳẵặ",
    "â": "ầấẩẫậ",
    "e": "èéẻẽẹ",
    "ê": "ềếểễệ",
    "i": "ìíỉĩị",
    "o": "òóỏõọ",
    "ô": "ồốổỗộ",
    "ơ": "ờớởỡợ",
    "u": "ùúủũụ",
    "ư": "ừứửữự",
    "y": "ỳýỷỹỵ",
}
#: A folded letter → the letters it may stand for.
_LETTERS = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư"}
_VOWELS = frozenset("aeiouy")
#: Longest folded syllable ("nghieng" is 7 letters); anything longer is not one.
_LONGEST = 7
#: Spellings of a syllable kept for the path search (the most frequent ones, and every one the
#: search's candidates write: "tạm dừng" comes after six more frequent spellings of "dung").
KEEP = 6
#: Characters of a text whose accented pairs are indexed (:func:`accent_pairs`): enough for the
#: counts, without a textbook's whole body.
PAIR_CHARS = 20_000

#: What a question phrase adds to a path's score, in the units of a pair's log count: as if
#: e**6 ≈ 400 more materials held it (chosen on the training questions: 4 → 94.5 %, 6 → 94.6 %,
#: 8 → 94.6 %).
PHRASE_BONUS = 6.0
#: The question's end, in ``question_pairs.txt`` ("đâu $": "đâu" ends the question).
END = "$"

#: What one candidate holding a spelling or a pair adds to the index's count of it
#: (:class:`Local`), in materials (chosen on the training questions: 10 → 95.9 %, 20 → 96.0 %,
#: 50 → 96.1 %, 100 → 96.0 % of the syllables; without the candidates 94.2 %).
LOCAL_WEIGHT = 20
#: What each time the candidates' texts write three query words side by side adds to the
#: spellings they give them, in units of a word's log count (1 → 95.9 %, 2 → 96.0 %, 4 → 96.1 %).
RUN_WEIGHT = 2.0
#: Words side by side that make a run (:class:`Local`).
RUN = 3
#: A word the candidates' texts write with a capital (or in capitals) at least this many times
#: and at least this share of the times they write it is a name (:meth:`Local.cased`).
NAME_MIN = 2
NAME_SHARE = 0.5

#: ``counts(terms)``: how many materials hold each of ``terms`` (accented words, lowercase; or
#: pairs of them, the two words joined). Missing or 0: none.
Counts = Callable[[Sequence[str]], dict[str, int]]


class Local:
    """What the texts of a search's candidates say of how to spell a query's words.

    ``texts``: each candidate's words, folded, accented and cased, three lists side by side
    (``search.rerank.spelled_words``): the folded ones in their "i" spelling
    (``repository.text.merge_i_y``), the accented ones lowercase and in the index's tone
    placement, the cased ones with the text's capitals (:meth:`cased`). Only the places of
    ``words`` (the query's, folded) are read. :func:`restore` counts each candidate holding a
    spelling, or a pair of them side by side, as :data:`LOCAL_WEIGHT` more materials, and
    favours the spellings the texts give a run of :data:`RUN` query words side by side
    (:meth:`runs`). Words with punctuation between them are not side by side ("bài thi, giải
    đáp" is no "thi giải").
    """

    def __init__(
        self, words: Iterable[str], texts: Iterable[tuple[Sequence[str], Sequence[str], Sequence[str]]]
    ) -> None:
        wanted = {merge_i_y(w) for w in words}
        self.words: Counter[str] = Counter()
        self.pairs: Counter[str] = Counter()
        #: Of the query's words as the texts write them (accented, lowercase): how often, how
        #: often with a capital first letter, how often in capitals (:meth:`cased`).
        self._written: Counter[str] = Counter()
        self._capital: Counter[str] = Counter()
        self._upper: Counter[str] = Counter()
        #: The same of a word beside a neighbour: (first, second, whether of the second).
        self._beside: Counter[tuple[str, str, bool]] = Counter()
        self._beside_capital: Counter[tuple[str, str, bool]] = Counter()
        self._texts: list[tuple[Sequence[str], Sequence[str], list[int], Sequence[str]]] = []
        for folded, accented, cased in texts:
            at = [i for i, f in enumerate(folded) if f in wanted]
            if not at:
                continue
            self._texts.append((folded, accented, at, cased))
            self.words.update({accented[i] for i in at})
            places = set(at)
            self.pairs.update(
                {accented[i] + accented[i + 1] for i in at if i + 1 in places and cased[i][-1].isalnum()}
            )
            for i in at:
                word = cased[i] if cased[i][-1].isalnum() else cased[i][:-1]
                upper = len(word) > 1 and word.isupper()
                if not upper and (i == 0 or cased[i - 1][-1] in SENTENCE_ENDS):
                    continue  # a sentence's first word: its capital says nothing
                self._written[accented[i]] += 1
                if word[:1].isupper():
                    self._capital[accented[i]] += 1
                    self._upper[accented[i]] += upper
                # Beside each neighbour the text gives it (no punctuation between them).
                for j, after in ((i - 1, True), (i + 1, False)):
                    if j in places and cased[min(i, j)][-1].isalnum():
                        key = (accented[min(i, j)], accented[max(i, j)], after)
                        self._beside[key] += 1
                        self._beside_capital[key] += word[:1].isupper()

    def cased(self, word: str) -> str:
        """``word`` (accented, lowercase) as the texts write it: a name ("việt" → "Việt"), an
        abbreviation ("đhqg" → "ĐHQG"), or as given. A word takes the texts' capitals when
        they write it so :data:`NAME_MIN` times or more and at least :data:`NAME_SHARE` of the
        time (a common word is capitalised only where a sentence starts)."""
        seen = self._written[word]
        if seen < NAME_MIN:
            return word
        if self._upper[word] >= NAME_MIN and self._upper[word] >= NAME_SHARE * seen:
            return word.upper()
        if self._capital[word] >= NAME_MIN and self._capital[word] >= NAME_SHARE * seen:
            return word[:1].upper() + word[1:]
        return word

    def names(self, words: Sequence[str]) -> list[str]:
        """``words`` (a query's, accented, lowercase, in order) as the texts write them: an
        abbreviation in capitals (:meth:`cased`); a word the texts write beside one of its
        neighbours in the query, as they write it there, most often ("viễn nhật", the
        aphelion, beside "Nhật Bản"; "Hệ Mặt Trời"); any other as :meth:`cased` says."""
        out = []
        for j, word in enumerate(words):
            found = self.cased(word)
            if len(found) > 1 and found.isupper():
                out.append(found)
                continue
            keys = []
            if j > 0:
                keys.append((words[j - 1], word, True))
            if j + 1 < len(words):
                keys.append((word, words[j + 1], False))
            seen = sum(self._beside[k] for k in keys)
            capital = sum(self._beside_capital[k] for k in keys)
            if seen:
                found = word[:1].upper() + word[1:] if 2 * capital >= seen else word
            out.append(found)
        return out

    def runs(self, folded: Sequence[str]) -> list[Counter[str]]:
        """For each of the query words ``folded``, how often the texts spell it each way inside
        a run of :data:`RUN` query words side by side ("hành tinh đỏ" for "hanh tinh do")."""
        found: list[Counter[str]] = [Counter() for _ in folded]
        merged = [merge_i_y(w) for w in folded]
        wanted: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        for i in range(len(merged) - RUN + 1):
            wanted[tuple(merged[i : i + RUN])].append(i)
        if not wanted:
            return found
        for plain, accented, at, cased in self._texts:
            for t in at:
                hits = wanted.get(tuple(plain[t : t + RUN]), ())
                if hits and not all(cased[t + k][-1].isalnum() for k in range(RUN - 1)):
                    continue
                for i in hits:
                    for k in range(RUN):
                        found[i + k][accented[t + k]] += 1
        return found


def accent_pairs(texts: Iterable[str]) -> set[str]:
    """The accented pair terms a material's ``texts`` give the index (lowercase, in the index's
    tone placement, the two words joined: "vìsao"), from each text's first :data:`PAIR_CHARS`.
    ``texts`` must be NFC."""
    out: set[str] = set()
    for text in texts:
        found = WORD_RUNS.findall(normalize_tone_placement(text[:PAIR_CHARS]).lower())
        out.update(a + b for a, b in itertools.pairwise(found))
    return out


@lru_cache(maxsize=1)
def question_phrases() -> frozenset[tuple[str, str]]:
    """The accented word pairs questions ask with (:data:`END` as the second word: the first
    ends the question), from ``question_pairs.txt``."""
    pairs = (line.split() for line in listed("question_pairs.txt"))
    return frozenset((pair[0], pair[1]) for pair in pairs if len(pair) == 2)


@lru_cache(maxsize=8192)
def candidates(folded: str) -> tuple[str, ...]:
    """Every accented syllable that folds to ``folded``, in the index's tone placement.

    ``folded`` itself comes first. A word that is not one Vietnamese syllable (digits, other
    letters, vowels in two places, too long) has only itself, and its "đ" spelling when it
    begins with "d" (an abbreviation: "dhqg" is "đhqg")::

        >>> "toán" in candidates("toan"), candidates("x2"), candidates("dhqg")
        (True, ('x2',), ('dhqg', 'đhqg'))
    """
    if not folded.isascii() or not folded.isalpha() or len(folded) > _LONGEST:
        return (folded,)
    where = [i for i, ch in enumerate(folded) if ch in _VOWELS]
    if not where or where[-1] - where[0] + 1 != len(where) or len(where) > 3:
        # An abbreviation ("dtbhk": điểm trung bình học kỳ) may still begin with "đ".
        return (folded, "đ" + folded[1:]) if folded[0] == "d" and len(folded) > 1 else (folded,)
    # "gi" and "qu" begin a syllable: their vowel letter is part of the onset, never toned.
    if len(where) > 1 and where[0] == 1 and folded[:2] in ("gi", "qu"):
        where = where[1:]
    options: list[str | Iterable[str]] = []
    for i, ch in enumerate(folded):
        if i == 0 and ch == "d":
            options.append("dđ")
        elif i in where:
            options.append(_LETTERS.get(ch, ch))
        else:
            options.append(ch)
    out: dict[str, None] = {}
    for letters in itertools.product(*options):
        out[normalize_tone_placement("".join(letters))] = None
        for i in where:
            for toned in _TONED[letters[i]]:
                word = "".join(letters[:i]) + toned + "".join(letters[i + 1 :])
                out[normalize_tone_placement(word)] = None
    out.pop(folded, None)
    return (folded, *out)


def restore(
    words: Sequence[str], word_counts: Counts, pair_counts: Counts, near: Local | None = None
) -> list[str]:
    """``words`` (folded, lowercase) with the accents the index's texts most likely give them.

    A word whose spellings the index does not hold stays as typed. One lookup of each count
    (the words' spellings, then the pairs of the kept ones)::

        restore(["toan", "lop", "5"], words, pairs) == ["toán", "lớp", "5"]

    With ``near`` (:class:`Local`, the texts of the search's candidates), each candidate
    holding a spelling or a pair counts as :data:`LOCAL_WEIGHT` more materials, and the
    spellings the candidates give a run of the query's words weigh :data:`RUN_WEIGHT` more: the
    texts a question finds speak of its topic, where the whole index may spell its words
    otherwise ("hanh tinh do": "hành tinh đỏ", the red planet, not "hành tính độ").
    """
    if not words:
        return []
    spelled = {c for w in words for c in candidates(w)}
    df = word_counts(sorted(spelled))
    runs: Sequence[Counter[str]] = [Counter() for _ in words]
    if near is not None:
        df = {c: df.get(c, 0) + LOCAL_WEIGHT * near.words[c] for c in spelled}
        runs = near.runs(words)
    kept: list[list[str]] = []
    for w in words:
        known = sorted((c for c in candidates(w) if df.get(c, 0) > 0), key=lambda c: -df[c])
        top = known[:KEEP]
        if near is not None:  # and what the candidates write, however rare in the index
            top += [c for c in known[KEEP:] if near.words[c] > 0]
        kept.append(top or [w])
    pairs = {a + b for x, y in itertools.pairwise(kept) for a in x for b in y}
    pair_df = pair_counts(sorted(pairs)) if pairs else {}
    if near is not None:
        pair_df = {p: pair_df.get(p, 0) + LOCAL_WEIGHT * near.pairs[p] for p in pairs}

    phrases = question_phrases()

    def alone(c: str) -> float:
        return math.log1p(df.get(c, 0))

    def pair(p: str, c: str) -> float:
        return math.log(pair_df.get(p + c, 0) + 0.1) + (PHRASE_BONUS if (p, c) in phrases else 0.0)

    def run(i: int, c: str) -> float:
        return RUN_WEIGHT * math.log1p(runs[i][c]) if runs[i] else 0.0

    # Best path ending in each spelling of the current word: (score, spellings so far).
    best = {c: (alone(c) + run(0, c), [c]) for c in kept[0]}
    for i, spellings in enumerate(kept[1:], 1):
        step = {}
        for c in spellings:
            step[c] = max(
                (score + pair(p, c) + 0.3 * alone(c) + run(i, c), [*path, c])
                for p, (score, path) in best.items()
            )
        best = step
    # A question word that ends the question ("... ở đâu") is one of its phrases too.
    return max(
        (score + (PHRASE_BONUS if (c, END) in phrases else 0.0), path) for c, (score, path) in best.items()
    )[1]
