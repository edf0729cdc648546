"""Controlled vocabularies of the curriculum (levels, grades, subjects, series, ...).

The vocabularies are data files in ``metadata_schemas/vocabularies/<name>.json``; they are the
single source of truth for codes and labels. The JSON Schema's enums are a checked copy of them
(``tests/repository/test_metadata.py`` fails when the two drift apart).

A vocabulary file looks like::

    {"name": "subject", "label": {"vi": "Môn học", "en": "Subject"},
     "terms": [{"code": "toan", "label": {"vi": "Toán", "en": "Mathematics"},
                "grades": [1, 2, ...], "aliases": ["Toán học", "Math"]}]}

``grades`` appears where it applies (levels, grades, subjects); ``url`` on licences.

Lookup is forgiving in the ways real Vietnamese documents vary::

    >>> subjects = get_vocabulary("subject")
    >>> subjects.lookup("Vật lý").code, subjects.lookup("vat li").code, subjects.lookup("KHTN").code
    ('vat-li', 'vat-li', 'khoa-hoc-tu-nhien')
    >>> subjects.lookup("Tin học", grade=4).code   # primary schools teach it as one subject
    'tin-hoc-va-cong-nghe'
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repository.errors import BadRequest, NotFound, RepositoryError
from repository.text import fold, merge_i_y, nfc

# The schemas and vocabularies are data beside the packages (house style: `repository` reads
# metadata_schemas/ as data). Resolved from this file so it works from any working directory.
METADATA_SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "metadata_schemas"
VOCABULARIES_DIR = METADATA_SCHEMAS_DIR / "vocabularies"

LANGUAGES = ("vi", "en")

_TERM_KEYS = {"code", "label", "grades", "aliases", "url", "grade_labels"}
_VOCAB_KEYS = {"name", "label", "terms"}

_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def lookup_key(text: str) -> str:
    """The comparison key used by :meth:`Vocabulary.lookup`.

    Folds accents, case and ``đ``; reads ``&`` as ``và``; treats punctuation as spaces; splits
    letters from digits (``lop5`` = ``lop 5``); and merges the ``y``/``i`` spelling variants.

        >>> lookup_key("Lịch sử & Địa lý"), lookup_key("GD-KT-PL"), lookup_key("Lớp5")
        ('lich su va dia li', 'gd kt pl', 'lop 5')
    """
    key = fold(text).replace("&", " va ")
    key = _NON_ALNUM.sub(" ", key)
    key = _LETTER_DIGIT.sub(" ", key)
    key = merge_i_y(key)
    return " ".join(key.split())


class VocabularyDataError(RepositoryError):
    """A vocabulary data file is malformed: a bug in the shipped data, not in the request."""

    code = "vocabulary_data_error"


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary: a stable ``code`` plus labels people read."""

    code: str
    label_vi: str
    label_en: str
    grades: tuple[int, ...] | None = None
    aliases: tuple[str, ...] = ()
    url: str | None = None
    #: ``(grades, vi, en)``: the name the programme uses in those grades, where it differs
    #: (primary school's "Hoạt động trải nghiệm" is "…, hướng nghiệp" from grade 6).
    grade_labels: tuple[tuple[tuple[int, ...], str, str], ...] = ()

    def label(self, lang: str = "vi", *, grade: int | None = None) -> str:
        """The label in ``lang`` (``"vi"`` or ``"en"``), as named in ``grade`` when given."""
        _check_lang(lang)
        for grades, vi, en in self.grade_labels:
            if grade in grades:
                return vi if lang == "vi" else en
        return self.label_vi if lang == "vi" else self.label_en

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """JSON form for the API: both labels, or only the one in ``lang`` when given."""
        body: dict[str, Any] = {"code": self.code}
        body["label"] = self.label(lang) if lang else {"vi": self.label_vi, "en": self.label_en}
        if self.grades is not None:
            body["grades"] = list(self.grades)
        if self.url is not None:
            body["url"] = self.url
        body["aliases"] = list(self.aliases)
        return body


@dataclass(frozen=True)
class Vocabulary:
    """A named, ordered list of terms with a forgiving lookup."""

    name: str
    label_vi: str
    label_en: str
    terms: tuple[Term, ...]
    _by_code: dict[str, Term] = field(init=False, repr=False, compare=False)
    _by_key: dict[str, Term] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Term] = {}
        by_key: dict[str, Term] = {}
        for term in self.terms:
            if term.code in by_code:
                raise VocabularyDataError(f"vocabulary {self.name!r}: duplicate code {term.code!r}")
            by_code[term.code] = term
        # Codes first, then labels, then aliases: a key may only ever point at one term, otherwise
        # lookup would depend on file order. A clash is a data bug and fails loudly at load time.
        for term in self.terms:
            for spelling in (term.code, term.label_vi, term.label_en, *term.aliases):
                key = lookup_key(spelling)
                if not key:
                    continue
                other = by_key.setdefault(key, term)
                if other is not term:
                    raise VocabularyDataError(
                        f"vocabulary {self.name!r}: {spelling!r} of {term.code!r} reads the same as "
                        f"a spelling of {other.code!r}"
                    )
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_key", by_key)

    def codes(self) -> list[str]:
        """Every code, in the file's (display) order."""
        return [term.code for term in self.terms]

    def get(self, code: str) -> Term | None:
        """The term with exactly this code, or ``None``."""
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def term(self, code: str) -> Term:
        """The term with exactly this code.

        Raises:
            NotFound: the code is not in this vocabulary (the message lists the known codes).
        """
        found = self._by_code.get(code)
        if found is None:
            raise NotFound(
                f"{code!r} is not a code of the {self.name} vocabulary; "
                f"known codes: {', '.join(self.codes())}"
            )
        return found

    def label(self, code: str, lang: str = "vi") -> str:
        """The label of ``code`` in ``lang`` (``"vi"`` default, or ``"en"``).

        Raises:
            NotFound: unknown code.
            BadRequest: unknown language.
        """
        return self.term(code).label(lang)

    def lookup(self, text: str, *, grade: int | None = None) -> Term | None:
        """Resolve a code, label or alias as people type it, or ``None``.

        Accents, case, NFC/NFD, punctuation, ``&``/``và`` and ``y``/``i`` spellings do not matter.
        With ``grade``, a name that is taught under a broader subject at that grade resolves to
        that subject: "Tin học" or "Công nghệ" at grade 4 is ``tin-hoc-va-cong-nghe``, "Lịch sử"
        at grade 7 is ``lich-su-va-dia-li``, "Khoa học" at grade 8 is ``khoa-hoc-tu-nhien``.
        """
        if not isinstance(text, str):
            return None
        key = lookup_key(text)
        if not key:
            return None
        found = self._by_key.get(key)
        if grade is None or (found is not None and _covers(found, grade)):
            return found
        # The broader subject's name contains the narrower one as whole words (tin hoc ⊂ tin hoc
        # va cong nghe); only terms taught at that grade qualify.
        needle = f" {key} "
        for term in self.terms:
            if not _covers(term, grade):
                continue
            for spelling in (term.label_vi, *term.aliases):
                if needle in f" {lookup_key(spelling)} ":
                    return term
        return found

    def suggest(self, text: str) -> Term | None:
        """The term ``text`` most likely means, for "did you mean" hints; ``None`` if nothing is close.

        An exact :meth:`lookup` wins; otherwise the closest spelling by edit similarity
        (``"toan-hco"`` suggests ``toan``). Never use this to accept input silently.
        """
        found = self.lookup(text)
        if found is not None or not isinstance(text, str):
            return found
        key = lookup_key(text)
        if not key:
            return None
        close = difflib.get_close_matches(key, list(self._by_key), n=1, cutoff=0.82)
        return self._by_key[close[0]] if close else None

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """JSON form for ``GET /api/v1/vocabularies/{name}``; labels only in ``lang`` when given.

        Raises:
            BadRequest: ``lang`` is neither ``"vi"`` nor ``"en"``.
        """
        if lang is not None:
            _check_lang(lang)
        label: str | dict[str, str] = (
            {"vi": self.label_vi, "en": self.label_en}
            if lang is None
            else (self.label_vi if lang == "vi" else self.label_en)
        )
        return {"name": self.name, "label": label, "terms": [t.to_dict(lang) for t in self.terms]}


def _covers(term: Term, grade: int) -> bool:
    return term.grades is not None and grade in term.grades


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise BadRequest(f"unknown label language {lang!r}; allowed: {', '.join(LANGUAGES)}")


def _labels(raw: Any, where: str) -> tuple[str, str]:
    if not isinstance(raw, dict) or set(raw) != set(LANGUAGES):
        raise VocabularyDataError(f"{where}: 'label' must be an object with exactly 'vi' and 'en'")
    vi, en = raw["vi"], raw["en"]
    if not (isinstance(vi, str) and vi.strip() and isinstance(en, str) and en.strip()):
        raise VocabularyDataError(f"{where}: labels must be non-empty strings")
    return nfc(vi), nfc(en)


def _parse_term(raw: Any, where: str) -> Term:
    if not isinstance(raw, dict):
        raise VocabularyDataError(f"{where}: a term must be an object")
    unknown = set(raw) - _TERM_KEYS
    if unknown:
        raise VocabularyDataError(f"{where}: unknown keys {sorted(unknown)}")
    code = raw.get("code")
    if not isinstance(code, str) or not code or code != code.strip():
        raise VocabularyDataError(f"{where}: 'code' must be a non-empty string without spaces around it")
    label_vi, label_en = _labels(raw.get("label"), f"{where} ({code})")
    grades = raw.get("grades")
    if grades is not None and not (
        isinstance(grades, list)
        and all(isinstance(g, int) and not isinstance(g, bool) and 1 <= g <= 12 for g in grades)
    ):
        raise VocabularyDataError(f"{where} ({code}): 'grades' must be a list of integers 1-12")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise VocabularyDataError(f"{where} ({code}): 'aliases' must be a list of non-empty strings")
    url = raw.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith("https://")):
        raise VocabularyDataError(f"{where} ({code}): 'url' must be an https URL")
    grade_labels = []
    for entry in raw.get("grade_labels", []):
        shaped = isinstance(entry, dict) and set(entry) == {"grades", "label"}
        if not shaped or not (
            isinstance(entry["grades"], list)
            and all(isinstance(g, int) and 1 <= g <= 12 for g in entry["grades"])
        ):
            raise VocabularyDataError(f"{where} ({code}): each of 'grade_labels' is {{'grades', 'label'}}")
        vi, en = _labels(entry["label"], f"{where} ({code}) grade_labels")
        grade_labels.append((tuple(entry["grades"]), vi, en))
    return Term(
        code=code,
        label_vi=label_vi,
        label_en=label_en,
        grades=tuple(grades) if grades is not None else None,
        aliases=tuple(nfc(a) for a in aliases),
        url=url,
        grade_labels=tuple(grade_labels),
    )


def parse_vocabulary(raw: Any, *, source: str = "<data>") -> Vocabulary:
    """Build a :class:`Vocabulary` from its JSON form, checking the shape strictly.

    Raises:
        VocabularyDataError: the data does not have the documented shape.
    """
    if not isinstance(raw, dict) or set(raw) != _VOCAB_KEYS:
        raise VocabularyDataError(f"{source}: a vocabulary is an object with exactly {sorted(_VOCAB_KEYS)}")
    name = raw["name"]
    if not isinstance(name, str) or not name:
        raise VocabularyDataError(f"{source}: 'name' must be a non-empty string")
    label_vi, label_en = _labels(raw["label"], source)
    terms = raw["terms"]
    if not isinstance(terms, list) or not terms:
        raise VocabularyDataError(f"{source}: 'terms' must be a non-empty list")
    return Vocabulary(
        name=name,
        label_vi=label_vi,
        label_en=label_en,
        terms=tuple(_parse_term(t, f"{source} terms[{i}]") for i, t in enumerate(terms)),
    )


def _load_dir(directory: Path) -> dict[str, Vocabulary]:
    vocabularies: dict[str, Vocabulary] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise VocabularyDataError(f"cannot read vocabulary {path.name}: {exc}") from exc
        vocabulary = parse_vocabulary(raw, source=path.name)
        if vocabulary.name != path.stem:
            raise VocabularyDataError(f"{path.name}: 'name' is {vocabulary.name!r}, expected {path.stem!r}")
        vocabularies[vocabulary.name] = vocabulary
    if not vocabularies:
        raise VocabularyDataError(f"no vocabularies found in {directory}")
    return vocabularies


@functools.cache
def _cached() -> dict[str, Vocabulary]:
    return _load_dir(VOCABULARIES_DIR)


def load_vocabularies() -> dict[str, Vocabulary]:
    """Every vocabulary by name, read once per process (the files never change at runtime).

    Returns a fresh dict each call, so callers may not disturb the cache; the
    :class:`Vocabulary` objects themselves are immutable and shared.
    """
    return dict(_cached())


def get_vocabulary(name: str) -> Vocabulary:
    """The vocabulary called ``name`` (``subject``, ``grade``, ``level``, ...).

    Raises:
        NotFound: no such vocabulary; the message lists the known names.
    """
    vocabularies = _cached()
    found = vocabularies.get(name)
    if found is None:
        raise NotFound(f"no vocabulary named {name!r}; known vocabularies: {', '.join(sorted(vocabularies))}")
    return found


def vocabulary_names() -> list[str]:
    """The names of all vocabularies, sorted."""
    return sorted(_cached())


def codes_of(name: str) -> list[str]:
    """Shortcut: the codes of vocabulary ``name`` in display order."""
    return get_vocabulary(name).codes()


def resolve_all(name: str, texts: Iterable[str], *, grade: int | None = None) -> list[Term | None]:
    """Look up several spellings at once (auto-tagging helpers); ``None`` where unknown."""
    vocabulary = get_vocabulary(name)
    return [vocabulary.lookup(t, grade=grade) for t in texts]
