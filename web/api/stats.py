"""Usage statistics API (``stats:read`` for API clients): JSON, or CSV with ``format=csv``.

Thin: who may read what, periods and the reports are ``repository.stats.service``'s.
Periods are statistics days (Vietnam's calendar days), ``from`` and ``to`` both included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from repository.models import UsageKind, User
from repository.stats.schemas import (
    ALL_KINDS,
    COUNTED_KINDS,
    DayCounts,
    MaterialStats,
    OrganisationStats,
    SearchReport,
    TopMaterials,
    UsageSummary,
)
from repository.stats.service import Period, stats, to_csv
from web.deps import OptionalUser, ReadSession, RuntimeDep
from web.openapi import errors

router = APIRouter(prefix="/stats", tags=["statistics"])

Format = Literal["json", "csv"]
From = Annotated[date | None, Query(alias="from", description="first day (YYYY-MM-DD), included")]
To = Annotated[date | None, Query(alias="to", description="last day (YYYY-MM-DD), included")]
FORMAT_DOC = "`json` (default) or `csv` (a spreadsheet-ready file)"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}


def _is_client(request: Request) -> bool:
    principal = getattr(request.state, "principal", None)
    return principal is not None and principal.scopes is not None


def _csv(text: str, name: str) -> Response:
    return Response(
        content="\ufeff" + text,  # a BOM, so spreadsheets read the Vietnamese as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _json(model: BaseModel) -> Response:
    return Response(content=model.model_dump_json(), media_type="application/json")


def _days_csv(days: Sequence[DayCounts], name: str) -> Response:
    rows = [(d.day.isoformat(), *(getattr(d, k) for k in COUNTED_KINDS)) for d in days]
    return _csv(to_csv(("day", *COUNTED_KINDS), rows), name)


@dataclass(frozen=True)
class Reader:
    """Who asks (a signed-in person or an API client) and for which period (30 days by default)."""

    session: Any
    user: User | None
    client: bool
    period: Period


def _reader(
    request: Request, session: ReadSession, user: OptionalUser, start: From = None, end: To = None
) -> Reader:
    return Reader(session, user, _is_client(request), Period.of(start, end, default_days=30))


ReaderDep = Annotated[Reader, Depends(_reader)]


@router.get(
    "/summary",
    response_model=UsageSummary,
    summary="Counts per day, grade and subject (curators, admins, clients with stats:read)",
    responses={**errors(400, 401, 403), **CSV_RESPONSE},
)
def summary(reader: ReaderDep, format: Annotated[Format, Query(description=FORMAT_DOC)] = "json") -> Response:
    report = stats.summary(reader.session, reader.user, reader.period, client=reader.client)
    if format == "csv":
        rows = [(d.day.isoformat(), *(getattr(d, k) for k in ALL_KINDS)) for d in report.days]
        rows += [(f"grade:{g.value}", *(getattr(g, k) for k in COUNTED_KINDS), "") for g in report.grades]
        rows += [(f"subject:{s.value}", *(getattr(s, k) for k in COUNTED_KINDS), "") for s in report.subjects]
        return _csv(to_csv(("day", *ALL_KINDS), rows), f"hoclieu-stats-{report.start}-{report.end}")
    return _json(report)


@router.get(
    "/materials",
    response_model=TopMaterials,
    summary="The most-used approved materials, optionally of one grade and subject",
    responses={**errors(400, 401, 403), **CSV_RESPONSE},
)
def top_materials(
    reader: ReaderDep,
    kind: Annotated[Literal["view", "play", "download"], Query(description="what to rank by")] = "view",
    grade: Annotated[int | None, Query(ge=1, le=12)] = None,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    format: Annotated[Format, Query(description=FORMAT_DOC)] = "json",
) -> Response:
    report = stats.top_materials(
        reader.session,
        reader.user,
        reader.period,
        kind=UsageKind(kind),
        grade=grade,
        subject=subject,
        limit=limit,
        client=reader.client,
    )
    if format == "csv":
        rows = [
            (m.id, m.title, " ".join(map(str, m.grades)), " ".join(map(str, m.subjects)), m.count)
            for m in report.items
        ]
        header = ("material_id", "title", "grades", "subjects", report.kind)
        return _csv(to_csv(header, rows), f"hoclieu-top-{report.kind}-{report.start}-{report.end}")
    return _json(report)


@router.get(
    "/materials/{material_id}",
    response_model=MaterialStats,
    summary="One material's counts per day (its owner, curators, admins; clients: approved ones)",
    responses={**errors(400, 401, 403, 404), **CSV_RESPONSE},
)
def material(
    material_id: str, reader: ReaderDep, format: Annotated[Format, Query(description=FORMAT_DOC)] = "json"
) -> Response:
    report = stats.material(reader.session, reader.user, material_id, reader.period, client=reader.client)
    if format == "csv":
        return _days_csv(report.days, f"hoclieu-material-{report.material_id}")
    return _json(report)


@router.get(
    "/searches",
    response_model=SearchReport,
    summary="Top search texts and those that found nothing (content gaps), by period or ISO week",
    responses={**errors(400, 401, 403), **CSV_RESPONSE},
)
def searches(
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: OptionalUser,
    start: From = None,
    end: To = None,
    week: Annotated[
        str | None, Query(max_length=10, description="an ISO week, e.g. 2026-W49 (instead of from/to)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Annotated[Format, Query(description=FORMAT_DOC)] = "json",
) -> Response:
    period = Period.iso_week(week) if week else Period.of(start, end, default_days=7)
    report = stats.searches(
        session,
        user,
        period,
        min_searches=runtime.settings.stats_min_query_searches,
        limit=limit,
        client=_is_client(request),
    )
    if format == "csv":
        rows = [("top", t.query, t.searches, t.zero_results) for t in report.top]
        rows += [("zero_results", t.query, t.searches, t.zero_results) for t in report.zero_results]
        header = ("list", "query", "searches", "zero_results")
        return _csv(to_csv(header, rows), f"hoclieu-searches-{report.start}-{report.end}")
    return _json(report)


@router.get(
    "/organisations/{slug}",
    response_model=OrganisationStats,
    summary="An organisation's dashboard: its materials' counts per day and its most viewed",
    responses={**errors(400, 401, 403, 404), **CSV_RESPONSE},
)
def organisation(
    slug: Annotated[str, Path(max_length=100)],
    reader: ReaderDep,
    format: Annotated[Format, Query(description=FORMAT_DOC)] = "json",
) -> Response:
    report = stats.organisation(reader.session, reader.user, slug, reader.period, client=reader.client)
    if format == "csv":
        return _days_csv(report.days, f"hoclieu-organisation-{report.slug}")
    return _json(report)
