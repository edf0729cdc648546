"""Search API: full-text search with facets, suggestions, related materials, the browse tree.

Thin: parameters are parsed here (the filters, one per vocabulary field, by
``web.search_params``), everything else (visibility, labels, validation of codes) happens in
``search.service``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from search.query import MAX_QUERY_CHARS, MAX_SIZE, SearchQuery, Sort
from search.schemas import BrowseResponse, RelatedResponse, SearchResponse, SuggestResponse
from search.service import search as search_service
from web.deps import RuntimeDep
from web.search_params import Filters, filter_params

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse, summary="Search the approved materials")
def search(
    runtime: RuntimeDep,
    chosen: Annotated[Filters, Depends(filter_params(portal=False))],
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description='Words, "phrases", -exclusions')] = "",
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
) -> Response:
    # Everyone searches the same public catalogue (search.service.SearchService.search), so no
    # caller is resolved: no token lookup and no extra thread hop per request. The response is
    # serialised once by pydantic-core here; returning the model would make FastAPI validate and
    # serialise it a second time (the schema still documents it through ``response_model``).
    query = SearchQuery.with_filters(q, chosen, sort=sort, page=page, size=size)
    body = search_service.search_page(runtime.settings, None, query)
    return Response(content=body.model_dump_json(), media_type="application/json")


@router.get("/suggest", response_model=SuggestResponse, summary="Completions for a prefix, accents optional")
def suggest(
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=200)] = "",
    size: Annotated[int, Query(ge=1, le=50)] = 8,
) -> SuggestResponse:
    return search_service.suggest_page(runtime.settings, q, size=size)


@router.get(
    "/materials/{material_id}/related",
    response_model=RelatedResponse,
    summary="Approved materials like this one",
)
def related(
    material_id: str, runtime: RuntimeDep, size: Annotated[int, Query(ge=1, le=50)] = 6
) -> RelatedResponse:
    return search_service.related_page(runtime.settings, material_id, size=size)


@router.get(
    "/browse",
    response_model=BrowseResponse,
    summary="Curriculum tree (grade → subject → book → chapter → lesson) with counts of approved materials",
)
def browse(
    runtime: RuntimeDep,
    grade: Annotated[int | None, Query(ge=1, le=12)] = None,
    subject: str | None = None,
) -> BrowseResponse:
    return search_service.browse(runtime.settings, grade=grade, subject=subject)
