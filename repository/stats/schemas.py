"""Pydantic shapes of the statistics reports (API responses; the portal renders the same)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

#: Kinds counted per material (searches are counted per search text).
COUNTED_KINDS: tuple[str, ...] = ("view", "play", "download")
ALL_KINDS: tuple[str, ...] = (*COUNTED_KINDS, "search")


class DayCounts(BaseModel):
    day: date
    view: int = Field(0, description="material pages shown to people (once per visitor and day)")
    play: int = Field(0, description="videos and audio started")
    download: int = Field(0, description="original files downloaded")
    search: int = Field(0, description="searches run (catalogue totals only)")

    @classmethod
    def of(cls, day: date, counts: Mapping[str, int]) -> DayCounts:
        return cls(day=day, **{k: counts.get(k, 0) for k in ALL_KINDS})

    @staticmethod
    def total(days: Sequence[DayCounts]) -> dict[str, int]:
        return {k: sum(getattr(d, k) for d in days) for k in ALL_KINDS}


class FacetCounts(BaseModel):
    value: str = Field(description="a grade number or a subject code")
    view: int = 0
    play: int = 0
    download: int = 0

    @classmethod
    def of(cls, value: str, counts: Mapping[str, int]) -> FacetCounts:
        return cls(value=value, **{k: counts.get(k, 0) for k in COUNTED_KINDS})


class MaterialStats(BaseModel):
    material_id: str
    title: str
    start: date
    end: date
    days: list[DayCounts]
    total: dict[str, int]


class UsageSummary(BaseModel):
    start: date
    end: date
    days: list[DayCounts]
    total: dict[str, int]
    grades: list[FacetCounts]
    subjects: list[FacetCounts]


class TopMaterial(BaseModel):
    id: str
    title: str
    grades: list[Any]
    subjects: list[Any]
    count: int


class TopMaterials(BaseModel):
    start: date
    end: date
    kind: str
    grade: int | None
    subject: str | None
    items: list[TopMaterial]


class SearchText(BaseModel):
    query: str = Field(description="the search text, lowercased, spaces collapsed")
    searches: int = Field(description="searches that made it (one per visitor and day)")
    zero_results: int = Field(description="of those, how many found nothing")


class SearchReport(BaseModel):
    start: date
    end: date
    min_searches: int = Field(description="texts searched fewer times than this are not listed")
    top: list[SearchText]
    zero_results: list[SearchText]


class OrganisationStats(BaseModel):
    slug: str
    name: str
    start: date
    end: date
    days: list[DayCounts] = Field(description="the counts of the materials the organisation contributes")
    total: dict[str, int]
    top: list[TopMaterial] = Field(description="its most-viewed approved materials in the period")
