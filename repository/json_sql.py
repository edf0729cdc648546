"""SQL over JSON arrays in the metadata columns, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, cast, exists, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler


class ByDialect(ColumnElement[bool]):
    """A boolean clause written once per dialect (the JSON array functions differ)."""

    # The two alternatives are fixed per call; disable statement caching rather than risk a stale key.
    inherit_cache = False
    type = Boolean()

    def __init__(self, sqlite: ColumnElement[bool], postgresql: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql


@compiles(ByDialect)
def _compile_by_dialect(element: ByDialect, compiler: SQLCompiler, **kw: Any) -> str:
    clause = element.postgresql if compiler.dialect.name == "postgresql" else element.sqlite
    return compiler.process(clause, **kw)


def json_array_has(column: Any, key: str, values: Sequence[str] | None) -> ColumnElement[bool]:
    """SQL: the JSON array ``column[key]`` has an element among ``values`` (compared as text);
    with ``values`` None, any element at all."""
    lite = func.json_each(column, f"$.{key}").table_valued("value")
    pg = func.jsonb_array_elements_text(column.op("->")(literal(key, String))).table_valued("value")
    lite_q = select(literal(1)).select_from(lite)
    pg_q = select(literal(1)).select_from(pg)
    if values is not None:
        wanted = list(values)
        lite_q = lite_q.where(cast(lite.c.value, String).in_(wanted))
        pg_q = pg_q.where(pg.c.value.in_(wanted))
    return ByDialect(sqlite=exists(lite_q), postgresql=exists(pg_q))
