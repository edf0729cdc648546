"""Search filters as query parameters, one per vocabulary field of the registry.

``/api/v1/search`` and the portal's ``/search`` read their filters through :func:`filter_params`:
a FastAPI dependency whose parameters (``grade``, ``subject``, ...; repeatable) are generated from
``repository.fields``, so a field added there is a parameter of both, documented in the OpenAPI
schema, without touching a route.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field

from repository import fields
from repository.vocabularies import get_vocabulary

Filters = dict[str, list[Any]]


def filter_params(*, portal: bool) -> Callable[..., Filters]:
    """A dependency returning the chosen filters by field name (empty ones left out).

    Args:
        portal: only the fields the portal's search page offers, integers without bounds (an
            out-of-range grade finds nothing there; the API refuses it with a 422).
    """
    chosen = [f for f in fields.filters() if f.portal or not portal]
    parameters = []
    for f in chosen:
        item: Any = str
        if f.integer:
            codes = [int(c) for c in get_vocabulary(f.vocabulary or f.name).codes()]
            item = int if portal else Annotated[int, Field(ge=min(codes), le=max(codes))]
        annotation = Annotated[list[item], Query(description=f.help) if not portal else Query()]
        parameters.append(
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=[], annotation=annotation)
        )

    def read(**values: list[Any]) -> Filters:
        return {name: list(v) for name, v in values.items() if v}

    read.__signature__ = inspect.Signature(parameters, return_annotation=Filters)  # type: ignore[attr-defined]
    return read
