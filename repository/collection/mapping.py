"""An organisation's collection as rows of Hoclieu metadata: a table (CSV) in the organisation's own
columns, read through a mapping file that says which column is which field.

A mapping file is TOML (or the same structure as JSON)::

    # The column naming each row's file (a path relative to the table's folder).
    file = "Tệp"

    [columns]            # Hoclieu field = the organisation's column
    title = "Tên bài"
    grades = "Lớp"
    subjects = "Môn"
    authors = "Tác giả"
    description = "Mô tả"

    [values.subjects]    # the organisation's value = Hoclieu's code
    "Toán học" = "toan"

    [defaults]           # fields no column gives (a column's value wins when present)
    license = "CC-BY-4.0"

    [separators]         # list fields: what separates several values in one cell (default ";")
    keywords = ","

Values are read forgivingly before the metadata schema judges them: list fields are split, grades
are the numbers in the cell ("Lớp 5", "5; 6"), vocabulary fields go through ``[values]`` and
then the vocabulary's own lookup (labels and aliases, accents optional: "Toán" → ``toan``). What
still does not fit is left as written, so validation names it with the known values.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repository import fields as registry
from repository.errors import ValidationFailed
from repository.metadata import load_schema
from repository.vocabularies import get_vocabulary

#: Fields a column may fill: the current metadata schema's, nothing else.
_PROPERTIES = load_schema()["properties"]
FIELDS = tuple(name for name in _PROPERTIES if name != "$schema")
LIST_FIELDS = frozenset(name for name in FIELDS if _PROPERTIES[name].get("type") == "array")
#: Field → vocabulary its values come from (the field registry's; grades are read as numbers).
VOCABULARY_FIELDS = {
    f.key: f.vocabulary for f in registry.FIELDS if f.vocabulary and f.key in FIELDS and f.key != "grades"
}
#: Largest table read (rows): a bigger collection is split into several runs.
MAX_ROWS = 100_000
MAX_MAPPING_BYTES = 1_000_000
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Mapping:
    """A parsed, checked mapping file (see the module docstring)."""

    file: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    separators: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceRow:
    """One row of the table: its line number, file, metadata, and what is already wrong with it."""

    number: int
    file: str
    path: Path | None
    metadata: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def _problem(message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": "mapping", "message": message}])


def parse_mapping(text: str, *, name: str = "mapping") -> Mapping:
    """Read a mapping from TOML (or JSON, when ``name`` ends in ``.json``).

    Raises:
        ValidationFailed: not TOML/JSON, unknown fields, a missing ``file`` column; the message
            names every problem.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_MAPPING_BYTES:
        raise _problem(f"the mapping file is larger than {MAX_MAPPING_BYTES} bytes")
    try:
        raw: Any = json.loads(text) if name.endswith(".json") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _problem(f"{name} is not valid {'JSON' if name.endswith('.json') else 'TOML'}: {exc}") from None
    if not isinstance(raw, dict):
        raise _problem(f"{name} must be a table of settings")
    problems: list[str] = []
    unknown = sorted(set(raw) - {"file", "columns", "values", "defaults", "separators"})
    if unknown:
        problems.append(f"unknown settings {unknown}: use file, columns, values, defaults, separators")
    file_column = raw.get("file")
    if not isinstance(file_column, str) or not file_column.strip():
        problems.append('name the column holding each row\'s file: file = "<column>"')
        file_column = ""

    def table(key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            problems.append(f"[{key}] must be a table")
            return {}
        bad = sorted(k for k in value if k not in FIELDS)
        if bad:
            problems.append(f"[{key}] names fields Hoclieu does not have: {bad}; fields: {', '.join(FIELDS)}")
        return {k: v for k, v in value.items() if k in FIELDS}

    columns = table("columns")
    for hoclieu, column in columns.items():
        if not isinstance(column, str) or not column.strip():
            problems.append(f"[columns] {hoclieu} must name a column (text)")
    values = table("values")
    for hoclieu, pairs in values.items():
        if not isinstance(pairs, dict) or not all(isinstance(v, str | int) for v in pairs.values()):
            problems.append(f"[values.{hoclieu}] must map the organisation's values to Hoclieu codes")
    separators = table("separators")
    for hoclieu, sep in separators.items():
        if hoclieu not in LIST_FIELDS or not isinstance(sep, str) or not sep:
            problems.append(
                f"[separators] {hoclieu}: only list fields ({', '.join(sorted(LIST_FIELDS))}) take one"
            )
    defaults = table("defaults")
    if problems:
        raise ValidationFailed(
            f"the mapping {name} has {len(problems)} problem(s): " + "; ".join(problems),
            details=[{"field": "mapping", "message": p} for p in problems],
        )
    return Mapping(
        file=str(file_column).strip(),
        columns={k: str(v).strip() for k, v in columns.items()},
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        defaults=dict(defaults),
        separators={k: str(v) for k, v in separators.items()},
    )


def load_mapping(path: Path) -> Mapping:
    """:func:`parse_mapping` of a file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(f"cannot read the mapping {path.name}: {exc}") from None
    return parse_mapping(text, name=path.name)


def _vocabulary_value(fieldname: str, value: str, mapping: Mapping) -> str:
    explicit = mapping.values.get(fieldname, {})
    if value in explicit:
        return explicit[value]
    vocabulary = VOCABULARY_FIELDS.get(fieldname)
    if vocabulary is not None:
        term = get_vocabulary(vocabulary).lookup(value)
        if term is not None:
            return term.code
    return value


def _cell_value(fieldname: str, cell: str, mapping: Mapping) -> Any:
    cell = cell.strip()
    if fieldname in LIST_FIELDS:
        sep = mapping.separators.get(fieldname, ";")
        parts = [p.strip() for p in cell.split(sep) if p.strip()]
        if fieldname == "grades":
            grades: list[Any] = []
            for part in parts:
                mapped = mapping.values.get("grades", {}).get(part, part)
                numbers = _NUMBER.findall(mapped)
                if numbers:
                    grades.extend(int(n) for n in numbers)
                else:
                    grades.append(mapped)  # validation names it
            return grades
        if fieldname == "authors":
            return [{"name": p} for p in parts]
        return [_vocabulary_value(fieldname, p, mapping) for p in parts]
    if fieldname == "volume":
        numbers = _NUMBER.findall(cell)
        return int(numbers[0]) if len(numbers) == 1 else cell
    return _vocabulary_value(fieldname, cell, mapping)


def rows_from_table(table: Path, mapping: Mapping, *, root: Path | None = None) -> list[SourceRow]:
    """The table's rows as metadata and file paths (nothing is checked against the database).

    Files are relative to ``root`` (default: the table's folder) and must stay inside it: a row
    naming ``../../etc/passwd`` or an absolute path gets a problem, not a file.

    Raises:
        ValidationFailed: the table cannot be read, or lacks a column the mapping names.
    """
    base = (root or table.parent).resolve()
    try:
        with open(table, encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(64 * 1024)
            fh.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.DictReader(fh, dialect=dialect)
            header = [h.strip() for h in reader.fieldnames or []]
            wanted = [mapping.file, *mapping.columns.values()]
            missing = [c for c in wanted if c not in header]
            if missing:
                raise ValidationFailed(
                    f"{table.name} has no column {', '.join(map(repr, missing))}; its columns: {header}",
                    details=[{"field": "columns", "message": f"missing column {c!r}"} for c in missing],
                )
            out: list[SourceRow] = []
            for number, record in enumerate(reader, start=2):  # line 1 is the header
                if len(out) >= MAX_ROWS:
                    raise ValidationFailed(
                        f"{table.name} has more than {MAX_ROWS} rows; split it into several runs"
                    )
                cells = {(k or "").strip(): (v if isinstance(v, str) else "") for k, v in record.items()}
                out.append(_row(number, cells, mapping, base))
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValidationFailed(f"cannot read {table.name} as UTF-8 CSV: {exc}") from None


def _row(number: int, cells: dict[str, str], mapping: Mapping, base: Path) -> SourceRow:
    problems: list[str] = []
    meta: dict[str, Any] = dict(mapping.defaults)
    for fieldname, column in mapping.columns.items():
        cell = cells.get(column, "")
        if cell.strip():
            meta[fieldname] = _cell_value(fieldname, cell, mapping)
    name = cells.get(mapping.file, "").strip()
    path: Path | None = None
    if not name:
        problems.append(f"no file named in column {mapping.file!r}")
    else:
        candidate = Path(name.replace("\\", "/"))
        resolved = (base / candidate).resolve()
        if candidate.is_absolute() or not resolved.is_relative_to(base):
            problems.append(f"{name}: a file must be inside the collection folder")
        elif not resolved.is_file():
            problems.append(f"{name}: no such file in the collection folder")
        else:
            path = resolved
    return SourceRow(number=number, file=name, path=path, metadata=meta, problems=problems)
