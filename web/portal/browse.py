"""Student pages: home (grades), a grade's subjects, a subject's books → chapters → lessons,
and search. All work without JavaScript; each has a JSON twin in the API.

| page                        | JSON twin                                             |
|-----------------------------|-------------------------------------------------------|
| ``/``                       | ``/api/v1/browse``                                    |
| ``/grades/{g}``             | ``/api/v1/browse?grade={g}``                          |
| ``/grades/{g}/{subject}``   | ``/api/v1/browse?grade={g}&subject=…`` + ``/search``  |
| ``/search?q=…``             | ``/api/v1/search?q=…`` (same parameters)              |
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from repository import fields
from repository.errors import NotFound, RepositoryError
from repository.material.audience import EVERYONE, sees_teacher_material
from repository.material.service import material as material_service
from repository.models import UsageKind
from repository.progress.service import keeps_progress, progress
from repository.vocabularies import load_vocabularies
from search.query import MAX_SIZE, SearchQuery, Sort
from search.schemas import BrowseNode, SearchHit
from search.service import search as search_service
from web.deps import ReadSession, RuntimeDep
from web.portal.render import render
from web.portal.session import PortalUser
from web.search_params import Filters, filter_params
from web.usage import count

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20


def _levels(lang: str) -> list[dict[str, Any]]:
    level = load_vocabularies()["level"]
    # Levels without grades (Mầm non: preschool is in the vocabulary, not in this repository's
    # grades 1-12) would be empty sections.
    return [
        {"code": t.code, "label": t.label(lang), "grades": list(t.grades or ())}
        for t in level.terms
        if t.grades
    ]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, runtime: RuntimeDep, user: PortalUser) -> HTMLResponse:
    tree = search_service.browse(runtime.settings, actor=user)
    counts = {int(node.value): node.count for node in tree.grades}
    from web.portal.i18n import request_lang

    return render(
        request,
        "portal/home.html",
        {"levels": _levels(request_lang(request)), "counts": counts, "total": tree.total},
        user=user,
        twin="/api/v1/browse",
    )


def _grade_node(runtime: Any, user: Any, grade: int, subject: str | None = None) -> BrowseNode:
    if not 1 <= grade <= 12:
        raise NotFound(f"there is no grade {grade}")
    if subject is not None and subject not in load_vocabularies()["subject"]:
        raise NotFound(f"no subject {subject!r}")
    tree = search_service.browse(runtime.settings, grade=grade, subject=subject, actor=user)
    return tree.grades[0]


@router.get("/grades/{grade}", response_class=HTMLResponse)
def grade_page(grade: int, request: Request, runtime: RuntimeDep, user: PortalUser) -> HTMLResponse:
    node = _grade_node(runtime, user, grade)
    return render(
        request,
        "portal/grade.html",
        {"grade": grade, "subjects": node.children},
        user=user,
        twin=f"/api/v1/browse?grade={grade}",
    )


@router.get("/grades/{grade}/{subject}", response_class=HTMLResponse)
def subject_page(
    grade: int, subject: str, request: Request, runtime: RuntimeDep, session: ReadSession, user: PortalUser
) -> HTMLResponse:
    node = _grade_node(runtime, user, grade, subject)
    subject_node = node.children[0] if node.children else None
    result = search_service.search_page(
        runtime.settings, user, SearchQuery(grades=[grade], subjects=[subject], sort="newest", size=MAX_SIZE)
    )
    # The tree's leaves are lessons; the materials under each come from the same public search,
    # placed by the chapter/lesson of their metadata (read with the visibility rule applied).
    placed: dict[tuple[str, int, str, str], list[SearchHit]] = {}
    for hit in result.hits:
        try:
            meta = material_service.get(session, user, hit.id).meta
        except RepositoryError:
            continue  # withdrawn between the search and now
        key = (
            str(meta.get("series", "")),
            int(meta.get("volume", 0) or 0),
            str(meta.get("chapter", "")),
            str(meta.get("lesson", "")),
        )
        placed.setdefault(key, []).append(hit)
    return render(
        request,
        "portal/subject.html",
        {
            "grade": grade,
            "subject": subject,
            "node": subject_node,
            "placed": placed,
            "total": result.total,
            "studied": _studied(session, user, grade, subject, subject_node),
        },
        user=user,
        twin=f"/api/v1/browse?{urlencode({'grade': grade, 'subject': subject})}",
    )


def _studied(session: Any, user: Any, grade: int, subject: str, node: BrowseNode | None) -> dict[Any, Any]:
    """A student account's progress per book: ``{(series, volume): (lessons opened, lessons)}``."""
    if node is None or not keeps_progress(user):
        return {}
    out = {}
    for book in node.children:
        lessons = [(chapter.value, lesson.value) for chapter in book.children for lesson in chapter.children]
        key = (book.value, book.volume or 0)
        out[key] = progress.book(session, user, (grade, subject, book.value, book.volume or 0), lessons)
    return out


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    runtime: RuntimeDep,
    user: PortalUser,
    chosen: Annotated[Filters, Depends(filter_params(portal=True))],
    q: Annotated[str, Query(max_length=500)] = "",
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
) -> HTMLResponse:
    query = SearchQuery.with_filters(q, chosen, sort=sort, page=page, size=PAGE_SIZE)
    result = search_service.search_page(runtime.settings, user, query, db=runtime.db)
    if page == 1:  # a later page of the same search is not another search
        count(request, UsageKind.search, user, query=q, results=result.total)
    shown_facets = [f.name for f in fields.FIELDS if f.portal and f.facet]
    selected = {name: [str(v) for v in chosen.get(name, [])] for name in shown_facets}
    audience = [str(v) for v in chosen.get("audience", [])]
    facets: OrderedDict[str, list[Any]] = OrderedDict()
    for name in shown_facets:
        values = list(result.facets.get(name, []))
        if name == "grade":
            values.sort(key=lambda f: int(f.value))
        # A selected value stays listed (and checked) even when its count dropped to zero.
        shown = {f.value for f in values}
        facets[name] = [
            {"value": f.value, "label": f.label, "count": f.count, "checked": f.value in selected[name]}
            for f in values
        ]
        facets[name] += [
            {"value": v, "label": v, "count": 0, "checked": True} for v in selected[name] if v not in shown
        ]
    pages = max(1, -(-result.total // PAGE_SIZE))
    help_grades: list[int] = []
    help_subjects: list[str] = []
    popular: list[SearchHit] = []
    if result.total == 0 and page == 1:
        # Nothing found: browse links for what the words name, and what is used most there.
        help_grades, help_subjects, popular = search_service.no_results_help(runtime.settings, user, q)
    twin_params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return render(
        request,
        "portal/search.html",
        {
            "q": q,
            "result": result,
            "facets": facets,
            "sort": sort,
            "page": page,
            "pages": pages,
            "filtered": any(selected.values()) or bool(audience),
            "audience": audience,
            "audiences": EVERYONE,
            "teacher_view": sees_teacher_material(user),
            "help_grades": help_grades,
            "help_subjects": help_subjects,
            "popular": popular,
        },
        user=user,
        twin="/api/v1/search" + (f"?{urlencode(twin_params)}" if twin_params else ""),
    )
