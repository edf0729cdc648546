"""Load and validate material metadata documents against ``metadata_schemas/``.

A metadata document is plain JSON (see ``metadata_schemas/material-v1.0.0.json``)::

    >>> doc = validate_metadata({"title": "Phép cộng trong phạm vi 10", "grades": [1],
    ...                          "subjects": ["toan"], "type": "phieu-hoc-tap"})
    >>> doc["$schema"] == CURRENT_SCHEMA, doc["language"]
    (True, 'vi')

Validation has three layers, and every problem comes back as a detail naming the field:

1. **Cleaning.** Every string is NFC-normalised, trimmed, stripped of control characters and (outside
   ``description``) has its whitespace collapsed; ``grades`` are sorted and code lists de-duplicated.
2. **JSON Schema** (2020-12) with a ``referencing`` registry so ``$ref`` into the definitions file
   resolves offline. The schema's code enums are a checked copy of the vocabulary files (the
   vocabularies are the source of truth), so messages list allowed codes from the vocabularies
   and suggest the code an alias stands for ("did you mean 'toan'?").
3. **Consistency.** Grades must belong to the given level (an error). Softer issues, such as a
   subject not taught in the given grades, are *warnings*: :func:`check_metadata` returns them and
   they never block a save.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from repository import fields
from repository.errors import MetadataInvalid, RepositoryError
from repository.text import fold, nfc
from repository.vocabularies import METADATA_SCHEMAS_DIR, Vocabulary, get_vocabulary

SCHEMA_BASE = "https://hoclieu.edu.vn/schemas/"

# Material schema versions, NEWEST FIRST. Stored documents name theirs in "$schema".
# To add a version: write metadata_schemas/material-vX.Y.Z.json (and definitions-vX.Y.Z.json if
# the shared parts change) — never edit a released file —, put its $id at the front of this
# tuple and add a migration that upgrades stored documents. Older ids stay here so old documents
# still validate. The search index has its own version, independent of this one: the OpenSearch
# mapping search/mappings/opensearch/material-vX.Y.Z.json named by MAPPING_VERSION in
# search/backends/opensearch.py, raised whenever the index layout changes (a new schema version
# needs one only when it changes what is indexed); `hoclieu reindex` then builds the new index.
SCHEMA_VERSIONS: tuple[str, ...] = (f"{SCHEMA_BASE}material-v1.0.0.json",)
CURRENT_SCHEMA = SCHEMA_VERSIONS[0]

# Fields whose text may span lines; everything else is one line.
_MULTILINE_FIELDS = frozenset({"description", "outcomes"})


def _set_fields() -> tuple[str, ...]:
    """Lists where order carries no meaning and duplicates are noise (``subjects``, ``keywords``...)."""
    return ("keywords", *(f.key for f in fields.FIELDS if f.many and not f.integer and f.vocabulary))


_MAX_DEPTH = 8
# C0/C1 controls, surrogates and non-characters break XML (oai_dc) and PostgreSQL text; they
# come from PDF/Office metadata and never carry meaning in a title or keyword.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Cn"})


# ---------------------------------------------------------------------------------------------
# Schemas


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    """Every schema file in metadata_schemas/ by its ``$id`` (vocabularies and examples excluded)."""
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(METADATA_SCHEMAS_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema_id = schema.get("$id")
        if schema_id != f"{SCHEMA_BASE}{path.name}":
            raise RepositoryError(f"{path.name}: $id must be {SCHEMA_BASE}{path.name}, not {schema_id!r}")
        schemas[schema_id] = schema
    current = schemas.get(CURRENT_SCHEMA)
    if current is not None:
        # A vocabulary field of the registry that the schema file does not name yet (added since
        # its release) is validated against its vocabulary all the same.
        for f in fields.FIELDS:
            if f.vocabulary is not None:
                current["properties"].setdefault(f.key, _vocabulary_property(f))
    return schemas


def _vocabulary_property(f: fields.VocabularyField) -> dict[str, Any]:
    assert f.vocabulary is not None
    codes: list[Any] = list(get_vocabulary(f.vocabulary).codes())
    item: dict[str, Any] = {"type": "string", "enum": codes}
    if f.integer:
        item = {"type": "integer", "enum": [int(c) for c in codes]}
    if not f.many:
        return {"description": f"{f.help} (vocabulary {f.vocabulary}).", **item}
    return {
        "description": f"{f.help} (vocabulary {f.vocabulary}).",
        "type": "array",
        "items": item,
        "uniqueItems": True,
    }


def schema_files() -> dict[str, Path]:
    """Path of every schema file by ``$id`` (for tests and for serving the schemas)."""
    return {f"{SCHEMA_BASE}{p.name}": p for p in sorted(METADATA_SCHEMAS_DIR.glob("*.json"))}


def load_schema(schema_id: str = CURRENT_SCHEMA) -> dict[str, Any]:
    """The JSON Schema with this ``$id`` (a copy, safe to modify).

    Raises:
        MetadataInvalid: no schema has this ``$id``.
    """
    schema = _schemas().get(schema_id)
    if schema is None:
        raise _invalid([_detail("$schema", f"unknown schema {schema_id!r}", list(SCHEMA_VERSIONS))])
    copy: dict[str, Any] = json.loads(json.dumps(schema))
    return copy


@functools.cache
def _registry() -> Registry:
    resources = [
        (sid, Resource.from_contents(schema, default_specification=DRAFT202012))
        for sid, schema in _schemas().items()
    ]
    return Registry().with_resources(resources)


@functools.cache
def _validator(schema_id: str) -> Draft202012Validator:
    return Draft202012Validator(_schemas()[schema_id], registry=_registry())


# ---------------------------------------------------------------------------------------------
# Public API


def validate_metadata(doc: Any, *, partial: bool = False) -> dict[str, Any]:
    """Clean and validate a metadata document; return the cleaned copy (the input is not changed).

    Args:
        doc: the document as parsed from JSON.
        partial: validate a fragment (an update, a manifest default): ``title`` is not required
            and nothing is filled in. Otherwise ``$schema`` and ``language`` ("vi") are filled.

    Returns:
        The cleaned document with ``$schema`` first and fields in schema order.

    Raises:
        MetadataInvalid: with one detail per problem (``field``, ``message``, ``allowed``).
    """
    return check_metadata(doc, partial=partial)[0]


def check_metadata(doc: Any, *, partial: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Like :func:`validate_metadata`, also returning warnings (same shape as error details).

    Warnings are facts a curator may want to see (a subject not taught in the given grades) but
    which can be legitimate, so they never block a save.
    """
    if not isinstance(doc, dict):
        raise MetadataInvalid(
            f'metadata must be a JSON object (like {{"title": "..."}}), not {_kind(doc)}',
            details=[_detail("", f"expected a JSON object, got {_kind(doc)}")],
        )
    cleaned = _clean(doc, field="", depth=0)
    assert isinstance(cleaned, dict)  # _clean maps dicts to dicts
    _tidy_lists(cleaned)

    schema_id = cleaned.get("$schema", CURRENT_SCHEMA)
    if schema_id not in SCHEMA_VERSIONS:
        raise _invalid([_detail("$schema", f"unknown schema {_show(schema_id)}", list(SCHEMA_VERSIONS))])
    if not partial:
        cleaned["$schema"] = schema_id
        cleaned.setdefault("language", "vi")

    details = _schema_errors(cleaned, schema_id, partial=partial)
    if not details:
        details = _consistency_errors(cleaned)
    if details:
        raise _invalid(details)
    return _ordered(cleaned, schema_id), metadata_warnings(cleaned)


def metadata_warnings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Soft issues in a valid document: subjects not taught in any of its grades."""
    warnings: list[dict[str, Any]] = []
    grades = [g for g in doc.get("grades", []) if isinstance(g, int)]
    subjects = get_vocabulary("subject")
    for i, code in enumerate(doc.get("subjects", [])):
        term = subjects.get(code) if isinstance(code, str) else None
        if term is None or term.grades is None or not grades:
            continue
        if not set(grades) & set(term.grades):
            broader = (subjects.lookup(term.label_vi, grade=g) for g in grades)
            better = {t.code for t in broader if t is not None and t is not term}
            hint = f"; at these grades it is usually part of {', '.join(sorted(better))}" if better else ""
            warnings.append(
                _detail(
                    f"subjects[{i}]",
                    f"{term.label_vi} ({code}) is taught in grades {_span(term.grades)}, "
                    f"not in grade {_span(grades)}{hint}",
                )
            )
    return warnings


def level_for_grades(grades: Iterable[int]) -> str | None:
    """The level code all ``grades`` belong to, or ``None`` when they span levels or are empty.

    >>> level_for_grades([8, 9]), level_for_grades([9, 10]), level_for_grades([])
    ('thcs', None, None)
    """
    wanted = set(grades)
    if not wanted:
        return None
    for term in get_vocabulary("level").terms:
        if term.grades and wanted <= set(term.grades):
            return term.code
    return None


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_HEADING_NUMBER = re.compile(
    r"^\s*(?:bai|chuong|chu de|phan|tuan|tiet|unit|lesson|chapter|topic|part)\s+([0-9]+|[ivxlc]+)\b"
)


def parse_heading_number(heading: str) -> int | None:
    """The number of a chapter or lesson heading, for ordering: arabic or roman numerals.

    >>> parse_heading_number("Bài 12: Phép chia"), parse_heading_number("Chương IV. Hàm số")
    (12, 4)
    """
    match = _HEADING_NUMBER.match(fold(heading))
    if match is None:
        return None
    token = match.group(1)
    if token.isdigit():
        return int(token)
    values = [_ROMAN[ch] for ch in token]
    # Subtractive notation: a smaller numeral before a larger one counts negative (IV = 4).
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


_EXTENSION = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,5}$")
UNTITLED = "Học liệu không tên"


def metadata_title_from_filename(filename: str) -> str:
    """A tidy default title from an uploaded file's name.

    Drops any folder part and the extension, turns underscores into spaces, collapses whitespace,
    NFC-normalises. A dot followed by words is kept ("Bài 1. Thông tin" has no extension).

        >>> metadata_title_from_filename("Toan_lop_5/Bai_3__Phep_cong.pptx")
        'Bai 3 Phep cong'
    """
    name = nfc(filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if dot and _EXTENSION.match(ext):
        name = stem
        if name.lower().endswith(".tar"):
            name = name[:-4]
    title = _single_line(_strip_controls(name.replace("_", " ")))
    return title[:500] or UNTITLED


# ---------------------------------------------------------------------------------------------
# Cleaning


def _strip_controls(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _CONTROL_CATEGORIES)


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _clean(value: Any, *, field: str, depth: int) -> Any:
    """NFC + trimmed copy of ``value``; nesting is bounded so hostile input cannot recurse deeply."""
    if depth > _MAX_DEPTH:
        raise _invalid([_detail(field, "nested too deeply; metadata fields are at most two levels deep")])
    if isinstance(value, str):
        text = _strip_controls(nfc(value).replace("\r\n", "\n").replace("\r", "\n"))
        top = field.split("[", 1)[0].split(".", 1)[0]
        if top in _MULTILINE_FIELDS:
            return "\n".join(line.rstrip() for line in text.strip().split("\n"))
        return _single_line(text)
    if isinstance(value, list):
        return [_clean(item, field=f"{field}[{i}]", depth=depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = nfc(str(key))
            out[name] = _clean(item, field=f"{field}.{name}" if field else name, depth=depth + 1)
        return out
    return value


def _tidy_lists(doc: dict[str, Any]) -> None:
    """Sort ``grades`` and drop duplicate codes: order and repeats mean nothing there."""
    grades = doc.get("grades")
    if isinstance(grades, list) and all(type(g) is int for g in grades):
        doc["grades"] = sorted(set(grades))
    for name in _set_fields():
        items = doc.get(name)
        if isinstance(items, list) and all(isinstance(i, str) for i in items):
            doc[name] = list(dict.fromkeys(items))


def _ordered(doc: dict[str, Any], schema_id: str) -> dict[str, Any]:
    order = list(_schemas()[schema_id]["properties"])
    return {key: doc[key] for key in order if key in doc}


# ---------------------------------------------------------------------------------------------
# Errors


def _schema_errors(doc: dict[str, Any], schema_id: str, *, partial: bool) -> list[dict[str, Any]]:
    by_field: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for error in _validator(schema_id).iter_errors(doc):
        if partial and error.validator == "required" and not error.absolute_path:
            continue
        for detail in _explain(error):
            by_field.setdefault(detail["field"], []).append((str(error.validator), detail))
    details: list[dict[str, Any]] = []
    for entries in by_field.values():
        # A value of the wrong type also fails its enum/pattern; the type is the one to report.
        if any(kind == "type" for kind, _ in entries):
            entries = [e for e in entries if e[0] == "type"]
        seen: set[str] = set()
        for _, detail in entries:
            if detail["message"] not in seen:
                seen.add(detail["message"])
                details.append(detail)
    keys = list(doc)
    details.sort(key=lambda d: (_top_index(d["field"], keys), d["field"]))
    return details


def _top_index(field: str, keys: list[str]) -> int:
    top = re.split(r"[.\[]", field, maxsplit=1)[0]
    return keys.index(top) if top in keys else len(keys)


def _explain(error: ValidationError) -> list[dict[str, Any]]:
    """Plain-words details for one JSON Schema error."""
    path = list(error.absolute_path)
    field = _field(path)
    # jsonschema types these as "Any | Unset"; a reported error always has both set.
    value: Any = error.instance
    rule: Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    vocabulary = _vocabulary_of(schema)
    kind = error.validator

    if kind == "required":
        missing = [p for p in rule if isinstance(value, dict) and p not in value]
        return [_detail(_field([*path, name]), "is required") for name in missing]

    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        out = []
        for name in value if isinstance(value, dict) else []:
            if name in allowed:
                continue
            hint = _closest(name, allowed)
            message = "is not a known field" + (f" (did you mean {hint!r}?)" if hint else "")
            message = f"{message}; allowed fields: {', '.join(allowed)}"
            out.append(_detail(_field([*path, name]), message, allowed))
        return out

    if kind == "type":
        expected = _plain_type(rule, schema)
        hint = ""
        grade = vocabulary.lookup(value) if vocabulary is not None and vocabulary.name == "grade" else None
        if grade is not None:
            # "5", "lớp 5", "L5": the grade is clear, only the JSON type is wrong.
            hint = f" (write {grade.code} as a number, without quotes)"
        elif field == "volume" and isinstance(value, str):
            number = re.search(r"[0-9]+", value)
            hint = f" (for {value!r} write {number.group()})" if number else " (for 'Tập 1' write 1)"
        allowed = _allowed(vocabulary)
        suffix = f"; allowed: {_list(allowed)}" if allowed else ""
        return [_detail(field, f"expected {expected}, got {_show(value)}{hint}{suffix}", allowed)]

    if kind == "enum" and vocabulary is not None:
        return [_vocabulary_detail(field, value, vocabulary)]

    if kind in ("minimum", "maximum") and vocabulary is not None and vocabulary.name == "grade":
        allowed_grades = [int(c) for c in vocabulary.codes()]
        return [_detail(field, f"{_show(value)} is not a grade; allowed: 1 to 12", allowed_grades)]

    if kind in ("enum", "const"):
        allowed = list(rule) if kind == "enum" else [rule]
        return [_detail(field, f"{_show(value)} is not allowed; allowed: {_list(allowed)}", allowed)]

    if kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return [_detail(field, f"{_show(value)} is out of range; allowed: {low} to {high}")]

    if kind in ("minLength", "pattern") and isinstance(value, str) and not value.strip():
        return [_detail(field, "must not be empty")]

    if kind == "maxLength" and isinstance(value, str):
        return [_detail(field, f"is too long ({len(value)} characters; at most {rule})")]

    if kind == "maxItems" and isinstance(value, list):
        return [_detail(field, f"has too many items ({len(value)}; at most {rule})")]

    if kind == "uniqueItems":
        return [_detail(field, "lists the same value more than once")]

    return [_detail(field, error.message)]


def _vocabulary_detail(field: str, value: Any, vocabulary: Vocabulary) -> dict[str, Any]:
    allowed = vocabulary.codes()
    noun = vocabulary.label_en.lower()
    message = f"{_show(value)} is not a known {noun} code"
    suggestion = vocabulary.suggest(value) if isinstance(value, str) else None
    if suggestion is not None:
        message += f" (did you mean {suggestion.code!r}, {suggestion.label_vi}?)"
    return _detail(field, f"{message}; allowed: {_list(allowed)}", allowed)


def _consistency_errors(doc: dict[str, Any]) -> list[dict[str, Any]]:
    level_code, grades = doc.get("level"), doc.get("grades")
    if not (isinstance(level_code, str) and isinstance(grades, list)):
        return []
    level = get_vocabulary("level").term(level_code)
    allowed = list(level.grades or ())
    details = []
    for i, grade in enumerate(grades):
        if grade not in allowed:
            within = f"grades {_span(allowed)}" if allowed else "no grades (age groups)"
            details.append(
                _detail(
                    f"grades[{i}]",
                    f"grade {grade} is not part of level {level_code} ({level.label_vi}: {within}); "
                    "fix the grades or the level, or omit the level",
                    allowed,
                )
            )
    return details


def _vocabulary_of(schema: dict[str, Any]) -> Vocabulary | None:
    name = schema.get("x-vocabulary")
    return get_vocabulary(name) if isinstance(name, str) else None


def _allowed(vocabulary: Vocabulary | None) -> list[Any]:
    if vocabulary is None:
        return []
    if vocabulary.name == "grade":
        return [int(c) for c in vocabulary.codes()]
    return vocabulary.codes()


def _plain_type(expected: Any, schema: dict[str, Any]) -> str:
    names = {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "array": "a list",
        "object": "an object",
        "boolean": "true or false",
        "null": "null",
    }
    kinds = expected if isinstance(expected, list) else [expected]
    words = " or ".join(names.get(k, str(k)) for k in kinds)
    if schema.get("x-vocabulary") == "grade":
        return "a grade number from 1 to 12"
    if "x-vocabulary" in schema:
        return f"a {schema['x-vocabulary']} code ({words})"
    return words


def _field(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _detail(field: str, message: str, allowed: list[Any] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"field": field, "message": message}
    if allowed is not None:
        detail["allowed"] = allowed
    return detail


def _invalid(details: list[dict[str, Any]]) -> MetadataInvalid:
    parts = [f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details]
    head = "Invalid metadata" if len(parts) == 1 else f"Invalid metadata ({len(parts)} problems)"
    return MetadataInvalid(f"{head}: " + "; ".join(parts), details=details)


def _closest(name: str, candidates: list[str]) -> str | None:
    folded = {fold(c): c for c in candidates}
    match = difflib.get_close_matches(fold(name), list(folded), n=1, cutoff=0.7)
    return folded[match[0]] if match else None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _show(value: Any) -> str:
    """A value as the user wrote it in JSON, shortened so messages stay readable."""
    if isinstance(value, dict | list):
        return _kind(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _list(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _span(grades: Iterable[int]) -> str:
    ordered = sorted(set(grades))
    if not ordered:
        return "none"
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}–{ordered[-1]}"
    return ", ".join(str(g) for g in ordered)
