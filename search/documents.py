"""Material → ``SearchDocument``: the pure projection the search index stores.

The indexer (``search.tasks``) loads a material from the database, turns it into a plain dict and
calls :func:`build_document`; backends only ever see ``SearchDocument`` values, so the index can be
rebuilt from the database at any time (the database is the truth).

Input dict shape (every key but ``id`` optional)::

    {"id": "…", "state": "approved", "owner_id": "…", "created_at": datetime | ISO str,
     "version": 1718000000000000, "popularity": 12, "thumbnail": "https://…",
     "organisation": "dhsp-ha-noi",
     "metadata": {"title", "description", "grades", "subjects", "series", "volume", "chapter", "lesson",
                  "type", "audience", "language", "license", "keywords", "level", …},
     "texts": [{"text": "…", "pages": [[1, "…"], [2, "…"]]}],
     "vector": b"…"}

``public`` is true only for ``state == "approved"``: the visibility rule lives here and in the
backends' queries, never in the web layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from repository import fields
from repository.errors import BadRequest
from repository.material.audience import effective_audience
from repository.text import nfc


@dataclass(frozen=True)
class SearchDocument:
    """One material as the search index sees it. All text is NFC.

    ``pages`` holds ``(page_number, text)`` with 1-based page numbers; ``body`` is the full text
    (all extracted texts joined). ``version`` is the material's *index revision* (see
    ``search.revision``: the newest change to the material, its files or derivatives, in
    microseconds), used by ``search-check`` to find stale entries; it changes on workflow
    transitions that leave the row version alone. ``volume`` is the book volume (tập).
    """

    id: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    chapter: str = ""
    lesson: str = ""
    body: str = ""
    pages: list[tuple[int, str]] = field(default_factory=list)
    grades: list[int] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    type: str | None = None
    series: str | None = None
    volume: int | None = None
    language: str | None = None
    license: str | None = None
    audience: list[str] = field(default_factory=list)
    level: str | None = None
    #: The contributing organisation's slug (facet and filter ``organisation``).
    organisation: str | None = None
    public: bool = False
    owner_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=UTC))
    popularity: int = 0
    thumbnail: str | None = None
    version: int = 1
    #: Codes of the registry's vocabulary fields that have no attribute of their own
    #: (``repository.fields``), by field name.
    codes: dict[str, list[str]] = field(default_factory=dict)
    #: What the material's text means (``search.semantic``: ``encode``d bytes), when ingest
    #: computed it; the questions' third stage reads it.
    vector: bytes | None = None


def codes_of(doc: SearchDocument) -> dict[str, list[str] | list[int]]:
    """Every vocabulary field's codes in ``doc``, by index field name (registry order).

    >>> codes_of(SearchDocument(id="m", title="t", grades=[5], type="bai-giang"))["type"]
    ['bai-giang']
    """
    out: dict[str, list[str] | list[int]] = {}
    for f in fields.FIELDS:
        if f.document_attribute is None:
            out[f.name] = list(doc.codes.get(f.name, []))
            continue
        value = getattr(doc, f.document_attribute)
        out[f.name] = list(value) if isinstance(value, list) else ([value] if value else [])
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return nfc(" ".join(str(v) for v in value if v is not None)).strip()
    return nfc(str(value)).strip()


def _opt(value: Any) -> str | None:
    text = _text(value)
    return text or None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    items: Iterable[Any] = [value] if isinstance(value, str) else value
    return [s for s in (_text(v) for v in items) if s]


def _grades(value: Any) -> list[int]:
    out: list[int] = []
    for item in [value] if isinstance(value, int | str) else (value or []):
        try:
            grade = int(item)
        except (TypeError, ValueError):
            raise BadRequest(f"grade must be an integer, got {item!r}") from None
        if grade not in out:
            out.append(grade)
    return sorted(out)


def _volume(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"volume must be an integer, got {value!r}") from None


def _created_at(value: Any) -> datetime:
    if value is None:
        return datetime(1970, 1, 1, tzinfo=UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"created_at is not an ISO date: {value!r}") from None
    if not isinstance(value, datetime):
        raise BadRequest(f"created_at must be a datetime, got {type(value).__name__}")
    # Naive timestamps from the database are UTC by convention.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _vector(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, bytes | bytearray):
        raise BadRequest(f"vector must be bytes, got {type(value).__name__}")
    return bytes(value)


def build_document(material: Mapping[str, Any]) -> SearchDocument:
    """Project a material dict (shape in the module docstring) to a ``SearchDocument``.

    Pure: no I/O, deterministic. Texts are NFC-normalised; page numbers are kept as given
    (1-based) and texts without pages contribute only to ``body``.

    Raises:
        BadRequest: when ``id`` is missing or a field has an impossible type.
    """
    ident = _text(material.get("id"))
    if not ident:
        raise BadRequest("a search document needs an id")
    meta: Mapping[str, Any] = material.get("metadata") or {}
    bodies: list[str] = []
    pages: list[tuple[int, str]] = []
    for part in material.get("texts") or []:
        text = _text(part.get("text"))
        part_pages = [(int(p), _text(t)) for p, t in part.get("pages") or []]
        if not text and part_pages:
            text = "\n".join(t for _, t in part_pages)
        if text:
            bodies.append(text)
        pages.extend((p, t) for p, t in part_pages if t)
    return SearchDocument(
        id=ident,
        title=_text(meta.get("title")),
        description=_text(meta.get("description")),
        keywords=_strings(meta.get("keywords")),
        chapter=_text(meta.get("chapter")),
        lesson=_text(meta.get("lesson")),
        body="\n\n".join(bodies),
        pages=pages,
        grades=_grades(meta.get("grades")),
        subjects=_strings(meta.get("subjects")),
        type=_opt(meta.get("type")),
        series=_opt(meta.get("series")),
        volume=_volume(meta.get("volume")),
        language=_opt(meta.get("language")),
        license=_opt(meta.get("license")),
        # Who it is for, as the audience rule reads it (a lesson plan is for teachers, undeclared
        # is for everyone), so that the ``audience`` filter finds what the rule shows.
        audience=effective_audience(
            {"audience": _strings(meta.get("audience")), "type": _opt(meta.get("type"))}
        ),
        level=_opt(meta.get("level")),
        organisation=_opt(material.get("organisation")),
        public=material.get("state") == "approved",
        owner_id=_opt(material.get("owner_id")),
        created_at=_created_at(material.get("created_at")),
        popularity=int(material.get("popularity") or 0),
        thumbnail=_opt(material.get("thumbnail")),
        version=int(material.get("version") or 1),
        codes={f.name: _strings(meta.get(f.key)) for f in fields.FIELDS if f.document_attribute is None},
        vector=_vector(material.get("vector")),
    )
