"""Search API: full-text search with facets, suggestions, related materials, the browse tree.

Thin: parameters are parsed here (the filters, one per vocabulary field, by
``web.search_params``), everything else (visibility, labels, validation of codes) happens in
``search.service``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from repository.models import UsageKind, User
from search.query import MAX_QUERY_CHARS, MAX_SIZE, SearchQuery, Sort
from search.schemas import BrowseResponse, RelatedResponse, SearchResponse, SuggestResponse
from search.service import search as search_service
from web.deps import RuntimeDep
from web.search_params import Filters, filter_params
from web.usage import count

router = APIRouter(tags=["search"])

AUDIENCE_RULE = (
    "Students and anonymous callers get material for students (no lesson plans or other "
    "teacher-only material) unless they ask for an `audience`; a teacher's, curator's or admin's "
    "token gets everything."
)


def _caller(request: Request) -> User | None:
    """The person behind a bearer token, as ``client_scope_guard`` resolved it for every request
    (no second lookup, and none at all for anonymous calls); API clients act for no one."""
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.scopes is not None:
        return None
    user: User = principal.user
    return user


@router.get(
    "/search",
    response_model=SearchResponse,
    summary="Search the approved materials",
    description=AUDIENCE_RULE,
)
def search(
    request: Request,
    runtime: RuntimeDep,
    chosen: Annotated[Filters, Depends(filter_params(portal=False))],
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description='Words, "phrases", -exclusions')] = "",
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
) -> Response:
    # Everyone searches the same public catalogue (search.service.SearchService.search); the
    # caller matters only to the audience rule and comes from the scope guard's lookup, so there
    # is no extra token lookup or thread hop per request. The response is
    # serialised once by pydantic-core here; returning the model would make FastAPI validate and
    # serialise it a second time (the schema still documents it through ``response_model``).
    query = SearchQuery.with_filters(q, chosen, sort=sort, page=page, size=size)
    body = search_service.search_page(runtime.settings, _caller(request), query, db=runtime.db)
    if page == 1:  # a later page of the same search is not another search
        count(request, UsageKind.search, query=q, results=body.total)
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
    description=AUDIENCE_RULE,
)
def related(
    material_id: str, request: Request, runtime: RuntimeDep, size: Annotated[int, Query(ge=1, le=50)] = 6
) -> RelatedResponse:
    return search_service.related_page(runtime.settings, material_id, size=size, actor=_caller(request))


@router.get(
    "/browse",
    response_model=BrowseResponse,
    summary="Curriculum tree (grade → subject → book → chapter → lesson) with counts of approved materials",
    description=AUDIENCE_RULE,
)
def browse(
    request: Request,
    runtime: RuntimeDep,
    grade: Annotated[int | None, Query(ge=1, le=12)] = None,
    subject: str | None = None,
) -> BrowseResponse:
    return search_service.browse(runtime.settings, grade=grade, subject=subject, actor=_caller(request))
