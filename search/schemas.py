"""Response shapes of the search API (``GET /api/v1/search``, ``/suggest``, ``/browse``, ``/related``).

Built by ``search.service`` from the engine-neutral results, with Vietnamese labels from the
vocabularies; the web layer only returns them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PageHit(BaseModel):
    """A page inside a material that matches the query; ``snippet`` is escaped HTML with <mark>."""

    page: int
    snippet: str


class SearchHit(BaseModel):
    id: str
    title: str
    snippet: str = Field(description="Escaped HTML cut from the accented text, matches in <mark>.")
    grades: list[int]
    subjects: list[str]
    type: str | None
    thumbnail: str | None
    pages: list[PageHit]


class FacetCount(BaseModel):
    value: str
    label: str = Field(description="Vietnamese label from the vocabulary (the value when unknown).")
    count: int


class SearchResponse(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]] = Field(
        description=(
            "grade, subject, type, series, language, organisation (the contributing organisation's slug, "
            "labelled with its name); each facet's counts respect the other filters."
        )
    )
    suggestion: str | None = Field(description="A 'did you mean' when typo tolerance found more.")
    total_approximate: bool = Field(
        False, description="`total` is a lower bound (at least this many matches), not an exact count."
    )
    facets_approximate: bool = Field(
        False,
        description=(
            "A broad query's facet counts were counted on its top 1 000 candidates, not on every match."
        ),
    )


class SuggestItem(BaseModel):
    text: str
    kind: Literal["title", "lesson", "subject", "curriculum"]
    id: str | None = Field(None, description="The material (titles and lessons).")
    value: str | None = Field(None, description="The subject code (subjects).")


class SuggestResponse(BaseModel):
    suggestions: list[SuggestItem]


class RelatedResponse(BaseModel):
    hits: list[SearchHit]


class BrowseNode(BaseModel):
    """One node of the curriculum tree. ``value`` is what to filter on: a grade number, a subject
    code, a series code (``""`` = no series), a chapter or lesson heading (``""`` = not set)."""

    level: Literal["grade", "subject", "book", "chapter", "lesson"]
    value: str
    label: str
    count: int
    volume: int | None = Field(None, description="Book nodes: the volume (tập), when set.")
    children: list[BrowseNode] = Field(default_factory=list)


class BrowseResponse(BaseModel):
    total: int = Field(description="Every public material, including those without grade or subject.")
    grades: list[BrowseNode]
